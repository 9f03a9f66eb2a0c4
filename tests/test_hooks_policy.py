"""Hooks, CI and `retkoop check` never import or open what a pushed ledger file names.

The pushed commits carry a plugin that would write a file when imported: the real
pre-receive hook refuses them, naming the commit, the coop and the line, and the file never
appears.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retkoop_tools.store.store import Store
from tests.gitrepo import env_with_retkoop, make_ad_repo, run_git

UAI, OTHER = "0910001A", "0910002B"
REPO = Path(__file__).resolve().parent.parent


def evil_module(marker: Path) -> str:
    return f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n__plugins__ = ()\n"


def header_plugin(clone: Path, marker: Path) -> None:
    """coop.beancount loads a plugin from the coop's folder (insert_pythonpath)."""
    coop = clone / "ledgers" / UAI
    (coop / "retkoop_evil.py").write_text(evil_module(marker))
    path = coop / "coop.beancount"
    path.write_text(path.read_text().replace(
        'plugin "retkoop_plugins.plan_comptable"',
        'option "insert_pythonpath" "TRUE"\nplugin "retkoop_evil"\nplugin "retkoop_plugins.plan_comptable"'))


def exercice_include(clone: Path, marker: Path) -> None:
    """An exercice file includes another coop's books."""
    path = clone / "ledgers" / UAI / "2025-2026.beancount"
    path.write_text(path.read_text() + f'\ninclude "../{OTHER}/2025-2026.beancount"\n')


def exercice_fava_extension(clone: Path, marker: Path) -> None:
    """An exercice file declares a Fava extension (Fava would import it)."""
    coop = clone / "ledgers" / UAI
    (coop / "retkoop_evil.py").write_text(evil_module(marker))
    path = coop / "2025-2026.beancount"
    path.write_text(path.read_text() + '\n2025-09-02 custom "fava\\-extension" "retkoop_evil"\n')


def symlink_document(clone: Path, marker: Path) -> None:
    """A pièce justificative that is a link to another coop's books."""
    docs = clone / "ledgers" / UAI / "documents" / "Actif" / "512-Banque"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "2025-10-01.releve.pdf").symlink_to(f"../../../../{OTHER}/2025-2026.beancount")


ATTACKS = {
    "plugin": (header_plugin, "coop.beancount", "n'est pas dans l'en-tête"),
    "include": (exercice_include, "2025-2026.beancount", "« include »"),
    "fava-extension": (exercice_fava_extension, "2025-2026.beancount", "fava-extension"),
    "lien": (symlink_document, "2025-10-01.releve.pdf", "lien symbolique"),
}


@pytest.fixture
def central(tmp_path):
    origin = make_ad_repo(tmp_path / "ad", (UAI, OTHER)).root
    central = tmp_path / "central.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(origin), str(central))
    shutil.copy(REPO / "hooks" / "pre-receive", central / "hooks" / "pre-receive")
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(central), str(clone))
    return central, clone


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_pre_receive_refuses_without_importing_or_opening(central, tmp_path, attack):
    central, clone = central
    make, where, said = ATTACKS[attack]
    marker = tmp_path / "imported.txt"
    before = run_git(central, "rev-parse", "main").stdout.strip()
    make(clone, marker)
    run_git(clone, "add", "-A")
    run_git(clone, "commit", "-qm", "Livres modifiés à la main", "--no-verify")
    commit = run_git(clone, "rev-parse", "HEAD").stdout.strip()

    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert f"Commit {commit[:10]} « Livres modifiés à la main »" in proc.stderr
    assert f"{UAI} ledgers/{UAI}/" in proc.stderr and where in proc.stderr
    assert said in proc.stderr, proc.stderr
    assert run_git(central, "rev-parse", "main").stdout.strip() == before
    assert not marker.exists(), "the pushed plugin was imported"

    # The same in CI (`retkoop check --commits`) and in a working tree (`retkoop check --all`).
    for args in (["check", "--commits", f"{before}..{commit}"], ["check", "--all"]):
        proc = subprocess.run([sys.executable, "-m", "retkoop_tools", *args, "--repo", str(clone)],
                              cwd=tmp_path, capture_output=True, text=True, env=env_with_retkoop())
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert said in proc.stdout + proc.stderr
        assert not marker.exists()


def test_the_hooks_and_checks_see_the_rules_even_if_the_header_drops_them(central, tmp_path):
    """Removing the OCCE rules from coop.beancount does not make a wrong ledger pass."""
    central, clone = central
    path = clone / "ledgers" / UAI / "coop.beancount"
    path.write_text(path.read_text().replace('plugin "retkoop_plugins.tresorerie"\n', ""))
    run_git(clone, "commit", "-qam", "Sans les règles", "--no-verify")
    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode != 0 and "retkoop_plugins.tresorerie" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", UAI, "--repo", str(clone)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 1 and "aucune erreur" not in proc.stdout


def test_a_header_rewritten_by_coop_entete_passes(central, tmp_path):
    """What the system generates is accepted: the AD's own command after an upgrade."""
    central, clone = central
    path = clone / "ledgers" / UAI / "coop.beancount"
    path.write_text(path.read_text().replace("; Règles OCCE", "; règles"))
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", UAI, "--repo", str(clone)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 1 and "retkoop coop entete" in proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "coop", "entete", UAI, "--repo", str(clone)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", UAI, "--repo", str(clone)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run_git(clone, "push", "-q", "origin", "main", check=False).returncode == 0


def test_a_seal_is_removed_only_by_the_ads_reopening(tmp_path):
    """Dropping the seal of a closed exercice and changing it in one commit is refused; the
    AD's `retkoop exercice rouvrir` (seal removed, motif recorded) goes through."""
    import datetime

    from retkoop_tools.cloture.actions import close_exercice, reopen_exercice
    from retkoop_tools.ledger.exercice import Exercice
    from tests.gitrepo import ADMIN

    store = make_ad_repo(tmp_path / "ad")
    closed = close_exercice(store, UAI, Exercice(2025), ADMIN, force=True, today=datetime.date(2026, 9, 20))
    assert closed.ok, closed.errors
    central = tmp_path / "central.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(store.root), str(central))
    shutil.copy(REPO / "hooks" / "pre-receive", central / "hooks" / "pre-receive")
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(central), str(clone))

    path = clone / "ledgers" / UAI / "2025-2026.beancount"
    text = path.read_text()
    lines = [ln for ln in text.splitlines(keepends=True) if 'custom "cloture"' not in ln]
    path.write_text("".join(lines).replace("1000.00 EUR", "1900.00 EUR").replace("-1050.00 EUR", "-1950.00 EUR"))
    run_git(clone, "commit", "-qam", "Ouverture corrigée", "--no-verify")
    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert "La clôture de l'exercice 2025-2026 est retirée" in proc.stderr, proc.stderr
    # The words of a reopening in a comment of the CRF's file are no reopening.
    record = clone / "ledgers" / UAI / "crf-2025-2026.yaml"
    before = record.read_text() if record.exists() else ""
    record.write_text(before + "# action: reouverture\n# action: renvoi\n")
    run_git(clone, "add", "-A")
    run_git(clone, "commit", "-q", "--amend", "-m", "Réouverture écrite à la main", "--no-verify")
    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert "La clôture de l'exercice 2025-2026 est retirée" in proc.stderr, proc.stderr

    run_git(clone, "reset", "-q", "--hard", "origin/main")
    reopened = reopen_exercice(Store(clone), UAI, Exercice(2025), ADMIN, "Erreur de report signalée par l'école")
    assert reopened.ok, reopened.errors
    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stderr
