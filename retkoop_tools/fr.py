"""French formatting of what users read: amounts as `1 234,56 €`, dates as `jj/mm/aaaa`."""

from __future__ import annotations

import datetime
from decimal import Decimal

NBSP = "\u00a0"


def fmt_number(value: Decimal, places: int = 2) -> str:
    """`Decimal("-1234.5")` → `-1 234,50` (non-breaking space between thousands)."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{abs(Decimal(value)).quantize(quantum):,.{places}f}"
    text = text.replace(",", NBSP).replace(".", ",")
    return ("-" if value < 0 and Decimal(value).quantize(quantum) != 0 else "") + text


def fmt_eur(value: Decimal) -> str:
    """`Decimal("1234.56")` → `1 234,56 €`."""
    return f"{fmt_number(value)}{NBSP}€"


def fmt_date(date: datetime.date) -> str:
    """`date(2026, 3, 12)` → `12/03/2026`."""
    return date.strftime("%d/%m/%Y")
