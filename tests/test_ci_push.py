"""An AD set up as the README says: `retkoop init`, `coop add`, a bare central repository with
`hooks/pre-receive` copied into it, then pushes, and the same commits checked by
`retkoop check --commits` as a forge's CI runs it.

Every commit a push brings is checked: a rule broken in a middle commit and repaired by the
last one is refused on main, on a new branch and after a force push, by the hook and by CI.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.gitrepo import env_with_retkoop, run_git

A, B = "0910001A", "0910002B"
ZERO = "0" * 40
AUTEUR = "Compta AD <compta@ad91.fr>"


def retkoop(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["retkoop", *args], cwd=cwd, capture_output=True, text=True, env=env_with_retkoop())


def exercice(clone: Path, uai: str = A) -> Path:
    return clone / "ledgers" / uai / "2025-2026.beancount"


def append(clone: Path, text: str, uai: str = A) -> None:
    path = exercice(clone, uai)
    path.write_text(path.read_text() + "\n" + text)


def sale(piece: str, amount: str = "15.00") -> str:
    return f"""2025-10-10 * "Famille Martin" "Participation volontaire"
  piece: "{piece}"
  mode: "ESP"
  Actif:530-Caisse                        {amount} EUR
  Produits:7562-Participation-familles  -{amount} EUR
"""


def cash_purchase(piece: str, amount: str = "40.00", day: int = 5) -> str:
    """Paid in cash: the caisse of a new coop is empty, so it goes negative."""
    return f"""2025-10-{day:02d} * "Papeterie" "Feutres"
  piece: "{piece}"
  mode: "ESP"
  Charges:6063-Fournitures-activites  {amount} EUR
  Actif:530-Caisse                   -{amount} EUR
