"""Writers at once, and after a crash: a write commits exactly what it wrote, nothing else, and
never loses what another writer committed meanwhile."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import RECOVERED_DIRNAME, RuleViolationError, StaleWriteError
from retkoop_tools.tresorier.editing import Edits
from tests.banque.conftest import SAMPLES, books_repo  # noqa: F401 - fixture
from tests.gitrepo import TEACHER, env_with_retkoop, run_git, sale
from tests.tresorier.conftest import UAI, repo  # noqa: F401 - fixture

EX = Exercice(2025)


def test_a_change_computed_from_a_stale_file_is_refused(repo):  # noqa: F811
    """Edits read the file, another writer commits, the first write is refused: nothing lost."""
    edits = Edits(repo.coop_dir)
    edits.insert(EX, sale(1))
    changes = edits.changes()
    repo.store.insert_entries(UAI, sale(2), TEACHER, "Saisie R002", EX)
    head = repo.store.head()
    with pytest.raises(StaleWriteError) as info:
        repo.store.write(UAI, changes, TEACHER, "Saisie R001", expected=changes.originals)
    assert "rechargez la page" in str(info.value)
    assert repo.store.head() == head and 'piece: "R002"' in repo.text()


def test_a_leftover_edit_is_set_aside_not_committed_by_the_next_writer(repo):  # noqa: F811
    """An uncommitted edit (one the pre-commit hook had refused, say) is kept aside, never
    committed under another user's name; a staged new file too."""
    path = repo.coop_dir / "2025-2026.beancount"
    path.write_text(path.read_text().replace("Reprise des soldes", "Reprise modifiée à la main"))
    stray = repo.coop_dir / "documents" / "2025-10-01.stray.pdf"
    stray.write_bytes(b"%PDF-1.4 stray\n")
    run_git(repo.root, "add", str(stray))
    with repo.store.prepare(UAI):  # a writer computes its change from the last commit
        edits = Edits(repo.coop_dir)
        edits.insert(EX, sale(1))
        changes = edits.changes()
        repo.store.write(UAI, changes, TEACHER, "Saisie R001", expected=changes.originals)
    shown = run_git(repo.root, "show", "--format=", "HEAD").stdout
    assert "Reprise modifiée" not in shown and "stray" not in shown and 'piece: "R001"' in shown
    assert run_git(repo.root, "status", "--porcelain").stdout == ""
    kept = sorted((repo.root / ".git" / RECOVERED_DIRNAME).iterdir())[-1]
    patch = (kept / "diff.patch").read_text()
    assert "Reprise modifiée à la main" in patch and "stray" in patch


def test_a_cli_import_while_the_portal_saves_loses_no_save(books_repo):  # noqa: F811
    """`retkoop import` and `coop regie` run while teachers save: every save answered is in the
    books after."""
    saved, errors, done = [], [], threading.Event()

    def teacher(first: int) -> None:
        n = first
        while not done.is_set() and n < first + 80:
            try:
                books_repo.store.insert_entries(UAI, sale(n, day=20), TEACHER, f"Saisie R{n:03d}", EX)
                saved.append(n)
            except RuleViolationError:
                pass  # the import took that pièce number first: refused, not lost
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                errors.append(exc)
            n += 1

    threads = [threading.Thread(target=teacher, args=(first,)) for first in (100, 200)]
    for thread in threads:
        thread.start()
    imports = []
    for sample in ("releve-2025-09.ofx", "credit-agricole-2025-09.csv", "releve-2025-09.ofx"):
        imports.append(subprocess.run([sys.executable, "-m", "retkoop_tools", "import", UAI, str(SAMPLES / sample),
                                       "--repo", str(books_repo.root)],
                                      capture_output=True, text=True, env=env_with_retkoop()))
    for teacher_name in ("Mme Petit", "M. Grand"):
        imports.append(subprocess.run([sys.executable, "-m", "retkoop_tools", "coop", "regie", UAI, teacher_name,
                                       "--repo", str(books_repo.root)],
                                      capture_output=True, text=True, env=env_with_retkoop()))
    done.set()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert all(p.returncode == 0 for p in imports[-2:]), [p.stderr for p in imports[-2:]]
    assert "Petit" in (books_repo.coop_dir / "comptes.beancount").read_text()
    assert saved and imports[0].returncode == 0, imports[0].stdout + imports[0].stderr
    text = books_repo.text()
    missing = [n for n in saved if f'piece: "R{n:03d}"' not in text]
    assert not missing, f"saves lost by the import: {missing}"
    assert 'custom "releve"' in text
    assert run_git(books_repo.root, "status", "--porcelain").stdout == ""
