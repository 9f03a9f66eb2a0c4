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
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.ledger.anouveaux import NotStandaloneError
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.standalone import (
    Loaded,
    compute_state,
    load_full,
    results_filename,
)

RESULTS_FORMAT = 1

__all__ = ["RESULTS_FORMAT", "closing_results", "results_filename", "results_text"]


def closing_results(ad_root: Path, uai: str, exercice: Exercice,
                    texts: Mapping[str, str | bytes | None] | None = None,
                    before: Loaded | None = None) -> dict[str, Any]:
    """What to keep for `exercice`, from a full load of the coop as the closing leaves it
    (`texts`: the files the closing writes, path → content).

    `before`, a load of the coop as it is on the disk (the closing's texts not written yet),
    saves loading it again: the seal comes from `texts`, and nothing else the closing writes
    changes what is kept. When it is a standalone load on the previous exercice's state, the
    closing costs what the open exercices cost (the same result: the hooks and CI compute it
    again from a full load and compare)."""
    from retkoop_tools.console.summary import closed_figures

    coop_dir = Path(ad_root).resolve() / LEDGERS_DIRNAME / uai
    if before is not None and before.open_from is None:
        # A full load without the seal: the rules may judge the exercice otherwise once it is
        # closed (a coop's first exercice without opening balances has its overdrafts as
        # avertissements until then). Loaded with it, as CI computes the file again.
        before = None
    loaded = before if before is not None else Loaded(*load_full(coop_dir, texts))
    try:
        state: dict | None = compute_state(coop_dir, exercice, loaded, texts)
        if before is not None:
            state["clotures"] = _seals(coop_dir, state, texts or {}, exercice)
    except NotStandaloneError:
        state = None  # the open exercices will be loaded in full
    earlier = _earlier_resume(coop_dir, exercice, texts)
    if loaded.open_from is not None and earlier is None:  # the older figures: from a full load
        loaded = Loaded(*load_full(coop_dir, texts))
    return {
        "format": RESULTS_FORMAT,
        "exercice": str(exercice),
        "etat": state,
        "resume": closed_figures(Path(ad_root), uai, loaded, exercice, earlier),
    }


def _seals(coop_dir: Path, state: dict, texts: Mapping[str, str | bytes | None], exercice: Exercice) -> list[dict]:
    """The seals of the closed files, the one `texts` adds to `exercice`'s file included."""
    from beancount.core import data
    from beancount.parser import parser

    from retkoop_tools.ledger.anouveaux import _record
    from retkoop_tools.ledger.conventions import CUSTOM_CLOTURE
    from retkoop_tools.ledger.layout import ROOT_OPTIONS

    content = texts.get(exercice.filename)
    if content is None:
        return state["clotures"]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    mine = []
    for match in re.finditer(rf'^\d{{4}}-\d{{2}}-\d{{2}} custom "{CUSTOM_CLOTURE}" [^\n]*\n(?:[ \t]+[^\n]*\n)*', text, re.M):
        line = text.count("\n", 0, match.start()) + 1  # only the seal is read again, not the file
        entries, _errors, _options = parser.parse_string(ROOT_OPTIONS + match.group(0))
        for entry in entries:
            if isinstance(entry, data.Custom) and entry.type == CUSTOM_CLOTURE:
                meta = dict(entry.meta, filename=str(coop_dir / exercice.filename), lineno=line)
                mine.append(_record(entry._replace(meta=meta), coop_dir))
    return [r for r in state["clotures"] if r["fichier"] != exercice.filename] + mine


def _earlier_resume(coop_dir: Path, exercice: Exercice,
                    texts: Mapping[str, str | bytes | None] | None) -> dict[str, Any] | None:
    """The figures the previous closing kept, while its state still applies to the files (the
    exercices before are then the ones it computed them on)."""
    from retkoop_tools.console.summary import summary_code
    from retkoop_tools.ledger.standalone import state_applies_to

    path = coop_dir / results_filename(exercice.previous())
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    resume, state = previous.get("resume"), previous.get("etat")
    if not isinstance(resume, dict) or resume.get("code") != summary_code() or not isinstance(state, dict):
        return None
    if not state_applies_to(coop_dir, state, texts):
        return None
    return resume


def results_text(results: dict[str, Any]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
