"""Writers at once, and after a crash: a write commits exactly what it wrote, nothing else, and
never loses what another writer committed meanwhile."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import (
    RECOVERED_DIRNAME,
    RuleViolationError,
    StaleWriteError,
)
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


def test_portal_saves_while_the_cli_imports_lose_nothing(books_repo, tmp_path):  # noqa: F811
    """The same race through the real portal: teachers save with Fava's API while `retkoop
    import` and `coop regie` run as commands."""
    from werkzeug.test import Client

    from retkoop_tools.web.accounts import Accounts
    from retkoop_tools.web.portal import Portal

    password = "Une phrase de passe assez longue !"
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Martin", password=password)
    portal = Portal(books_repo.root, tmp_path / "instance", backup=False)
    slug = portal.pool.slug(UAI)
    saved, errors, done = [], [], threading.Event()

    def teacher(first: int) -> None:
        client = Client(portal)
        client.post("/connexion", data={"identifiant": UAI, "mot_de_passe": password, "suite": "/"})
        n = first
        while not done.is_set() and n < first + 60:
            entry = {"t": "Transaction", "date": "2025-10-20", "flag": "*", "payee": f"Famille {n}",
                     "narration": "Participation volontaire", "tags": [], "links": [],
                     "meta": {"piece": f"R{n:03d}", "mode": "ESP"},
                     "postings": [{"account": "Actif:530-Caisse", "amount": "15.00 EUR"},
                                  {"account": "Produits:7562-Participation-familles", "amount": "-15.00 EUR"}]}
            response = client.put(f"/coop/{UAI}/{slug}/api/add_entries", json={"entries": [entry]},
                                  headers={"Origin": "http://localhost"})
            if response.status_code == 200:
                saved.append(n)
            elif "déjà utilisée" not in response.get_data(as_text=True):  # the import took the number
                errors.append(response.get_data(as_text=True))
            n += 1

    threads = [threading.Thread(target=teacher, args=(first,)) for first in (300, 400)]
    for thread in threads:
        thread.start()
    runs = [subprocess.run([sys.executable, "-m", "retkoop_tools", *args, "--repo", str(books_repo.root)],
                           capture_output=True, text=True, env=env_with_retkoop())
            for args in (["import", UAI, str(SAMPLES / "releve-2025-09.ofx")], ["coop", "regie", UAI, "Mme Petit"])]
    done.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert all(run.returncode == 0 for run in runs), [run.stdout + run.stderr for run in runs]
    text = books_repo.text()
    assert saved and not [n for n in saved if f'piece: "R{n:03d}"' not in text]
    assert 'custom "releve"' in text and "Petit" in (books_repo.coop_dir / "comptes.beancount").read_text()
    assert run_git(books_repo.root, "status", "--porcelain").stdout == ""
