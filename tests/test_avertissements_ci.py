"""Avertissements in hooks, CI (JUnit), the check cache, the console summary and the CRF's annex:
shown and counted apart, never a reason to refuse."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.runner import check_many
from retkoop_tools.console.summary import SUMMARY_VERSION, summarize
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.render import render_html
from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from tests.gitrepo import env_with_retkoop, make_ad_repo, run_git

UAI = "0910001A"
SWAP = """2025-10-01 * "Papeterie" "Fournitures pour le marché de Noël"
  piece: "D01"
  mode: "CB"
  Actif:512-Banque            -45.00 EUR
  Produits:708-Fetes-ventes    45.00 EUR
"""


def add_to_ledger(root: Path, text: str) -> None:
    path = root / "ledgers" / UAI / "2025-2026.beancount"
    content = path.read_text()
    at = content.index('2025-08-31 custom "fava-option"')
    path.write_text(content[:at] + text + "\n" + content[at:])


def test_pre_commit_shows_an_avertissement_and_commits(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    add_to_ledger(root, SWAP)
    run_git(root, "add", "-A")
    proc = run_git(root, "commit", "-m", "ventilation inversée", check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"{UAI} ledgers/{UAI}/2025-2026.beancount:" in proc.stderr
    assert "Attention : Dépense de 45,00\u00a0€ ventilée sur 708" in proc.stderr
    assert "n'empêchent pas le commit" in proc.stderr


def test_ci_junit_counts_avertissements_without_failing(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    base = run_git(root, "rev-parse", "HEAD").stdout.strip()
    add_to_ledger(root, SWAP)
    run_git(root, "commit", "-qam", "Saisie D01", "--no-verify")
    report = tmp_path / "rapport.xml"
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", "--commits", f"{base}..HEAD",
                           "--junit", str(report), "--repo", str(root)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 avertissement" in proc.stdout and "0 en erreur, 1 avec des avertissements" in proc.stdout
    tree = ET.parse(report).getroot()
    suite = tree.find("testsuite")
    assert suite.get("failures") == "0"
    assert suite.find("properties/property[@name='avertissements']").get("value") == "1"
    case = suite.find("testcase")
    assert case.find("failure") is None
    assert "Attention : Dépense de 45,00" in case.find("system-out").text


def test_retkoop_check_exit_code_and_separate_count(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    add_to_ledger(root, SWAP)
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", "--all", "--repo", str(root)],
                          capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 0, proc.stdout
    assert f"{UAI} École {UAI} : 1 avertissement" in proc.stdout
    assert "aucune erreur ; 1 avertissement dans 1 coopérative, à revoir (ils ne bloquent pas)." in proc.stdout


def test_the_cache_keeps_both_levels_and_follows_the_records(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    add_to_ledger(root, SWAP)
    cache = ResultCache(root, tmp_path / "cache")
    first = check_many(root, [UAI], workers=1, cache=cache)[0]
    again = check_many(root, [UAI], workers=1, cache=cache)[0]  # read back from the cache
    assert (len(first.errors), len(first.warnings)) == (0, 1)
    assert again.warnings == first.warnings and again.warnings[0].level == "avertissement"
    key = cache.key(UAI)
    (root / "ledgers" / UAI / "mandataires.yaml").write_text("- nom: Mme Martin\n  depuis: 2024-09-01\n")
    assert cache.key(UAI) != key  # a rule reads it: a change of the record is a change of the coop


def test_console_summary_and_crf_annex(tmp_path):
    root = make_ad_repo(tmp_path / "ad").root
    add_to_ledger(root, SWAP)
    summary = summarize(root, UAI)
    assert SUMMARY_VERSION >= 4
    assert (summary["nb_erreurs"], summary["nb_avertissements"]) == (0, 1)
    assert summary["avertissements"][0]["level"] == "avertissement"
    assert {"uai", "file", "line", "message"} <= set(summary["avertissements"][0])
    json.dumps(summary)  # still plain JSON

    crf = compute_crf(load_source(root, UAI), Exercice(2025))
    assert crf.errors == [] and [s.niveau for s in crf.avertissements] == ["avertissement"]
    html = render_html("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le)
    assert "Annexe – Points signalés par les règles OCCE" in html
    assert "2025-2026.beancount:" in html and "ventilée sur 708" in html
    assert "Annexe – Points signalés" not in render_html(
        "crf.html", crf=compute_crf(load_source(root, UAI), Exercice(2026)), ad=crf.ad, coop=crf.coop,
        genere_le=crf.genere_le)
