"""Hooks in Fava's own loading, for every Fava app of the portal.

Fava loads a ledger inside the request that wrote it (an editor save reloads at once), then
reads its Fava options from every file, runs the `import-config` Python file they name and
imports the `fava-extension` modules — all before the portal's write policy sees the change.
So, whatever the request:

- before Fava's loader reads a coop's files, the coop's folder is verified
  (`policy.files.verify_coop_dir`); a folder that fails is loaded as an empty ledger whose only
  entry is the error, so nothing it names is imported, run or opened, and the write that put it
  there is then refused by the store and undone;
- the books are loaded as every check loads them (`ledger.standalone.load_books`): the open
  exercices on their own after the closed ones' à-nouveaux — the very load the store did to
  check the write just made, when there was one — and every exercice for an app that shows a
  closed one (`fava_scope`: the history, a vérificateur's closed exercice);
- Fava's import configuration is only ever ours (`retkoop_tools.banque.fava_config`): any other
  path is refused before `runpy` could execute it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import NamedTuple

import fava.core
import fava.core.ingest as fava_ingest
from beancount.parser import options as beancount_options

from retkoop_tools.banque import fava_config
from retkoop_tools.ledger.standalone import UnsafeLedgerError, load_books


class UnsafeLedgerLoadError(NamedTuple):
    """Shown by Fava when a coop's files were not loaded (the French reason)."""

    source: dict | None
    message: str
    entry: None


def _install() -> None:
    original = fava.core.load_uncached
    if getattr(original, "retkoop_verified", False):
        return

    def load_uncached(path: str, *, is_encrypted: bool):  # noqa: ANN202 - Fava's LoaderResult
        from retkoop_tools.web.fava_scope import wants_full

        coop_dir = Path(path).parent
        try:
            loaded = load_books(coop_dir)
            if loaded.open_from is not None and wants_full(loaded.open_from):
                loaded = load_books(coop_dir, full=True)
        except UnsafeLedgerError as exc:
            options = copy.deepcopy(beancount_options.OPTIONS_DEFAULTS)
            options["filename"] = path
            options["include"] = [path]
            errors = [UnsafeLedgerLoadError({"filename": path, "lineno": v.line}, v.message, None)
                      for v in exc.violations]
            return [], errors, options
        # Lists of our own: Fava and the clamping of a vérificateur's app never change ours.
        return list(loaded.entries), list(loaded.errors), dict(loaded.options)

    load_uncached.retkoop_verified = True  # type: ignore[attr-defined]
    fava.core.load_uncached = load_uncached  # type: ignore[assignment]

    ours = Path(fava_config.__file__).resolve()
    run_config = fava_ingest.load_import_config

    def load_import_config(module_path: Path):  # noqa: ANN202 - Fava's LoadedImportConfig
        if Path(module_path).resolve() != ours:
            raise fava_ingest.ImportConfigLoadError(
                "Seule la configuration d'import de retkoop-tools est utilisée.")
        return run_config(module_path)

    fava_ingest.load_import_config = load_import_config  # type: ignore[assignment]


_install()
