"""Hooks and CI on real git repositories: every commit is checked, a bad push is refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from retkoop_tools.ci import TARGETS

from tests.gitrepo import env_with_retkoop, make_ad_repo, run_git, sale

UAI = "0910001A"
REPO = Path(__file__).resolve().parent.parent


def add_to_ledger(clone: Path, text: str) -> None:
    path = clone / "ledgers" / UAI / "2025-2026.beancount"
    content = path.read_text()
    at = content.index('2025-08-31 custom "fava-option"')
    path.write_text(content[:at] + text + "\n" + content[at:])


def test_init_installs_hooks_ci_and_ignores(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    root = store.root
    assert run_git(root, "config", "core.hooksPath").stdout.strip() == "hooks"
    assert (root / "hooks" / "pre-commit").stat().st_mode & 0o111
    for target in TARGETS.values():
        assert yaml.safe_load((root / target).read_text())  # valid YAML
    assert ".*.tmp" in (root / ".gitignore").read_text()
    assert run_git(root, "status", "--porcelain").stdout == ""


def test_pre_commit_refuses_a_bad_commit_and_accepts_a_good_one(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    add_to_ledger(root, sale(1).replace('  mode: "ESP"\n', '  mode: "CARTE"\n'))
    run_git(root, "add", "-A")
    proc = run_git(root, "commit", "-m", "mauvais mode", check=False)
    assert proc.returncode == 1
    assert f"{UAI} ledgers/{UAI}/2025-2026.beancount:" in proc.stderr
    assert "Mode de paiement inconnu « CARTE »" in proc.stderr
    assert "Commit refusé" in proc.stderr
    # The index is what is checked: fix the working tree only, the commit is still refused.
    path = root / "ledgers" / UAI / "2025-2026.beancount"
    path.write_text(path.read_text().replace('"CARTE"', '"ESP"'))
    assert run_git(root, "commit", "-m", "toujours mauvais", check=False).returncode == 1
    run_git(root, "add", "-A")
    assert run_git(root, "commit", "-m", "bon mode").returncode == 0


def test_pre_receive_checks_every_pushed_commit(tmp_path):
    origin = make_ad_repo(tmp_path / "ad").root
    central = tmp_path / "central.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(origin), str(central))
    shutil.copy(REPO / "hooks" / "pre-receive", central / "hooks" / "pre-receive")
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(central), str(clone))
    before = run_git(central, "rev-parse", "main").stdout.strip()

    add_to_ledger(clone, sale(1))
    run_git(clone, "commit", "-qam", "Saisie R001", "--no-verify")
    add_to_ledger(clone, sale(2).replace('"R002"', '"R001"'))  # same pièce twice
    run_git(clone, "commit", "-qam", "Saisie en double", "--no-verify")
    bad = run_git(clone, "rev-parse", "HEAD").stdout.strip()
    path = clone / "ledgers" / UAI / "2025-2026.beancount"
    path.write_text(path.read_text().replace('piece: "R001"\n  mode: "ESP"\n  Actif:530-Caisse                        15.00 EUR\n  Produits:7562-Participation-familles  -15.00 EUR\n\n2025-08-31',
                                             'piece: "R002"\n  mode: "ESP"\n  Actif:530-Caisse                        15.00 EUR\n  Produits:7562-Participation-familles  -15.00 EUR\n\n2025-08-31'))
    run_git(clone, "commit", "-qam", "Correction", "--no-verify")
    # The last commit is right: only checking it would let the middle one in.
    assert subprocess.run([sys.executable, "-m", "retkoop_tools", "check", "--all", "--repo", str(clone)],
                          capture_output=True, env=env_with_retkoop()).returncode == 0

    proc = run_git(clone, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert f"Commit {bad[:10]} « Saisie en double »" in proc.stderr
    assert f"{UAI} ledgers/{UAI}/2025-2026.beancount:" in proc.stderr
    assert "La pièce R001 est déjà utilisée" in proc.stderr
    assert "Poussée refusée : 1 commit(s)" in proc.stderr
    assert run_git(central, "rev-parse", "main").stdout.strip() == before

    # Rewritten without the bad commit, the push goes through.
    run_git(clone, "reset", "-q", "--hard", "origin/main")
    add_to_ledger(clone, sale(1))
    run_git(clone, "commit", "-qam", "Saisie R001", "--no-verify")
    assert run_git(clone, "push", "-q", "origin", "main", check=False).returncode == 0


def _ci_commands(target: str) -> list[str]:
    spec = yaml.safe_load((REPO / "ci" / target).read_text())
    text = yaml.safe_dump(spec)
    return [line for line in text.splitlines() if "retkoop check --commits" in line]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_ci_definitions_run_a_real_command(name, tmp_path):
    """Each forge's definition calls `retkoop check --commits BASE..HEAD --junit …`: run it here."""
    commands = _ci_commands(name)
    assert commands, name
    root = make_ad_repo(tmp_path / "ad").root
    base = run_git(root, "rev-parse", "HEAD").stdout.strip()
    add_to_ledger(root, sale(1))
    run_git(root, "commit", "-qam", "ok", "--no-verify")
    add_to_ledger(root, sale(2).replace('  piece: "R002"\n', ""))
    run_git(root, "commit", "-qam", "sans pièce", "--no-verify")
    head = run_git(root, "rev-parse", "HEAD").stdout.strip()
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", "check", "--commits", f"{base}..{head}",
         "--junit", "rapport-retkoop.xml"],
        cwd=root, capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 1
    assert "2 commits vérifiés, 1 en erreur." in proc.stdout
    report = ET.parse(root / "rapport-retkoop.xml").getroot()
    suites = report.findall("testsuite")
    assert [s.get("failures") for s in suites] == ["0", "1"]
    failure = suites[1].find("testcase/failure")
    assert "Pièce manquante" in failure.text
    # A new branch (zero base) checks every commit it brings, not only its last one: here, with
    # no principal branch in this repository, its whole history.
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", "check", "--commits", f"{'0' * 40}..{head}"],
        cwd=root, capture_output=True, text=True, env=env_with_retkoop())
    assert "5 commits vérifiés, 1 en erreur." in proc.stdout
    assert proc.returncode == 1
