"""Entries told in French, in a line: for commit messages and the history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from beancount.core import data

from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import (
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_CLOTURE,
    CUSTOM_RELEVE,
    DENOMINATIONS,
    META_PIECE,
)


def operation_amount(entry: data.Transaction) -> Decimal:
    """The amount of an operation: what enters or leaves the treasury (or moves inside it)."""
    # Parsed but not booked, an interpolated posting has no number (Beancount's MISSING).
    numbers = [getattr(p.units, "number", None) for p in entry.postings]
    numbers = [n for n in numbers if isinstance(n, Decimal)]
    positive = sum((n for n in numbers if n > 0), Decimal(0))
    return positive if positive else -sum((n for n in numbers if n < 0), Decimal(0))


def describe(entry: Any) -> str:
    """`D012 du 14/03/2026 : Autocars Dupont, 420,00 €`, or a directive in a few words."""
    if isinstance(entry, data.Transaction):
        piece = entry.meta.get(META_PIECE)
        who = entry.payee or entry.narration or "opération"
        head = f"{piece} du {fmt_date(entry.date)}" if piece else f"Opération du {fmt_date(entry.date)}"
        return f"{head} : {who}, {fmt_eur(operation_amount(entry))}"
    if isinstance(entry, data.Custom):
        values = [getattr(v, "value", v) for v in entry.values or ()]
        if entry.type == CUSTOM_RELEVE and len(values) == 2:
            return f"relevé du {fmt_date(entry.date)} ({values[0]}), solde {fmt_eur(values[1].number)}"
        if entry.type == CUSTOM_ARRETE_CAISSE:
            total = sum(
                (DENOMINATIONS[k] * v for k, v in entry.meta.items()
                 if k in DENOMINATIONS and isinstance(v, Decimal)),
                Decimal(0),
            )
            return f"arrêté de caisse du {fmt_date(entry.date)} : {fmt_eur(total)}"
        if entry.type == CUSTOM_CLOTURE and values:
            return f"clôture de l'exercice {values[0]}"
        if entry.type == "declaration" and values:
            return f"« {values[0]} »"
        if entry.type in ("fava-option", "fava-extension", "cooperative"):
            return "« custom " + " ".join(f'"{v}"' for v in [entry.type, *values]) + " »"
        return f"directive {entry.type} du {fmt_date(entry.date)}"
    if isinstance(entry, data.Open):
        return entry.account
    if isinstance(entry, data.Note):
        return f"{entry.account} du {fmt_date(entry.date)} : {entry.comment}"
    if isinstance(entry, data.Document):
        return f"{entry.filename} ({entry.account}, {fmt_date(entry.date)})"
    if isinstance(entry, data.Balance):
        return f"{entry.account} au {fmt_date(entry.date)} : {fmt_eur(entry.amount.number)}"
    if isinstance(entry, data.Close):
        return f"{entry.account} au {fmt_date(entry.date)}"
    return f"{type(entry).__name__.lower()} du {fmt_date(entry.date)}"
