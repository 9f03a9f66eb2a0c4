"""Which synthetic ADs under bench/out/ are still good: built by a version of the code whose
closings this code uses.

A closing keeps, beside its seal, its opening state and figures (`cloture-*.json`) with their
versions (`STATE_FORMAT`, `FIGURES_VERSION`); a state of another version is not used, the coop
is then loaded in full until a state is computed again. An AD built by another version would
time the full loads of an upgrade, not the product: it is built again.
"""

from __future__ import annotations

from pathlib import Path

MARKER = ".complete"


def stamp() -> str:
    from retkoop_tools.console.summary import summary_code
    from retkoop_tools.ledger.standalone import code_fingerprint

    return f"{code_fingerprint()} {summary_code()}"


def built(root: Path) -> bool:
    """Whether `root` was built completely by this code."""
    try:
        return (Path(root) / MARKER).read_text() == stamp()
    except OSError:
        return False


def mark(root: Path) -> None:
    (Path(root) / MARKER).write_text(stamp())
