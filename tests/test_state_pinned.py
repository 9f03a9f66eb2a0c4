"""What a closing keeps (`cloture-<exercice>.json`) is pinned: the opening state the open
exercice loads from, and the closed exercices' figures the console shows.

Both are used as long as their version is this code's (`anouveaux.STATE_FORMAT`,
`summary.FIGURES_VERSION`), not as long as the code is the same byte for byte: an upgrade of
retkoop keeps every closing of an AD in use. So a change of the code that changes what the same
books give must bump the version — and this test, which recomputes them on a synthetic coop
(cheques carried, régies, cash counts, two closings), fails until it does.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from retkoop_tools.console.summary import summary_code
from retkoop_tools.demo.generator import DEMO_AD, generate_ad, synthetic_coops, synthetic_exercices
from retkoop_tools.ledger.standalone import code_fingerprint

#: sha256 of each closing's state and figures, "code" (their version) left out. When a change
#: makes these fail: bump STATE_FORMAT (ledger/anouveaux.py) if an "etat" changed, and
#: FIGURES_VERSION (console/summary.py) if a "resume" did; then put the new digests here.
PINNED = {
    "cloture-2023-2024.json": {"etat": "e86b946f6702d0229c956d27bea0ac8f037c04e742fa03627a16816d7d2fa9b3",
                               "resume": "b749beedf567fa176f16ceb0171a59ae0acf2cdedc8578b8f2f035bb8123752b"},
    "cloture-2024-2025.json": {"etat": "560e8bf223aefcc96566ccf0e48af74bdf8eafa84a067d643bc404d8504da60d",
                               "resume": "30a1c1c144a0fbd8a6a4bb9cf4ba7a57101627519e716249eaf1bd55b2890c1d"},
}


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("pinned")
    exercices = synthetic_exercices(3)
    generate_ad(root, synthetic_coops(1), dict(DEMO_AD), exercices=exercices, closed=set(exercices[:2]),
                target_ops=80, closing=True)
    coop_dir = next((root / "ledgers").iterdir())
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(coop_dir.glob("cloture-*.json"))}


def _digest(part: dict) -> str:
    meaning = {k: v for k, v in part.items() if k != "code"}
    return hashlib.sha256(json.dumps(meaning, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_the_closings_keep_this_versions_state_and_figures(kept):
    assert sorted(kept) == sorted(PINNED)
    for results in kept.values():
        assert results["etat"]["code"] == code_fingerprint()
        assert results["resume"]["code"] == summary_code()
        assert results["etat"]["cheques"] and results["etat"]["a_nouveaux"]  # something carried


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_state_means_what_it_meant(kept, name):
    assert _digest(kept[name]["etat"]) == PINNED[name]["etat"], (
        "L'état d'ouverture calculé a changé : augmentez STATE_FORMAT (ledger/anouveaux.py), "
        "puis mettez à jour PINNED.")


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_figures_mean_what_they_meant(kept, name):
    assert _digest(kept[name]["resume"]) == PINNED[name]["resume"], (
        "Les chiffres gardés des exercices clos ont changé : augmentez FIGURES_VERSION "
        "(console/summary.py), puis mettez à jour PINNED.")
