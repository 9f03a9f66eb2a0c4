"""Numbering suggestions: the next pièce in the coop's style, the next cheque of the chequebook.

Two styles of pièces (DOMAIN.md §2): `RD` numbers receipts R01, R02… and expenses D01, D02…
(a leading zero, so that D11 does not sort between D1 and D10); `continue` numbers every
operation 1, 2, 3…. Numbering restarts with each exercice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from beancount.core import data

from retkoop_tools.ledger.conventions import META_CHEQUE, META_MODE, META_PIECE
from retkoop_tools.ledger.exercice import Exercice

STYLE_RD = "RD"
STYLE_CONTINUE = "continue"
_RD = re.compile(r"^([RD])(\d+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d+)$")
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


def _pieces(entries: Iterable, exercice: Exercice) -> list[str]:
    return [
        str(e.meta[META_PIECE]).strip()
        for e in entries
        if isinstance(e, data.Transaction) and exercice.contains(e.date) and e.meta.get(META_PIECE) is not None
    ]


def next_piece(entries: Iterable, exercice: Exercice, style: str, receipt: bool) -> str:
    """The pièce to suggest for a new operation of `exercice` (`receipt`: R, else D)."""
    pieces = _pieces(entries, exercice)
    if style == STYLE_CONTINUE:
        numbers = [int(m.group(1)) for p in pieces if (m := _NUMBER.match(p))]
        return str(max(numbers, default=0) + 1)
    letter = "R" if receipt else "D"
    found = [(len(m.group(2)), int(m.group(2))) for p in pieces
             if (m := _RD.match(p)) and m.group(1).upper() == letter]
    width = max([w for w, _ in found] + [2])
    number = max((n for _, n in found), default=0) + 1
    return f"{letter}{number:0{width}d}"


def next_cheque(entries: Iterable, bank_accounts: Iterable[str]) -> str:
    """The number after the last cheque issued (same width), or "" when none was issued yet."""
    banks = set(bank_accounts)
    last: tuple | None = None
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.meta.get(META_MODE) != "CHQ":
            continue
        number = entry.meta.get(META_CHEQUE)
        issued = any(p.account in banks and p.units.number < 0 for p in entry.postings)
        if not issued or not isinstance(number, str) or not _TRAILING_DIGITS.match(number.strip()):
            continue
        key = (int(_TRAILING_DIGITS.match(number.strip()).group(2)), entry.date)
        if last is None or key > last[0]:
            last = (key, number.strip())
    if last is None:
        return ""
    prefix, digits = _TRAILING_DIGITS.match(last[1]).groups()
    return f"{prefix}{int(digits) + 1:0{len(digits)}d}"
