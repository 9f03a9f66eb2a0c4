"""French formatting of what users read: amounts as `1 234,56 €`, dates as `jj/mm/aaaa`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

NBSP = "\u00a0"
#: The time zone of what users read: times are told in French time, whatever the server's.
PARIS = ZoneInfo("Europe/Paris")


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


def now_paris() -> datetime.datetime:
    """Now, in French time, to the second (for the histories users read)."""
    return datetime.datetime.now(PARIS).replace(microsecond=0)


def fmt_datetime(value: datetime.datetime) -> str:
    """`12/03/2026 à 14:05`, in French time (a time without zone is the server's local time)."""
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def fmt_rate(value: Decimal) -> str:
    """A rate per euro as a percentage: `Decimal("0.00688")` → `0,688 %`."""
    percent = format((Decimal(value) * 100).normalize(), "f")
    return f"{percent.replace('.', ',')}{NBSP}%"
