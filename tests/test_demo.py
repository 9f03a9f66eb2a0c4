"""The demo AD: produced by the generator, deterministic, realistic, and clean."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from retkoop_tools.checks.runner import check_many
from retkoop_tools.demo.generator import DEMO_AD, DEMO_COOPS, generate_ad

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    generate_ad(root, list(DEMO_COOPS), DEMO_AD, workers=2)
    return root


def _tree(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in (root / "ledgers").rglob("*") if p.is_file()
    ) + ["ad.yaml"]


def test_committed_demo_is_what_the_generator_writes(generated):
    """`retkoop demo . --instantane --remplacer` reproduces ad.yaml and ledgers/ byte for byte
    (the books on SNAPSHOT_DATE, 31/08/2026)."""
    assert _tree(generated) == _tree(REPO)
    match, mismatch, errors = filecmp.cmpfiles(generated, REPO, _tree(generated), shallow=False)
    assert mismatch == [] and errors == []


def test_demo_passes_every_rule(generated):
    results = check_many(generated, [c.uai for c in DEMO_COOPS], workers=2)
    assert [(r.uai, r.errors) for r in results] == [(c.uai, []) for c in DEMO_COOPS]
    assert all(r.operations > 150 for r in results)


@pytest.mark.parametrize("coop", DEMO_COOPS, ids=lambda c: c.uai)
def test_demo_books_hold_a_real_school_year(generated, coop):
    entries, errors, _ = loader.load_file(str(generated / "ledgers" / coop.uai / "coop.beancount"))
    assert errors == []
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    accounts = {p.account.split(":")[1].split("-")[0] for t in txns for p in t.postings}
    # family participation, photos bought and sold, commune subsidy, coach, OCCE and insurance
    assert {"7562", "607", "707", "744", "6247", "6281", "6168", "54"} <= accounts
    natures = {t.meta.get("nature") for t in txns}
    assert {"ouverture", "remise", "virement", "regie"} <= natures
    remises = [t for t in txns if t.meta.get("nature") == "remise"]
    assert any(len(t.links) >= 3 for t in remises)  # several cheques in one remise
    customs = [e for e in entries if isinstance(e, data.Custom)]
    statements = [e for e in customs if e.type == "releve"]
    assert len(statements) == 24  # monthly, two exercices
    assert sum(1 for e in customs if e.type == "arrete-caisse") >= 8
    assert [e.values[0].value for e in customs if e.type == "cloture"] == ["2024-2025"]
    ticked = [t for t in txns if "releve" in t.meta]
    assert len(ticked) > 50


def test_demo_generation_is_deterministic(generated, tmp_path):
    generate_ad(tmp_path, [DEMO_COOPS[1]], DEMO_AD)
    name = f"ledgers/{DEMO_COOPS[1].uai}/2025-2026.beancount"
    assert (tmp_path / name).read_bytes() == (generated / name).read_bytes()
