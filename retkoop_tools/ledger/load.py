"""Loading a coop's books: verified first, then Beancount with the OCCE rules.

The one loader of every check, hook, CI job, console summary, document and closing: the coop's
folder is verified (`policy.files`) before Beancount sees it, so nothing a ledger file names is
ever imported or opened; a coop that fails the verification is not loaded at all.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from beancount import loader
from retkoop_plugins import ALL_PLUGINS

from retkoop_tools.ad import COOP_FILENAME
from retkoop_tools.policy.files import UnsafeLedgerError, verify_coop_dir

__all__ = ["UnsafeLedgerError", "load_coop"]

# Our rules are imported from the installed package before any load: nothing put on
# sys.path later can stand in for them.
for _module in ALL_PLUGINS:
    importlib.import_module(_module)


def load_coop(coop_dir: Path | str, uai: str | None = None) -> tuple[list, list, dict]:
    """(entries, errors, options) of a coop; UnsafeLedgerError when its files may not be loaded."""
    coop_dir = Path(coop_dir)
    violations = verify_coop_dir(coop_dir, uai)
    if violations:
        raise UnsafeLedgerError(violations)
    return loader.load_file(str(coop_dir / COOP_FILENAME))
