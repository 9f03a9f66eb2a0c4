"""Text of entries as the coop's files hold them (Beancount's own printer, amounts to the cent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.parser import printer

CENT = Decimal("0.01")


def _cents(posting: data.Posting) -> data.Posting:
    units = posting.units
    if units is None or units.number is None:
        return posting
    return posting._replace(units=data.Amount(units.number.quantize(CENT), units.currency))


def quote_string(text: str) -> str:
    """A Beancount string literal: `Mme "Lili"` → `"Mme \\"Lili\\""`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_entry(entry: Any) -> str:
    """One entry, followed by a blank line."""
    if isinstance(entry, data.Transaction):
        entry = entry._replace(postings=[_cents(p) for p in entry.postings])
    text = printer.format_entry(entry)
    return text if text.endswith("\n\n") else text.rstrip("\n") + "\n\n"


def format_entries(entries: list[Any]) -> str:
    return "".join(format_entry(e) for e in entries)
