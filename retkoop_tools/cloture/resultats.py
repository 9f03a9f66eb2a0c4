"""What the closing keeps beside the books, valid as long as the closed exercices' seals hold.

`cloture-<exercice>.json`, written in the closing's commit:

- `etat`: the opening state of the exercices after it (`ledger.anouveaux`), with which they
  load on their own (`ledger.standalone`): a coop's tenth year costs what its first did;
- `resume`: what the AD's console shows of each closed exercice (operations, CRF figures),
  computed from the same full load.

Nothing in it is typed by anyone: a reopening removes it, the next closing writes it again,
and the hooks and CI check that a commit carrying one holds exactly what the books give.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.ledger.anouveaux import NotStandaloneError
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.standalone import compute_state, load_full, results_filename

RESULTS_FORMAT = 1

__all__ = ["RESULTS_FORMAT", "closing_results", "results_filename", "results_text"]


def closing_results(ad_root: Path, uai: str, exercice: Exercice,
                    texts: Mapping[str, str | bytes | None] | None = None) -> dict[str, Any]:
    """What to keep for `exercice`, from a full load of the coop as the closing leaves it
    (`texts`: the files the closing writes, path → content)."""
    from retkoop_tools.console.summary import closed_figures

    coop_dir = Path(ad_root).resolve() / LEDGERS_DIRNAME / uai
    loaded = load_full(coop_dir, texts)
    try:
        state: dict | None = compute_state(coop_dir, exercice, loaded, texts)
    except NotStandaloneError:
        state = None  # the open exercices will be loaded in full
    return {
        "format": RESULTS_FORMAT,
        "exercice": str(exercice),
        "etat": state,
        "resume": closed_figures(Path(ad_root), uai, loaded, exercice),
    }


def results_text(results: dict[str, Any]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
