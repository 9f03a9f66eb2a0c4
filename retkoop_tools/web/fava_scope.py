"""A vérificateur's Fava: the coop's books clamped to the one exercice they check.

Forcing Fava's time filter is not a scope: payees, narrations, the query shell, the context of
an entry, documents, events and the ledger data embedded in every page all read the whole
ledger. A vérificateur therefore gets a Fava app of their own per (coop, exercice) whose ledger,
right after Fava loads it, holds only that exercice: the entries dated in it, the balances
brought forward summarised in one opening entry per account (dated the day before), the
accounts' `open` directives and the coop's Fava options and extensions. Every Fava endpoint
then knows that year only. The app is read-only, and serves as documents only the files that
a `document` entry of the exercice names (not Fava's import folders).
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Sequence
from typing import Any, NamedTuple

import fava.core
from beancount.core import data
from beancount.ops.summarize import clamp_opt
from fava.application import create_app
from fava.core import FavaLedger
from fava.core.documents import is_document_or_import_file
from fava.util import send_file_inline
from flask import Flask, abort, request

from retkoop_tools.fr import fmt_date
from retkoop_tools.ledger.conventions import (
    CUSTOM_COOPERATIVE,
    CUSTOM_FAVA_EXTENSION,
    CUSTOM_FAVA_OPTION,
)
from retkoop_tools.ledger.exercice import Exercice

#: Custom directives that describe the coop, not a year: kept whatever their date.
_TIMELESS_CUSTOMS = (CUSTOM_FAVA_OPTION, CUSTOM_FAVA_EXTENSION, CUSTOM_COOPERATIVE)
#: Fava options that would open files outside the exercice's documents (import folders, or a
#: Python file Fava executes): not given to a vérificateur's app.
_DROPPED_FAVA_OPTIONS = ("import-config", "import-dirs")


class OtherExercicesErrors(NamedTuple):
    """Errors of other exercices exist, not shown to a vérificateur."""

    source: dict | None
    message: str
    entry: None


HISTORY = "historique"


def scope_key(uai: str, exercice: Exercice | str | None) -> str:
    """The pool's key of a coop's app: `0910001A`, `0910001A@2025-2026` for a scoped one,
    `0910001A@historique` for its history."""
    return uai if exercice is None else f"{uai}@{exercice if isinstance(exercice, str) else exercice.name}"


def clamp_to_exercice(
    entries: Sequence[data.Directive], errors: Sequence[Any], options: dict, exercice: Exercice
) -> tuple[list[data.Directive], list[Any]]:
    """The entries and errors a vérificateur of `exercice` may see.

    `clamp_opt` keeps the entries of the exercice, replaces everything before it by one
    summary transaction per account (flag `S`, narrated in French here) and drops what comes
    after. The coop's Fava options, extensions and identity are kept from before the
    exercice; errors are kept when they concern the exercice (their entry's date, else their
    file), and the others are only counted.
    """
    begin, end = exercice.start, exercice.end + datetime.timedelta(days=1)
    clamped, _ = clamp_opt(entries, begin, end, options)
    opening = fmt_date(exercice.start)
    result: list[data.Directive] = []
    for entry in clamped:
        if isinstance(entry, data.Transaction) and entry.flag == "S" and entry.date < begin:
            account = entry.postings[0].account if entry.postings else ""
            entry = entry._replace(payee=None, narration=f"Solde à l'ouverture du {opening} : {account}")
        result.append(entry)
    timeless = [e for e in entries
                if isinstance(e, data.Custom) and e.date < begin and e.type in _TIMELESS_CUSTOMS]
    result = sorted([e for e in [*timeless, *result] if not _dropped_option(e)], key=data.entry_sortkey)

    kept = [err for err in errors if _concerns(err, exercice)]
    hidden = len(errors) - len(kept)
    if hidden:
        kept.append(OtherExercicesErrors(
            None,
            f"{hidden} erreur(s) concernent d'autres exercices que {exercice.name} : "
            "elles ne sont pas montrées ici.",
            None,
        ))
    return result, kept


def _dropped_option(entry: data.Directive) -> bool:
    return (isinstance(entry, data.Custom) and entry.type == CUSTOM_FAVA_OPTION and bool(entry.values)
            and entry.values[0].value in _DROPPED_FAVA_OPTIONS)


def _concerns(error: Any, exercice: Exercice) -> bool:
    entry = getattr(error, "entry", None)
    if isinstance(getattr(entry, "date", None), datetime.date):
        return exercice.contains(entry.date)
    source = getattr(error, "source", None) or {}
    other = Exercice.from_filename(str(source.get("filename", "")))
    return other is None or other == exercice


# -- the hook in Fava's loading ---------------------------------------------------------------
#: The exercice being loaded in this thread by an `ExerciceLedger` (None: a whole ledger).
_LOADING: contextvars.ContextVar[Exercice | None] = contextvars.ContextVar("retkoop_exercice", default=None)
#: Set while a `HistoryLedger` loads: every exercice, the closed ones too.
_HISTORY: contextvars.ContextVar[bool] = contextvars.ContextVar("retkoop_history", default=False)


def wants_full(open_from: Exercice) -> bool:
    """Whether the ledger loading in this thread shows an exercice before `open_from` (the
    first one the standalone load holds in full): the history, or a closed exercice."""
    exercice = _LOADING.get()
    return _HISTORY.get() or (exercice is not None and exercice < open_from)


def _install_loader_hook() -> None:
    """Wrap the loader `FavaLedger.load_file` calls, so that a scoped ledger is clamped before
    Fava's modules (accounts, attributes, query shell, extensions…) see any entry."""
    original = fava.core.load_uncached
    if getattr(original, "retkoop", False):
        return

    def load_uncached(path: str, *, is_encrypted: bool):  # noqa: ANN202 - Fava's LoaderResult
        entries, errors, options = original(path, is_encrypted=is_encrypted)
        exercice = _LOADING.get()
        if exercice is not None:
            entries, errors = clamp_to_exercice(entries, errors, options, exercice)
        return entries, errors, options

    load_uncached.retkoop = True  # type: ignore[attr-defined]
    fava.core.load_uncached = load_uncached  # type: ignore[assignment]


