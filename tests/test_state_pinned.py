"""What a closing keeps (`cloture-<exercice>.json`) is pinned: the opening state the open
exercice loads from, and the closed exercices' figures the console shows.

Both are used as long as their version is this code's (`anouveaux.STATE_FORMAT`,
`summary.FIGURES_VERSION`), not as long as the code is the same byte for byte: an upgrade of
retkoop keeps every closing of an AD in use. So a change of the code that changes what the same
books give must bump the version — and this test, which recomputes them on two synthetic coops
(cheques carried, régies, cash counts, two closings; the second numbers its pièces on and
banks at the post office), fails until it does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from retkoop_tools.console.summary import summary_code
from retkoop_tools.demo.generator import DEMO_AD, generate_ad, synthetic_coops, synthetic_exercices
from retkoop_tools.ledger.standalone import code_fingerprint

#: sha256 of each closing's state and figures, "code" (their version) left out, by coop. When a
#: change makes these fail: bump STATE_FORMAT (ledger/anouveaux.py) if an "etat" changed, and
#: FIGURES_VERSION (console/summary.py) if a "resume" did; then put the new digests here.
PINNED = {
    "9900000V": {
        "cloture-2023-2024.json": {"etat": "ed5016a024024a4c5b486297d3ddc4fb2ebcbdd1498f3b0c230cec5e0d1f31cf",
                                   "resume": "b749beedf567fa176f16ceb0171a59ae0acf2cdedc8578b8f2f035bb8123752b"},
        "cloture-2024-2025.json": {"etat": "5b4312ca68e491e94ff79a9be2ce0a77bb3e3469a81b583fe27e22a60bed1d90",
                                   "resume": "30a1c1c144a0fbd8a6a4bb9cf4ba7a57101627519e716249eaf1bd55b2890c1d"},
    },
    "9900001W": {
        "cloture-2023-2024.json": {"etat": "5c6ecf718da5cd34422f2428e795b95807978737e3615572a836bc438800f061",
                                   "resume": "5e1bcc7baef50796f133fc31bb16df561bff30d3cf007b45dc7450e455a49e45"},
        "cloture-2024-2025.json": {"etat": "f8b08f644a8e6cbe05c3cb4c3467f365c49ffe8959a642669584570c70dc79eb",
                                   "resume": "203146c1c90b3a4547bb1ae8750cc02aec954101cf32370eafd7cfac34a7d1f4"},
    },
}
CASES = [(uai, name) for uai in sorted(PINNED) for name in sorted(PINNED[uai])]


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> dict[str, dict[str, dict]]:
    root = tmp_path_factory.mktemp("pinned")
    exercices = synthetic_exercices(3)
    coops = [synthetic_coops(1)[0], dataclasses.replace(synthetic_coops(2)[1], banque="514")]
    generate_ad(root, coops, dict(DEMO_AD), exercices=exercices, closed=set(exercices[:2]),
                target_ops=80, closing=True)
    return {coop_dir.name: {p.name: json.loads(p.read_text(encoding="utf-8"))
                            for p in sorted(coop_dir.glob("cloture-*.json"))}
            for coop_dir in sorted((root / "ledgers").iterdir())}


def _digest(part: dict) -> str:
    meaning = {k: v for k, v in part.items() if k != "code"}
    return hashlib.sha256(json.dumps(meaning, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_the_closings_keep_this_versions_state_and_figures(kept):
    assert {uai: sorted(files) for uai, files in kept.items()} == {uai: sorted(files) for uai, files in PINNED.items()}
    for files in kept.values():
        for results in files.values():
            assert results["etat"]["code"] == code_fingerprint()
            assert results["resume"]["code"] == summary_code()
            assert results["etat"]["cheques"] and results["etat"]["a_nouveaux"]  # something carried


@pytest.mark.parametrize("uai,name", CASES)
def test_the_state_means_what_it_meant(kept, uai, name):
    assert _digest(kept[uai][name]["etat"]) == PINNED[uai][name]["etat"], (
        "L'état d'ouverture calculé a changé : augmentez STATE_FORMAT (ledger/anouveaux.py), "
        "puis mettez à jour PINNED.")


@pytest.mark.parametrize("uai,name", CASES)
def test_the_figures_mean_what_they_meant(kept, uai, name):
    assert _digest(kept[uai][name]["resume"]) == PINNED[uai][name]["resume"], (
        "Les chiffres gardés des exercices clos ont changé : augmentez FIGURES_VERSION "
        "(console/summary.py), puis mettez à jour PINNED.")
