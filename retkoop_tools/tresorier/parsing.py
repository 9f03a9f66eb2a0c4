"""What a teacher types: amounts (`45,20`, `1 234,56 €`) and dates (`05/03/2026`).

Errors are `ValueError`s whose message, in French, says what to write instead.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^-?\d+([.,]\d{1,2})?$")
_GROUPED = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d{1,2})?$")  # 1.234,56 (French thousands dot)
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_amount(text: str, *, allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """`"1 234,56"` → `Decimal("1234.56")`; ValueError with a French message otherwise."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("Indiquez un montant, par exemple 45,20.")
    cleaned = _SPACES.sub("", raw.replace("€", "").replace("EUR", ""))
    if _GROUPED.match(cleaned):
        cleaned = cleaned.replace(".", "")
    if not _AMOUNT.match(cleaned):
        raise ValueError(
            f"« {raw} » n'est pas un montant : écrivez des chiffres avec au plus deux "
            "décimales après la virgule, par exemple 45,20 ou 1 234,56."
        )
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        raise ValueError(f"« {raw} » n'est pas un montant.") from None
    if value < 0 and not allow_negative:
        raise ValueError("Le montant s'écrit sans signe moins : le type d'opération dit le sens.")
    if value == 0 and not allow_zero:
        raise ValueError("Le montant ne peut pas être nul.")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str) -> datetime.date:
    """`"05/03/2026"` (or `5/3/26`, or ISO `2026-03-05`) → a date; ValueError otherwise."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("Indiquez la date, au format jj/mm/aaaa.")
    match = _FR_DATE.match(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000
    else:
        iso = _ISO_DATE.match(raw)
        if not iso:
            raise ValueError(f"« {raw} » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple 05/03/2026.")
        year, month, day = (int(g) for g in iso.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"Le {raw} n'existe pas dans le calendrier : vérifiez le jour et le mois.") from None
