"""Beancount's booking and validation, with a shortcut for postings that are complete.

A coop's books hold euros only, never a cost nor a price, and every posting the product writes
has its amount: for such a transaction Beancount's full booking (`booking_full._book`) returns
the same postings in a new list, with the transaction's metadata copied and its tolerances
added (`__tolerances__`), and its running balances serve only later postings held at cost or
left without a currency. So when every transaction of a load is complete, in one currency, with
neither cost nor price, each one is booked here as Beancount would book it, without the
per-posting machinery (a quarter of a load). Any other load — an amount left out, a cost, a
price, a second currency, anywhere — is booked by Beancount itself.

The validation's costliest check, that each transaction balances (`validation.
validate_check_transaction_balances`), takes the same shortcut transaction by transaction:
for complete postings in one currency, without cost nor price, the residual is the sum of their
amounts (as Beancount's inventory adds them, in order) and the tolerance the one Beancount
infers; a transaction that does not balance, or any other, is checked by Beancount itself, so
its error is Beancount's own.

`tests/test_booking.py` compares both on the demo's books and on synthetic ones.
"""

from __future__ import annotations

from decimal import Decimal

from beancount.core import data, interpolate
from beancount.core.amount import Amount
from beancount.ops import validation
from beancount.parser import booking as beancount_booking

ZERO = Decimal(0)


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


def _tolerance_key(entry: data.Transaction) -> tuple:
    """What Beancount's inferred tolerances of a complete transaction depend on."""
    return tuple((p.units.currency, p.units.number.as_tuple().exponent,
                  bool(p.meta and interpolate.AUTOMATIC_META in p.meta)) for p in entry.postings)


def _with_own_metadata(entries: list) -> list:
    """The entries, those with a posting to complete holding copies of their postings'
    metadata: Beancount's booking marks an amount it fills in (`__automatic__`) in the
    posting's metadata, in place, and the parse is shared (`ledger/parsed.py`)."""
    return [e._replace(postings=[p._replace(meta=dict(p.meta)) if p.meta is not None else p for p in e.postings])
            if isinstance(e, data.Transaction) and not _complete(e) else e for e in entries]


def book(entries: list, options: dict) -> tuple[list, list]:
    """`beancount.parser.booking.book(entries, options)`: (booked entries, errors)."""
    if not all(_complete(e) for e in entries if isinstance(e, data.Transaction)):
        return beancount_booking.book(_with_own_metadata(entries), options)
    tolerances: dict[tuple, dict] = {}  # the same digits give the same tolerances
    booked = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            key = _tolerance_key(entry)
            found = tolerances.get(key)
            if found is None:
                found = tolerances[key] = interpolate.infer_tolerances(entry.postings, options, mode="max")
            meta = entry.meta.copy()
            meta[interpolate.AUTOMATIC_TOLERANCES] = dict(found)
            entry = entry._replace(postings=list(entry.postings), meta=meta)
        booked.append(entry)
    return booked, []


def _balances(entry: data.Transaction, options: dict, tolerances: dict[tuple, dict]) -> bool:
    """Whether a complete transaction balances, as Beancount decides it."""
    total = None
    currency = None
    for posting in entry.postings:
        if posting.meta and posting.meta.get(interpolate.AUTOMATIC_RESIDUAL, False):
            continue
        number = posting.units.number
        # Beancount's inventory drops a position that comes to zero, so the next amount starts
        # it again as it is (an addition would round an amount of more than 28 digits)
        total = number if total is None or not total else total + number
        currency = posting.units.currency
    if total is None or not total:
        return True  # nothing left: an empty inventory is small
    key = _tolerance_key(entry)
    found = tolerances.get(key)
    if found is None:
        found = tolerances[key] = interpolate.infer_tolerances(entry.postings, options)
    return abs(total) <= found.get(currency, ZERO)


def check_transaction_balances(entries: list, options: dict) -> list:
    """`validation.validate_check_transaction_balances(entries, options)`."""
    tolerances: dict[tuple, dict] = {}
    others = [e for e in entries if isinstance(e, data.Transaction)
              and not (_complete(e) and _balances(e, options, tolerances))]
    return validation.validate_check_transaction_balances(others, options) if others else []


def validate(entries: list, options: dict) -> list:
    """`validation.validate(entries, options)`: Beancount's validations, the balance of each
    transaction checked by `check_transaction_balances`."""
    errors = []
    for check in validation.VALIDATIONS:
        if check is validation.validate_check_transaction_balances:
            check = check_transaction_balances
        errors.extend(check(entries, options))
    return errors
