"""The commits the store writes itself (store/objects.py) are the ones `git commit` makes."""

from __future__ import annotations

import os
import time

import pytest

import retkoop_tools.store.objects as objects
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import Author, Store
from tests.gitrepo import TEACHER, make_ad_repo, run_git, sale

EX = Exercice(2025)
UAI = "0910001A"
FOLDER = f"ledgers/{UAI}"


def _writes(store: Store) -> list[str]:
    """A sequence of writes of every kind: an entry, a new document in a new folder, a second
    entry, a document removed (its folder left empty), nothing changed."""
    commits = [store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001 : Famille 1, 15,00 €", EX),
               store.write(UAI, {"documents/releves/2025-10.pdf": b"%PDF-1.4 a"}, TEACHER, "Relevé\n\n\n  \nd'octobre  "),
               store.insert_entries(UAI, sale(2), Author("Élise Ñúñez-Œuvre", "0910001A"), "Saisie R002", EX),
               store.write(UAI, {"documents/releves/2025-10.pdf": None}, TEACHER, "Relevé retiré")]
    path = store.root / FOLDER / "2025-2026.beancount"
    commits.append(store.write(UAI, {"2025-2026.beancount": path.read_text()}, TEACHER, "rien"))
    return commits


def _commit_fields(root, commit: str) -> tuple[str, list[str], str]:
    """A commit's tree, its author and committer without their dates, its message."""
    text = run_git(root, "cat-file", "commit", commit).stdout
    head, _, message = text.partition("\n\n")
    people = [" ".join(line.split()[:-2]) for line in head.splitlines() if line.startswith(("author", "committer"))]
    return head.split()[1], people, message


def test_the_store_s_commits_are_those_of_git_commit(tmp_path, monkeypatch):
    ours = make_ad_repo(tmp_path / "ours")
    theirs = make_ad_repo(tmp_path / "theirs")
    assert run_git(ours.root, "rev-parse", "HEAD^{tree}").stdout == run_git(theirs.root, "rev-parse", "HEAD^{tree}").stdout
    calls = []
    real = objects.ObjectWriter.commit
    monkeypatch.setattr(objects.ObjectWriter, "commit", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    mine = _writes(ours)
    assert len(calls) == 5 and mine[-1] is None and all(mine[:-1])
    with monkeypatch.context() as patched:
        patched.setattr(objects, "writer_for", lambda root, git_dir: None)  # git commits, as before
        git_made = _writes(theirs)
    assert len(calls) == 5 and git_made[-1] is None
    for a, b in zip(mine[:-1], git_made[:-1]):
        assert _commit_fields(ours.root, a) == _commit_fields(theirs.root, b)
    # Parents, history, index and files as git leaves them; the repository whole.
    assert run_git(ours.root, "log", "--format=%T %s").stdout == run_git(theirs.root, "log", "--format=%T %s").stdout
    assert run_git(ours.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    assert run_git(ours.root, "diff", "--cached", "--stat").stdout == ""
    assert run_git(ours.root, "ls-files", "-s").stdout == run_git(theirs.root, "ls-files", "-s").stdout
    assert run_git(ours.root, "fsck", "--strict", "--no-dangling").returncode == 0
    # The branch's reflog and HEAD's, as git writes them.
    assert run_git(ours.root, "reflog", "-1", "--format=%gs").stdout.strip() == "commit: Saisie R002" or \
        run_git(ours.root, "reflog", "-1", "--format=%gs").stdout.strip() == "commit: Relevé retiré"
    assert len(run_git(ours.root, "reflog", "show", "main").stdout.splitlines()) == \
        len(run_git(theirs.root, "reflog", "show", "main").stdout.splitlines())
    assert run_git(ours.root, "cat-file", "-p", mine[1]).stdout.endswith("Relevé\n\nd'octobre\n\nCoopérative: 0910001A\n")


def test_after_a_gc_packed_trees_are_read_through_git(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    run_git(store.root, "gc", "-q", "--prune=now")
    assert not list((store.git_dir / "objects").glob("??/*"))  # every object packed
    objects.writer_for(store.root, store.git_dir)._trees.clear()
    commit = store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    assert commit == store.head()
    assert run_git(store.root, "fsck", "--strict", "--no-dangling").returncode == 0
    assert run_git(store.root, "status", "--porcelain").stdout == ""
    assert "R002" in run_git(store.root, "show", f"HEAD:{FOLDER}/2025-2026.beancount").stdout


@pytest.mark.parametrize("setup", ["attributes", "name", "config"])
def test_what_git_would_store_otherwise_is_committed_by_git(tmp_path, monkeypatch, setup):
    store = make_ad_repo(tmp_path / "ad")
    author = TEACHER
    if setup == "attributes":  # git would change the file's bytes
        (store.root / FOLDER / ".gitattributes").write_text("*.beancount text eol=crlf\n")
        run_git(store.root, "add", "-A")
        run_git(store.root, "commit", "-qm", "attributs", "--no-verify")
    elif setup == "name":  # git would rewrite the name
        author = Author("<Martin>.", "martin@ecole.fr")
    else:
        run_git(store.root, "config", "core.autocrlf", "true")
        objects._USABLE.clear()
    fallbacks = []
    real = objects.ObjectWriter.commit

    def spied(self, *args, **kwargs):
        try:
            return real(self, *args, **kwargs)
        except objects.Unsupported as exc:
            fallbacks.append(str(exc))
            raise

    monkeypatch.setattr(objects.ObjectWriter, "commit", spied)
    try:
        commit = store.insert_entries(UAI, sale(1), author, "Saisie R001", EX)
    finally:
        objects._USABLE.clear()
    assert commit == store.head()
    assert (fallbacks != []) == (setup != "config")  # the configuration is seen before trying
    if setup == "config":
        assert not objects.usable(store.root, store.git_dir)
        run_git(store.root, "config", "--unset", "core.autocrlf")
        objects._USABLE.clear()
        assert objects.usable(store.root, store.git_dir)
    assert run_git(store.root, "status", "--porcelain").stdout == ""
    assert "R001" in run_git(store.root, "show", f"HEAD:{FOLDER}/2025-2026.beancount").stdout


def test_a_branch_git_is_moving_is_left_to_git(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    head = store.head()
    lock = store.git_dir / "refs" / "heads" / "main.lock"
    lock.write_text("")
    try:
        with pytest.raises(Exception, match="lock"):  # git's own refusal, nothing committed
            store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    finally:
        lock.unlink()
    assert store.head() == head
    assert store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX) == store.head() != head
    assert run_git(store.root, "status", "--porcelain").stdout == ""


def _killed_writing_the_commit(root: str) -> None:
    """A writer killed (SIGKILL) once the index holds the files, before git moves the branch."""
    import signal

    real = objects.ObjectWriter.write

    def write(self, kind, body, dry=False):
        if kind == b"commit" and not dry:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, kind, body, dry)

    objects.ObjectWriter.write = write
    Store(root).insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)


def _killed_moving_the_branch(root: str) -> None:
    """A writer killed (SIGKILL) just as git's update-ref has its order: git finishes alone."""
    import signal

    from retkoop_tools.store import gitcmd

    real = gitcmd.Running.wait

    def wait(self, check=True):
        if self.args[0] == "update-ref" and self.input:
            self.proc.stdin.write(self.input)
            self.proc.stdin.close()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, check)

    gitcmd.Running.wait = wait
    Store(root).insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)


