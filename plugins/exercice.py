"""Exercice: each operation lies in the file of its exercice, and a closed exercice is sealed.

An operation dated in the exercice 2025-2026 (01/09/2025 – 31/08/2026) is written in
`2025-2026.beancount`, which the coop includes. Closing an exercice writes a
`custom "cloture"` directive with the digest of its entries: any later change is an error.
"""

from __future__ import annotations

import collections
from pathlib import Path

from beancount.core import data

from retkoop_plugins._common import custom_values, fmt_date, where
from retkoop_tools.ledger.conventions import (
    CUSTOM_CLOTURE,
    CUSTOM_COOPERATIVE,
    CUSTOM_FAVA_EXTENSION,
    CUSTOM_FAVA_OPTION,
)
from retkoop_tools.ledger.digest import entries_digest
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_exercice",)

MissingExerciceFileError = collections.namedtuple("MissingExerciceFileError", "source message entry")
WrongExerciceFileError = collections.namedtuple("WrongExerciceFileError", "source message entry")
ClosedExerciceChangedError = collections.namedtuple(
    "ClosedExerciceChangedError", "source message entry"
)
InvalidClosingError = collections.namedtuple("InvalidClosingError", "source message entry")

#: Directives that belong to no exercice (settings of the ledger).
_SETTINGS_CUSTOMS = (CUSTOM_FAVA_OPTION, CUSTOM_FAVA_EXTENSION, CUSTOM_COOPERATIVE)


def _is_dated_operation(entry) -> bool:
    if isinstance(entry, (data.Open, data.Close, data.Commodity, data.Document, data.Price)):
        return False
    if isinstance(entry, data.Custom) and entry.type in _SETTINGS_CUSTOMS:
        return False
    return True


def sealed_entries(entries, path: str):
    """The entries a closing seals: those of the exercice's file, but for the closing itself."""
    return [
        e
        for e in entries
        if e.meta.get("filename") == path
        and not (isinstance(e, data.Custom) and e.type in (CUSTOM_CLOTURE, CUSTOM_FAVA_OPTION))
    ]


def check_exercice(entries, options_map):
    errors = []
    files: dict[Exercice, str] = {}
    for path in options_map.get("include", []):
        exercice = Exercice.from_filename(path)
        if exercice is not None:
            files[exercice] = path

    for entry in entries:
        filename = entry.meta.get("filename")
        if not filename or filename.startswith("<") or not _is_dated_operation(entry):
            continue
        exercice = Exercice.of_date(entry.date)
        expected = files.get(exercice)
        if expected is None:
            errors.append(
                MissingExerciceFileError(
                    entry.meta,
                    f"Écriture du {fmt_date(entry.date)} : l'exercice {exercice} n'a pas de "
                    f"fichier. Ouvrez l'exercice ({exercice.filename}) avant d'y saisir.",
                    entry,
                )
            )
        elif filename != expected:
            errors.append(
                WrongExerciceFileError(
                    entry.meta,
                    f"Écriture du {fmt_date(entry.date)} (exercice {exercice}) placée dans "
                    f"{Path(filename).name} : elle doit être dans {exercice.filename}.",
                    entry,
                )
            )

    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_CLOTURE:
            errors.extend(_check_closing(entry, entries, files))
    return entries, errors


def _check_closing(entry, entries, files):
    values = custom_values(entry)
    if len(values) != 2 or not all(isinstance(v, str) for v in values):
        return [
            InvalidClosingError(
                entry.meta,
                'Clôture mal écrite : attendu custom "cloture" "2024-2025" "<empreinte>".',
                entry,
            )
        ]
    name, digest = values
    try:
        exercice = Exercice.parse(name)
    except ValueError as exc:
        return [InvalidClosingError(entry.meta, f"Clôture : {exc}", entry)]
    path = files.get(exercice)
    if path is None or entry.meta.get("filename") != path or entry.date != exercice.end:
        return [
            InvalidClosingError(
                entry.meta,
                f"La clôture de l'exercice {exercice} doit être datée du "
                f"{fmt_date(exercice.end)} et écrite dans {exercice.filename}.",
                entry,
            )
        ]
    sealed = sealed_entries(entries, path)
    if entries_digest(sealed) != digest:
        when = entry.meta.get("le", entry.date)
        when = fmt_date(when) if hasattr(when, "year") else str(when)
        by = entry.meta.get("par")
        return [
            ClosedExerciceChangedError(
                entry.meta,
                f"L'exercice {exercice} est clos (clôture du {when}"
                + (f" par {by}" if by else "")
                + f", {where(entry)}) : ses écritures ont été modifiées depuis. "
                "Annulez la modification, ou demandez à l'AD de rouvrir l'exercice.",
                entry,
            )
        ]
    return []
