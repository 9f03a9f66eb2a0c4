"""The store on real git repositories: validated, atomic, committed, attributed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import RuleViolationError, Store, StoreError
from tests.gitrepo import TEACHER, make_ad_repo, run_git, sale

EX = Exercice(2025)
UAI = "0910001A"


@pytest.fixture
def store(tmp_path) -> Store:
    return make_ad_repo(tmp_path / "ad")


def log(root: Path, *args: str) -> list[str]:
    return run_git(root, "log", "--format=%an|%ae|%cn|%s", *args).stdout.splitlines()


def test_a_write_is_one_commit_by_the_user_limited_to_the_coop(store):
    root = store.root
    (root / "ad.yaml").write_text((root / "ad.yaml").read_text() + "# brouillon\n")  # not ours
    commit = store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001 du 10/10/2025 : Famille 1, 15,00 €", EX)
    assert commit == store.head()
    assert log(root, "-1") == ["Mme Martin|martin@ecole.fr|retkoop|Saisie R001 du 10/10/2025 : Famille 1, 15,00 €"]
    body = run_git(root, "log", "-1", "--format=%b").stdout
    assert "Coopérative: 0910001A" in body
    files = run_git(root, "show", "--name-only", "--format=", "HEAD").stdout.split()
    # The books, and the AD console's summary of them (console/committed.py).
    assert files == [f"ledgers/{UAI}/2025-2026.beancount", f"ledgers/{UAI}/resume-console.json"]
    assert run_git(root, "status", "--porcelain").stdout.strip() == "M ad.yaml"


def test_a_write_that_breaks_a_rule_changes_nothing(store):
    root = store.root
    path = root / "ledgers" / UAI / "2025-2026.beancount"
    before, head = path.read_bytes(), store.head()
    bad = sale(1).replace('  piece: "R001"\n', "")  # no pièce
    with pytest.raises(RuleViolationError) as info:
        store.insert_entries(UAI, bad, TEACHER, "Saisie", EX)
    assert "Pièce manquante" in str(info.value)
    assert str(info.value).startswith("Modification refusée")
    assert path.read_bytes() == before and store.head() == head
    assert run_git(root, "status", "--porcelain").stdout == ""
    # and a second line of the same file (cash would go negative) is refused too
    expense = """2025-10-12 * "Boulangerie" "Goûter"
  piece: "D001"
  mode: "ESP"
  Actif:530-Caisse                     -500.00 EUR
  Charges:6063-Fournitures-activites    500.00 EUR
"""
    with pytest.raises(RuleViolationError, match="La caisse serait négative"):
        store.insert_entries(UAI, expense, TEACHER, "Saisie", EX)
    assert path.read_bytes() == before and store.head() == head


def test_a_write_on_books_with_old_errors_is_judged_on_what_it_adds(store):
    root = store.root
    path = root / "ledgers" / UAI / "2025-2026.beancount"
    # An old error committed by hand (bypassing hooks): a pièce missing.
    path.write_text(path.read_text().replace('2025-08-31 custom "fava-option"', sale(1).replace('  piece: "R001"\n', "") + '\n2025-08-31 custom "fava-option"'))
    run_git(root, "commit", "-qam", "à la main", "--no-verify")
    assert store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    with pytest.raises(RuleViolationError):
        store.insert_entries(UAI, sale(3).replace('"R003"', '"R002"'), TEACHER, "Saisie R002 bis", EX)


def test_paths_stay_in_the_coop(store):
    with pytest.raises(StoreError, match="doit rester dans le dossier"):
        store.write(UAI, {"../0910002B/coop.beancount": "x"}, TEACHER, "x")
    with pytest.raises(StoreError, match="n'existe pas"):
        store.write("0910099Z", {"a.txt": "x"}, TEACHER, "x")


def test_unchanged_content_makes_no_commit(store):
    path = store.root / "ledgers" / UAI / "comptes.beancount"
    head = store.head()
    assert store.write(UAI, {"comptes.beancount": path.read_text()}, TEACHER, "rien") is None
    assert store.head() == head


def test_documents_are_written_and_committed(store):
    commit = store.write(UAI, {"documents/releves/2025-10.pdf": b"%PDF-1.4 fake"}, TEACHER, "Relevé d'octobre")
    assert commit
    assert (store.root / "ledgers" / UAI / "documents/releves/2025-10.pdf").read_bytes() == b"%PDF-1.4 fake"


def _concurrent_writer(args):
    root, uai, n = args
    store = Store(Path(root))
    store.insert_entries(uai, sale(n, day=1 + n % 28), TEACHER, f"Saisie R{n:03d}", EX)
    return n


def test_twenty_concurrent_writers_on_five_coops(tmp_path):
    uais = ("0910001A", "0910002B", "0910003C", "0910004D", "0910005E")
    store = make_ad_repo(tmp_path / "ad", uais)
    before = int(run_git(store.root, "rev-list", "--count", "HEAD").stdout)
    jobs = [(str(store.root), uais[n % 5], n) for n in range(1, 21)]
    # Ten processes (file lock) each running… one write; and ten threads in this process.
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(10) as pool:
        async_result = pool.map_async(_concurrent_writer, jobs[:10])
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(10) as threads:
            done_threads = list(threads.map(_concurrent_writer, jobs[10:]))
        done_procs = async_result.get(timeout=120)
    assert sorted(done_procs + done_threads) == list(range(1, 21))
    after = int(run_git(store.root, "rev-list", "--count", "HEAD").stdout)
    assert after - before == 20
    assert run_git(store.root, "status", "--porcelain").stdout == ""
    for n in range(1, 21):
        text = (store.root / "ledgers" / uais[n % 5] / "2025-2026.beancount").read_text()
        assert f'"Famille {n}" "Participation volontaire"' in text
    run_git(store.root, "fsck", "--strict")


KILLED_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from retkoop_tools.store.store import Store, Author
    root, uai = Path(sys.argv[1]), sys.argv[2]
    store = Store(root)
    big = "; " + "x" * 200 + "\\n"
    n = 0
    while True:
        n += 1
        text = (root / "ledgers" / uai / "comptes.beancount").read_text()
        base = text.split("; padding")[0]
        store.write(uai, {"comptes.beancount": base + f"; padding {n}\\n" + big * (2000 + n % 7)},
                    Author("Robot", "robot@test"), f"Écriture {n}")
        print(n, flush=True)
""")