@pytest.mark.parametrize("when", ["before", "while"])
def test_a_writer_killed_around_the_branch_s_move_leaves_no_lock_and_the_next_write_goes_on(tmp_path, when):
    import multiprocessing

    store = make_ad_repo(tmp_path / "ad")
    head = store.head()
    target = _killed_writing_the_commit if when == "before" else _killed_moving_the_branch
    child = multiprocessing.get_context("fork").Process(target=target, args=(str(store.root),))
    child.start()
    child.join()
    assert child.exitcode == -9
    for _ in range(100):  # an orphaned git finishes
        if not [p for p in store.git_dir.rglob("*.lock") if not p.name.startswith("retkoop")]:
            break
        time.sleep(0.05)
    assert not [p for p in store.git_dir.rglob("*.lock") if not p.name.startswith("retkoop")]
    moved = store.head() != head
    assert moved == (when == "while")
    if moved:  # the commit made, the reflog written with it
        assert run_git(store.root, "reflog", "-1", "--format=%gs").stdout.strip() == "commit: Saisie R001"
    else:
        assert run_git(store.root, "diff", "--cached", "--name-only").stdout.split()  # staged, uncommitted
    restarted = Store(store.root)
    restarted.recover_all()
    commit = restarted.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    shown = run_git(store.root, "show", f"{commit}:{FOLDER}/2025-2026.beancount").stdout
    assert "R002" in shown and ("R001" in shown) == moved  # an interrupted write never enters the history
    assert bool(list((store.git_dir / "retkoop-recovered").glob("*"))) == (not moved)
    assert run_git(store.root, "status", "--porcelain").stdout == ""
    assert run_git(store.root, "fsck", "--strict", "--no-dangling").returncode == 0


def test_git_gc_auto_runs_from_time_to_time_as_git_commit_would(tmp_path, monkeypatch):
    store = make_ad_repo(tmp_path / "ad")
    ran = []
    monkeypatch.setattr(objects, "GC_EVERY", 2)
    monkeypatch.setattr(objects.subprocess, "run", lambda args, **kw: ran.append(args))
    store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    for _ in range(100):
        if ran:
            break
        time.sleep(0.05)
    assert ran == [["git", "gc", "--auto", "--quiet"]]


