"""Beancount's booking, with a shortcut for books whose every posting is complete.

A coop's books hold euros only, never a cost nor a price, and every posting the product writes
has its amount: for such a transaction Beancount's full booking (`booking_full._book`) returns
the same postings in a new list, with the transaction's metadata copied and its tolerances
added (`__tolerances__`), and its running balances serve only later postings held at cost or
left without a currency. So when every transaction of a load is complete, in one currency, with
neither cost nor price, each one is booked here as Beancount would book it, without the
per-posting machinery (a quarter of a load). Any other load — an amount left out, a cost, a
price, a second currency, anywhere — is booked by Beancount itself.

`tests/test_booking.py` compares both on the demo's books and on synthetic ones.
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data, interpolate
from beancount.core.amount import Amount
from beancount.parser import booking as beancount_booking


def _complete(entry: data.Transaction) -> bool:
    currency = None
    for posting in entry.postings:
        units = posting.units
        if (posting.cost is not None or posting.price is not None or not isinstance(units, Amount)
                or not isinstance(units.number, Decimal) or not isinstance(units.currency, str)):
            return False
        if currency is None:
            currency = units.currency
        elif units.currency != currency:
            return False
    return True


def book(entries: list, options: dict) -> tuple[list, list]:
    """`beancount.parser.booking.book(entries, options)`: (booked entries, errors)."""
    if not all(_complete(e) for e in entries if isinstance(e, data.Transaction)):
        return beancount_booking.book(entries, options)
    tolerances: dict[tuple, dict] = {}  # the same digits give the same tolerances
    booked = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            key = tuple((p.units.currency, p.units.number.as_tuple().exponent,
                         bool(p.meta and interpolate.AUTOMATIC_META in p.meta)) for p in entry.postings)
            found = tolerances.get(key)
            if found is None:
                found = tolerances[key] = interpolate.infer_tolerances(entry.postings, options, mode="max")
            meta = entry.meta.copy()
            meta[interpolate.AUTOMATIC_TOLERANCES] = dict(found)
            entry = entry._replace(postings=list(entry.postings), meta=meta)
        booked.append(entry)
    return booked, []