_install_loader_hook()


class ExerciceLedger(FavaLedger):
    """A FavaLedger whose entries are those of one exercice (see the module's docstring)."""

    __slots__ = ("exercice",)

    def __init__(self, path: str, exercice: Exercice, *, poll_watcher: bool = False) -> None:
        self.exercice = exercice
        super().__init__(path, poll_watcher=poll_watcher)

    def load_file(self) -> None:
        token = _LOADING.set(self.exercice)
        try:
            super().load_file()
        finally:
            _LOADING.reset(token)


class HistoryLedger(FavaLedger):
    """A FavaLedger of every exercice, the closed ones too: the coop's history, read-only,
    loaded on demand (the coop's own app holds its open exercices after their à-nouveaux)."""

    def load_file(self) -> None:
        token = _HISTORY.set(True)
        try:
            super().load_file()
        finally:
            _HISTORY.reset(token)


def create_history_app(path: str) -> Flask:
    """A read-only Fava app on the coop file `path`, with every exercice."""
    app = create_app([path], load=False, read_only=True, poll_watcher=True)
    loader = app.config["LEDGERS"]
    loader._load = lambda: [HistoryLedger(path, poll_watcher=True)]  # noqa: SLF001
    if not isinstance(loader.ledgers[0], HistoryLedger):  # Fava changed how it builds its ledgers
        raise RuntimeError("Fava did not build the history's ledger: review fava_scope.py.")
    return app


def create_exercice_app(path: str, exercice: Exercice) -> Flask:
    """A read-only Fava app on the coop file `path`, clamped to `exercice`."""
    app = create_app([path], load=False, read_only=True, poll_watcher=True)
    loader = app.config["LEDGERS"]
    loader._load = lambda: [ExerciceLedger(path, exercice, poll_watcher=True)]  # noqa: SLF001
    ledger = loader.ledgers[0]
    if not isinstance(ledger, ExerciceLedger):  # Fava changed how it builds its ledgers
        raise RuntimeError("Fava did not build the exercice's ledger: review fava_scope.py.")
    app.view_functions["document"] = _exercice_document
    return app


def _exercice_document():  # noqa: ANN202 - a Flask response
    """Fava's `document/` route, without the import folders: only the exercice's documents."""
    from fava.context import g

    filename = request.args.get("filename", "")
    documents = {d.filename for d in g.ledger.all_entries_by_type.Document}
    if filename in documents and is_document_or_import_file(filename, g.ledger):
        return send_file_inline(filename)
    return abort(404)