def test_a_full_disk_while_the_objects_are_written_leaves_git_s_index_unlocked(tmp_path, monkeypatch):
    import errno

    from retkoop_tools.store.store import NoSpaceError

    store = make_ad_repo(tmp_path / "ad")
    head = store.head()
    real = objects.ObjectWriter.write

    def full(self, kind, body, dry=False):
        if not dry and kind == b"blob":
            time.sleep(0.05)  # git's update-index is running meanwhile
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, kind, body, dry)

    with monkeypatch.context() as patched:
        patched.setattr(objects.ObjectWriter, "write", full)
        with pytest.raises(NoSpaceError):
            store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    assert not (store.git_dir / "index.lock").exists()
    assert store.head() == head
    assert run_git(store.root, "status", "--porcelain").stdout == ""  # put back as committed
    assert store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX) == store.head() != head


@pytest.mark.parametrize("setting", [("core.filemode", "no"), ("core.filemode", "0"), ("commit.cleanup", "strip"),
                                     ("commit.gpgSign", "yes"), ("i18n.commitEncoding", "ISO-8859-1"),
                                     ("core.sharedRepository", "group"), ("hook", "post-commit"),
                                     ("core.filemode", "on"), ("commit.cleanup", "whitespace")])
def test_configuration_that_changes_what_git_commit_makes_is_left_to_git(tmp_path, setting):
    store = make_ad_repo(tmp_path / "ad")
    name, value = setting
    if name == "hook":  # in the AD's hooks folder (core.hooksPath)
        hook = store.root / "hooks" / value
        hook.write_text("#!/bin/sh\nexit 0\n")
        hook.chmod(0o755)
    else:
        run_git(store.root, "config", name, value)
    objects._USABLE.clear()
    try:
        harmless = value in ("on", "whitespace")
        assert objects.usable(store.root, store.git_dir) == harmless
    finally:
        objects._USABLE.clear()


@pytest.mark.parametrize("message", ["Saisie\vR001\fde\x1cjuin", "Saisie\u2028R001 ", "Saisie\r\n\r\nR001\r\n",
                                     "  Saisie\u00a0\n\n\n\t\nR001\t \n\n", "\n\nSaisie\n \nR001"])
def test_a_message_is_cleaned_up_as_git_commit_does(message):
    import subprocess

    git_s = subprocess.run(["git", "stripspace"], input=message.encode(), capture_output=True, check=True).stdout
    assert objects._clean_message(message).encode() == git_s


@pytest.mark.parametrize("name", ["Mme Martin", "Élise Ñúñez-Œuvre", "M. Durand Jr.", "\x01Martin", "Martin\x1f",
                                  "'Martin'", "Martin;", "\u00a0Martin", "Mar<tin"])
def test_an_identity_is_written_here_only_when_git_keeps_it_as_given(tmp_path, name):
    import subprocess

    run_git(tmp_path, "init", "-q")
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": "a@b.fr",
           "GIT_COMMITTER_NAME": "c", "GIT_COMMITTER_EMAIL": "c@b.fr"}
    tree = subprocess.run(["git", "mktree"], cwd=tmp_path, input=b"", capture_output=True, check=True).stdout.strip()
    made = subprocess.run(["git", "commit-tree", "-m", "x", tree.decode()], cwd=tmp_path, env=env,
                          capture_output=True, check=False)
    kept = made.returncode == 0 and f"author {name} <a@b.fr> ".encode() in \
        subprocess.run(["git", "cat-file", "commit", made.stdout.strip().decode()], cwd=tmp_path,
                       capture_output=True).stdout
    assert objects._ident_ok(name) == kept


@pytest.mark.parametrize("path", ["documents/.git/config", "documents/.GIT/config", "documents/git~1/config",
                                  "documents/.git./x", "documents/.git /x", "documents/.g\u200cit/x"])
def test_a_path_git_reserves_is_refused_in_french_and_nothing_changes(tmp_path, path):
    from retkoop_tools.policy.writes import Scope
    from retkoop_tools.store.store import StoreError

    store = make_ad_repo(tmp_path / "ad")
    head = store.head()
    with pytest.raises(StoreError, match="réservé à git"):
        store.write(UAI, {path: b"[core]\n"}, TEACHER, "x", validate=False, scope=Scope.SYSTEM)
    assert store.head() == head
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    assert not objects._path_ok(objects.PurePosixPath("ledgers/x/.gitignore"))  # left to git, besides


def test_an_object_already_there_is_freshened_as_git_does(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    writer = objects.writer_for(store.root, store.git_dir)
    sha = writer.write(b"blob", b"du contenu\n")
    path = writer._path(sha)
    os.utime(path, (1_000_000_000, 1_000_000_000))  # unreachable and old: git's gc would prune it
    assert writer.write(b"blob", b"du contenu\n") == sha
    assert path.stat().st_mtime > time.time() - 60
