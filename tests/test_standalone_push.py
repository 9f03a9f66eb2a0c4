"""The seal of a closed exercice is still verified when nothing loads it any more: a push that
changes a closed entry, or the file the closing keeps, is refused by the pre-receive hook; a
push that ticks a closed cheque on a later statement, or records in the open exercice, passes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from retkoop_tools.demo.generator import (
    DEMO_AD,
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.ledger.standalone import load_books
from retkoop_tools.store.init import init_ad_repo
from tests.gitrepo import ADMIN, run_git

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> tuple[Path, Path, str]:
    """A central repository guarded by pre-receive, holding a coop of 3 exercices (2 closed)."""
    base = tmp_path_factory.mktemp("push")
    origin = base / "ad"
    init_ad_repo(origin, "91", "OCCE de l'Essonne", ADMIN)
    ad_yaml = (origin / "ad.yaml").read_text()
    years = synthetic_exercices(3)
    coop = synthetic_coops(1)[0]
    generate_ad(origin, [coop], dict(DEMO_AD), exercices=years, closed=set(years[:-1]), target_ops=40, closing=True)
    (origin / "ad.yaml").write_text(ad_yaml)
    run_git(origin, "add", "-A")
    run_git(origin, "commit", "-qm", "Livres de trois exercices", "--no-verify")
    bare = base / "central.git"
    run_git(base, "clone", "-q", "--bare", str(origin), str(bare))
    shutil.copy(REPO / "hooks" / "pre-receive", bare / "hooks" / "pre-receive")
    return base, bare, coop.uai


@pytest.fixture
def clone(central, tmp_path) -> tuple[Path, str]:
    _base, bare, uai = central
    target = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(bare), str(target))
    return target, uai


def _push(clone: Path, message: str):
    run_git(clone, "commit", "-qam", message, "--no-verify")
    return run_git(clone, "push", "origin", "HEAD:main", check=False)


def test_the_open_exercice_loads_alone_in_the_clone(clone):
    root, uai = clone
    loaded = load_books(root / "ledgers" / uai, uai)
    assert loaded.open_from is not None and loaded.results is not None, loaded.why_full


def test_a_push_changing_a_closed_entry_is_refused(clone):
    root, uai = clone
    closed = sorted((root / "ledgers" / uai).glob("20*.beancount"))[1]
    text = closed.read_text()
    changed = re.sub(r"(Charges:\S+\s+)(\d+)\.(\d\d) EUR", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}.{m.group(3)} EUR",
                     text, count=1)
    changed = re.sub(r"(Actif:\S+\s+)-(\d+)\.(\d\d) EUR", lambda m: f"{m.group(1)}-{int(m.group(2)) + 1}.{m.group(3)} EUR",
                     changed, count=1)
    closed.write_text(changed)
    proc = _push(root, "Correction d'un exercice clos")
    assert proc.returncode != 0
    assert f"L'exercice {closed.stem} est clos" in proc.stderr


def test_a_push_forging_what_the_closing_kept_is_refused(clone):
    root, uai = clone
    kept = sorted((root / "ledgers" / uai).glob("cloture-*.json"))[-1]
    data = json.loads(kept.read_text())
    last = sorted(data["resume"]["exercices"])[-1]
    data["resume"]["exercices"][last]["crf"]["resultat"] = "0.00"
    kept.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    proc = _push(root, "Résultat retouché")
    assert proc.returncode != 0
    assert f"{kept.name} ne correspond pas aux livres" in proc.stderr


def test_a_push_recording_in_the_open_exercice_passes(clone):
    root, uai = clone
    last = sorted((root / "ledgers" / uai).glob("20*.beancount"))[-1]
    text = last.read_text()
    at = insert_position(text)
    entry = ('2026-08-20 * "Famille Test" "Don"\n  piece: "R900"\n  mode: "VIR"\n'
             "  Actif:512-Banque  5.00 EUR\n  Produits:771-Dons  -5.00 EUR\n\n")
    last.write_text(text[:at] + entry + text[at:])
    proc = _push(root, "Saisie R900")
    assert proc.returncode == 0, proc.stderr