def test_a_writer_killed_mid_write_leaves_old_or_new_and_a_clean_history(store, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    path = store.root / "ledgers" / UAI / "comptes.beancount"
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, str(script), str(store.root), UAI],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.4 + 0.13 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # A git command of the killed writer may still be running: it holds the lock until it
        # ends, so taking the lock waits for it (fsck while a commit is written sees objects
        # that are not listed yet).
        with store.locked():
            run_git(store.root, "fsck", "--strict")
        text = path.read_text()
        # Whole: a version that starts with the generated accounts and ends with a full line.
        assert text.startswith("; Comptes de la coopérative") and text.endswith("\n")
        if "; padding" in text:
            n = int(text.split("; padding ")[1].split("\n")[0])
            assert text.count("x" * 200) == 2000 + n % 7
        # The next write recovers whatever was left uncommitted and commits cleanly.
        assert store.insert_entries(UAI, sale(100 + attempt, day=1 + attempt), TEACHER, "Après", EX)
        assert run_git(store.root, "status", "--porcelain").stdout == ""
    recovered = list((store.git_dir / "retkoop-recovered").glob("*")) if (store.git_dir / "retkoop-recovered").exists() else []
    assert all((d / "status.txt").exists() for d in recovered)


HELD_THEN_KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from retkoop_tools.store.gitcmd import git
    from retkoop_tools.store.store import Store
    store = Store(Path(sys.argv[1]))
    with store.locked():
        print("verrou", flush=True)
        # A slow git command that outlives this process (killed while it runs).
        git(store.root, "-c", "alias.lent=!touch parti && sleep 1.5 && touch fini", "lent")
