"""The commits the store writes itself (store/objects.py) are the ones `git commit` makes."""

from __future__ import annotations

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


def test_killed_before_the_branch_moves_the_next_write_puts_the_files_aside(tmp_path, monkeypatch):
    store = make_ad_repo(tmp_path / "ad")
    head = store.head()

    def killed(self, *args, **kwargs):
        raise KeyboardInterrupt  # as a kill would stop it: the index updated, the ref not moved

    with monkeypatch.context() as patched:
        patched.setattr(objects.ObjectWriter, "_move_ref", killed)
        with pytest.raises(KeyboardInterrupt):
            store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    assert store.head() == head
    assert run_git(store.root, "diff", "--cached", "--name-only").stdout.split()  # staged, uncommitted
    commit = store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    shown = run_git(store.root, "show", f"{commit}:{FOLDER}/2025-2026.beancount").stdout
    assert "R002" in shown and "R001" not in shown  # the interrupted write never enters the history
    assert list((store.git_dir / "retkoop-recovered").iterdir())
    assert run_git(store.root, "status", "--porcelain").stdout == ""


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