"""


def head(repo: Path, rev: str = "HEAD") -> str:
    return run_git(repo, "rev-parse", rev).stdout.strip()


@pytest.fixture
def ad(tmp_path) -> tuple[Path, Path]:
    """A fresh AD pushed to its central repository: (working clone, bare central)."""
    root = tmp_path / "ad91"
    assert retkoop(tmp_path, "init", str(root), "--ad", "91", "--nom", "OCCE de l'Essonne",
                   "--auteur", AUTEUR).returncode == 0
    for uai, nom in ((A, "École Jean Jaurès"), (B, "École du Parc")):
        proc = retkoop(tmp_path, "coop", "add", uai, "--nom", nom, "--exercice", "2025-2026",
                       "--repo", str(root), "--auteur", AUTEUR)
        assert proc.returncode == 0, proc.stderr
    central = tmp_path / "central.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(central))
    shutil.copy(root / "hooks" / "pre-receive", central / "hooks" / "pre-receive")
    run_git(root, "remote", "add", "origin", str(central))
    return root, central


def push(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return run_git(clone, "push", "origin", *args, check=False)


def test_fresh_ad_is_accepted_with_its_whole_history(ad, tmp_path):
    root, central = ad
    proc = push(root, "main")
    assert proc.returncode == 0, proc.stderr
    assert head(central, "main") == head(root)
    # CI on that first push (base 0000…): every commit, the creation one included, passes.
    ci = tmp_path / "ci"
    run_git(tmp_path, "clone", "-q", str(central), str(ci))
    proc = retkoop(ci, "check", "--commits", f"{ZERO}..HEAD", "--junit", "rapport.xml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "vérification de tout l'historique (3 commits)" in proc.stdout
    assert "Création du dépôt de l'AD 91" in proc.stdout
    assert ".gitkeep" not in proc.stdout
    assert "3 commits vérifiés, 0 en erreur." in proc.stdout
    assert len(ET.parse(ci / "rapport.xml").getroot().findall("testsuite")) == 3


def test_an_ad_yaml_edit_checks_the_real_coops_only(ad, tmp_path):
    root, central = ad
    assert push(root, "main").returncode == 0
    base = head(root)
    ad_yaml = root / "ad.yaml"
    ad_yaml.write_text(ad_yaml.read_text() + "siren: '123456789'\n")
    run_git(root, "commit", "-qam", "SIREN de l'AD")
    proc = push(root, "main")
    assert proc.returncode == 0, proc.stderr
    proc = retkoop(root, "check", "--commits", f"{base}..HEAD")
    assert proc.returncode == 0, proc.stdout
    assert "SIREN de l'AD : 2 coopératives, OK" in proc.stdout
    # A folder of ledgers/ without coop.beancount is not let in unchecked.
    stray = root / "ledgers" / "0910099Z"
    stray.mkdir()
    (stray / "2025-2026.beancount").write_text(sale("R1"))
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "Dossier égaré", "--no-verify")
    proc = push(root, "main")
    assert proc.returncode != 0
    assert "La coopérative 0910099Z n'existe pas." in proc.stderr


def test_a_document_with_an_accented_name_is_checked(ad):
    """git quotes such paths unless asked not to: the commit must still reach its coop."""
    root, central = ad
    assert push(root, "main").returncode == 0
    docs = root / "ledgers" / A / "documents"
    docs.mkdir(exist_ok=True)
    (docs / "relevé-octobre.pdf").symlink_to(f"../../{B}/2025-2026.beancount")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "Relevé", "--no-verify")
    proc = push(root, "main")
    assert proc.returncode != 0
    assert "documents/relevé-octobre.pdf est un lien symbolique" in proc.stderr


def bad_middle_commit(clone: Path) -> str:
    """Three commits whose last one is right but whose middle one leaves the caisse negative."""
    append(clone, sale("R1"))
    run_git(clone, "commit", "-qam", "Saisie R1")
    append(clone, cash_purchase("D1"))
    run_git(clone, "commit", "-qam", "Achat en espèces", "--no-verify")
    bad = head(clone)
    append(clone, sale("R2", "50.00").replace("2025-10-10", "2025-10-05"))
    run_git(clone, "commit", "-qam", "Saisie oubliée")
    assert retkoop(clone, "check", "--all").returncode == 0  # the tip alone is right
    return bad


def assert_refused(proc: subprocess.CompletedProcess, bad: str) -> None:
    assert proc.returncode != 0
    assert f"Commit {bad[:10]} « Achat en espèces »" in proc.stderr
    assert f"{A} ledgers/{A}/2025-2026.beancount:" in proc.stderr
    assert "La caisse serait négative le 05/10/2025" in proc.stderr
    assert "Poussée refusée : 1 commit(s)" in proc.stderr


def ci_check(clone: Path, base: str) -> subprocess.CompletedProcess:
    return retkoop(clone, "check", "--commits", f"{base}..HEAD", "--junit", "rapport.xml")


def assert_ci_names(proc: subprocess.CompletedProcess, clone: Path, bad: str) -> None:
    assert proc.returncode == 1
    assert f"{bad[:10]} Achat en espèces : 1 coopérative, 1 erreur" in proc.stdout
    assert "La caisse serait négative le 05/10/2025" in proc.stdout
    failures = [s.get("name") for s in ET.parse(clone / "rapport.xml").getroot().findall("testsuite")
                if s.get("failures") != "0"]
    assert failures == [f"{bad[:10]} Achat en espèces"]


def test_a_bad_middle_commit_on_main_is_refused(ad):
    root, central = ad
    assert push(root, "main").returncode == 0
    before = head(central, "main")
    bad = bad_middle_commit(root)
    assert_refused(push(root, "main"), bad)
    assert head(central, "main") == before
    assert_ci_names(ci_check(root, before), root, bad)


def test_a_bad_middle_commit_on_a_new_branch_is_refused(ad):
    root, central = ad
    assert push(root, "main").returncode == 0
    run_git(root, "fetch", "-q", "origin")
    run_git(root, "checkout", "-qb", "saisies-octobre")
    bad = bad_middle_commit(root)
    assert_refused(push(root, "saisies-octobre"), bad)
    assert run_git(central, "branch", "--list", "saisies-octobre").stdout == ""
    # CI on a new branch (base 0000…): the three commits main does not have, not only the tip.
    proc = ci_check(root, ZERO)
    assert "vérification des 3 commits absents de origin/main" in proc.stdout
    assert "3 commits vérifiés, 1 en erreur." in proc.stdout
    assert_ci_names(proc, root, bad)


def test_a_bad_middle_commit_after_a_force_push_is_refused(ad, tmp_path):
    root, central = ad
    run_git(root, "checkout", "-qb", "saisies")
    append(root, sale("R1"))
    run_git(root, "commit", "-qam", "Saisie R1")
    assert push(root, "main", "saisies").returncode == 0
    old_tip = head(root)
    run_git(root, "reset", "-q", "--hard", "HEAD~1")
    bad = bad_middle_commit(root)
    assert_refused(push(root, "--force", "saisies"), bad)
    assert head(central, "saisies") == old_tip
    # CI after a force push that a forge accepted: its clone lacks the old tip (BASE).
    ci = tmp_path / "ci"
    run_git(tmp_path, "clone", "-q", str(central), str(ci))
    run_git(ci, "fetch", "-q", str(root), "saisies")
    run_git(ci, "checkout", "-q", "FETCH_HEAD")
    missing = "1234567890" * 4
    proc = ci_check(ci, missing)
    assert "La base 1234567890 est absente du clone (poussée forcée ?)" in proc.stdout
    assert "vérification des 3 commits absents de origin/main" in proc.stdout
    assert_ci_names(proc, ci, bad)


def test_a_revision_missing_from_the_clone_still_gives_a_report(ad):
    root, _central = ad
    proc = retkoop(root, "check", "--commits", f"{ZERO}..{'ab' * 20}", "--junit", "rapport.xml")
    assert proc.returncode == 1
    assert f"La révision à vérifier « {'ab' * 20} » est introuvable dans ce clone." in proc.stderr
    failure = ET.parse(root / "rapport.xml").getroot().find("testsuite/testcase/failure")
    assert "introuvable dans ce clone" in failure.text


def test_a_zero_base_on_the_principal_branch_checks_its_whole_history(ad):
    """The first push of main, or a pipeline started by hand on it: nothing tells them apart."""
    root, central = ad
    assert push(root, "main").returncode == 0
    proc = ci_check(root, ZERO)
    assert proc.returncode == 0
    assert "et HEAD est sur origin/main : vérification de tout l'historique (3 commits)." in proc.stdout
    proc = retkoop(root, "check", "--commits", f"{ZERO}..HEAD", "--principale", "origin/nulle-part")
    assert "origin/nulle-part est absente du clone : vérification de tout l'historique" in proc.stdout


# -- pre-commit: the index git prepared, whatever the form of `git commit` -----------------

def refused_commit(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{A} ledgers/{A}/2025-2026.beancount:" in proc.stderr
    assert "La caisse serait négative le 05/10/2025" in proc.stderr
    assert "Commit refusé" in proc.stderr


def test_pre_commit_checks_commit_a(ad):
    root, _ = ad
    before = head(root)
    append(root, cash_purchase("D1"))
    refused_commit(run_git(root, "commit", "-am", "Achat", check=False))
    assert head(root) == before
    append(root, sale("R1", "50.00").replace("2025-10-10", "2025-10-01"))
    assert run_git(root, "commit", "-qam", "Achat après recette", check=False).returncode == 0


def test_pre_commit_checks_commit_with_paths(ad):
    root, _ = ad
    before = head(root)
    append(root, cash_purchase("D1"))
    append(root, sale("R1"), uai=B)
    refused_commit(run_git(root, "commit", "-m", "Achat", "--", f"ledgers/{A}/2025-2026.beancount",
                           check=False))
    assert head(root) == before
    # Only B's file: the index git prepares holds B's change alone, which is right.
    assert run_git(root, "commit", "-qm", "Recette B", "--", f"ledgers/{B}", check=False).returncode == 0
    assert run_git(root, "show", "--stat", "--format=", "HEAD").stdout.count("|") == 1


def test_pre_commit_checks_commit_amend(ad):
    root, _ = ad
    append(root, sale("R1"))
    run_git(root, "commit", "-qam", "Saisie R1")
    amended = head(root)
    append(root, cash_purchase("D1"))
    refused_commit(run_git(root, "commit", "--amend", "-am", "Saisie R1 et achat", check=False))
    run_git(root, "add", "-A")
    refused_commit(run_git(root, "commit", "--amend", "--no-edit", check=False))
    assert head(root) == amended