""")


def test_a_git_command_left_running_by_a_killed_writer_keeps_the_lock_until_it_ends(store, tmp_path):
    script = tmp_path / "held.py"
    script.write_text(HELD_THEN_KILLED)
    proc = subprocess.Popen([sys.executable, str(script), str(store.root)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "verrou"
    deadline = time.monotonic() + 60
    while not (store.root / "parti").exists():  # git has started
        assert time.monotonic() < deadline, "git n'a pas démarré"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (store.root / "fini").exists()
    # The writer is dead, its git is not: the lock is only ours once that git has finished.
    with store.locked():
        assert (store.root / "fini").exists()
    (store.root / "fini").unlink()
    (store.root / "parti").unlink()


def _git_commands(monkeypatch) -> list[str]:
    """The git commands the store runs from now on (their first word)."""
    import retkoop_tools.store.objects as objects_module
    import retkoop_tools.store.store as store_module

    calls: list[str] = []
    real, real_started = store_module.git, store_module.git_started
    for module in (store_module, objects_module):
        monkeypatch.setattr(module, "git", lambda cwd, *args, **kw: calls.append(args[0]) or real(cwd, *args, **kw))
        monkeypatch.setattr(module, "git_started",
                            lambda cwd, *args, **kw: calls.append(args[0]) or real_started(cwd, *args, **kw))
    return calls


def test_a_write_runs_git_twice_once_for_nothing_to_commit_and_returns_its_commit(store, monkeypatch):
    calls = _git_commands(monkeypatch)
    commit = store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    # The index (the store writes the commit: store/objects.py); the coop's seal says there is
    # nothing to put aside (`git status` otherwise, test_seal_*).
    assert calls == ["update-index", "update-ref"]
    calls.clear()
    assert commit == store.head() and log(store.root, "-1") == ["Mme Martin|martin@ecole.fr|retkoop|Saisie R001"]
    calls.clear()
    commit = store.write(UAI, {"documents/releves/2025-10.pdf": b"%PDF-1.4 fake"}, TEACHER, "Relevé")
    assert calls == ["update-index", "update-ref"]  # a new file too
    assert commit == store.head()
    # The document, and the console's summary (whose key holds the names of the documents).
    assert run_git(store.root, "show", "--name-only", "--format=", "HEAD").stdout.split() == [
        f"ledgers/{UAI}/documents/releves/2025-10.pdf", f"ledgers/{UAI}/resume-console.json"]
    calls.clear()
    commit = store.write(UAI, {"documents/releves/2025-10.pdf": None}, TEACHER, "Relevé retiré")
    assert calls == ["update-index", "update-ref"] and commit == store.head()
    assert run_git(store.root, "show", "--name-status", "--format=", "HEAD").stdout.split() == [
        "D", f"ledgers/{UAI}/documents/releves/2025-10.pdf", "M", f"ledgers/{UAI}/resume-console.json"]
    calls.clear()
    path = store.root / "ledgers" / UAI / "2025-2026.beancount"
    assert store.write(UAI, {"2025-2026.beancount": path.read_text()}, TEACHER, "rien") is None
    assert calls == []  # nothing to commit: the trees say so
    assert run_git(store.root, "status", "--porcelain").stdout == ""


def test_writes_under_one_hold_of_the_coop_s_lock_look_for_leftovers_once(store, monkeypatch):
    calls = _git_commands(monkeypatch)
    with store.prepare(UAI):
        store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
        store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    commit = ["update-index", "update-ref"]  # the index, the branch (the store writes the objects)
    assert calls == commit * 2  # the seal of the last write: nothing to look for
    path = store.root / "ledgers" / UAI / "2025-2026.beancount"
    path.write_bytes(path.read_bytes())  # the same bytes, written by someone else
    with store.prepare(UAI):
        store.insert_entries(UAI, sale(3), TEACHER, "Saisie R003", EX)
        store.insert_entries(UAI, sale(4), TEACHER, "Saisie R004", EX)
    assert calls == commit * 2 + ["status"] + commit * 2
    with store.prepare(UAI):  # a new hold: another writer may have come in between, the seal tells
        pass
    assert calls == commit * 2 + ["status"] + commit * 2


@pytest.mark.parametrize("how", ["same size, dates put back", "new inode", "removed", "new file", "folder"])
def test_seal_any_change_behind_the_store_s_back_is_put_aside(store, how):
    """The seal (store._signature) never takes a changed folder for a committed one: what was
    changed is put aside by the next write, as `git status` alone did."""
    import os

    coop = store.root / "ledgers" / UAI
    path = coop / "2025-2026.beancount"
    before = path.stat()
    text = path.read_bytes()
    if how == "same size, dates put back":  # in place, as Fava writes, one byte changed
        with open(path, "r+b") as f:
            f.seek(text.index(b"Reprise"))
            f.write(b"r")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    elif how == "new inode":
        tmp = coop / "copie"
        tmp.write_bytes(text.replace(b"Reprise", b"reprise"))
        os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(tmp, path)
    elif how == "removed":
        (coop / "comptes.beancount").unlink()
    elif how == "new file":
        (coop / "notes.txt").write_text("brouillon")
    else:
        (coop / "documents" / "vide").mkdir(parents=True)
        (coop / "documents" / "vide" / "x.pdf").write_bytes(b"%PDF")
    store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    assert list((store.git_dir / "retkoop-recovered").iterdir())
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    assert b"Reprise" in path.read_bytes() and (coop / "comptes.beancount").exists()
    assert "R001" in run_git(store.root, "show", f"HEAD:ledgers/{UAI}/2025-2026.beancount").stdout


def test_seal_at_start_up_the_clean_coops_are_sealed_the_others_put_aside(tmp_path, monkeypatch):
    import shutil

    store = make_ad_repo(tmp_path / "ad", uais=(UAI, "0910002B"))
    shutil.rmtree(store.git_dir / "retkoop-propre")  # a repository the portal never served
    left = store.root / "ledgers" / "0910002B" / "notes.txt"
    left.write_text("laissé par une écriture interrompue")
    assert store.recover_all() == ["0910002B"]
    assert not left.exists() and list((store.git_dir / "retkoop-recovered").iterdir())
    calls = _git_commands(monkeypatch)
    store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    store.insert_entries("0910002B", sale(1), TEACHER, "Saisie R001", EX)
    assert calls == ["update-index", "update-ref", "update-index", "update-ref"]  # both sealed: no `git status`
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""


def test_a_write_git_failed_to_commit_under_a_hold_is_put_aside_at_once(store, monkeypatch):
    from retkoop_tools.store.gitcmd import GitError
    from retkoop_tools.store.store import CommitError

    root = store.root
    with store.prepare(UAI):
        with monkeypatch.context() as patched:
            def failing(*args, **kwargs):
                raise GitError("git commit a échoué : simulé")

            patched.setattr(store, "_commit", failing)
            with pytest.raises(CommitError):
                store.write(UAI, {"documents/a.pdf": b"%PDF-1.4 a"}, TEACHER, "A")
        assert not (root / "ledgers" / UAI / "documents" / "a.pdf").exists()  # written, put aside
        store.write(UAI, {"documents/b.pdf": b"%PDF-1.4 b"}, TEACHER, "B")
    files = run_git(root, "show", "--name-only", "--format=", "HEAD").stdout.split()
    assert files == [f"ledgers/{UAI}/documents/b.pdf", f"ledgers/{UAI}/resume-console.json"]
    assert not (root / "ledgers" / UAI / "documents" / "a.pdf").exists()
    recovered = list((store.git_dir / "retkoop-recovered").iterdir())
    assert len(recovered) == 1 and (recovered[0] / "untracked" / "a.pdf").read_bytes() == b"%PDF-1.4 a"
    assert run_git(root, "status", "--porcelain").stdout == ""


def test_seal_at_start_up_a_coop_git_finds_changed_is_put_aside_though_its_files_match_its_seal(tmp_path):
    store = make_ad_repo(tmp_path / "ad", uais=(UAI, "0910002B"))
    store.write(UAI, {"documents/releves/2025-10.pdf": b"%PDF-1.4 a"}, TEACHER, "Relevé")
    store.recover_all()  # both sealed
    # By hand on the server, the files untouched: a document taken out of the index…
    run_git(store.root, "rm", "-q", "--cached", f"ledgers/{UAI}/documents/releves/2025-10.pdf")
    assert store.recover_all() == [UAI]
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    # … a document moved by `git mv` from one coop to the other: both coops are concerned.
    (store.root / "ledgers" / "0910002B" / "documents").mkdir(exist_ok=True)
    run_git(store.root, "mv", f"ledgers/{UAI}/documents/releves/2025-10.pdf", "ledgers/0910002B/documents/x.pdf")
    assert store.recover_all() == [UAI, "0910002B"]
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    commit = store.insert_entries("0910002B", sale(1), TEACHER, "Saisie R001", EX)
    assert "x.pdf" not in run_git(store.root, "ls-tree", "-r", "--name-only", commit).stdout


def test_a_write_git_refuses_to_commit_is_put_back_and_said_in_french(store):
    from retkoop_tools.store.store import CommitError

    head = store.head()
    path = store.root / "ledgers" / UAI / "2025-2026.beancount"
    before = path.read_bytes()
    (store.git_dir / "index.lock").write_text("")  # a git command run by hand on the server
    with pytest.raises(CommitError, match="rien n'a été enregistré"):
        store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    assert store.head() == head and path.read_bytes() == before
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
    assert "R001" in run_git(store.root, "show", f"{store.insert_entries(UAI, sale(1), TEACHER, 'R001', EX)}:"
                             f"ledgers/{UAI}/2025-2026.beancount").stdout


@pytest.mark.parametrize("name", ["documents/.scan.pdf.tmp", "documents/x.picklecache", "__pycache__/x.pyc"])
def test_a_name_of_the_store_s_temporary_files_is_refused(store, name):
    from retkoop_tools.policy.writes import Scope
    from retkoop_tools.store.store import StoreError

    head = store.head()
    with pytest.raises(StoreError, match="temporaire"):
        store.write(UAI, {name: b"x"}, TEACHER, "x", validate=False, scope=Scope.SYSTEM)
    assert store.head() == head
    assert run_git(store.root, "status", "--porcelain", "--untracked-files=all").stdout == ""
