"""A digest of entries that ignores formatting: the seal of a closed exercice.

Two files that hold the same entries give the same digest, whatever their layout, the order
of the entries, of their postings or of their metadata, or how an amount is written
(`15 EUR` and `15.00 EUR`). Ticks on bank statements (`releve`) are left out: an operation
of a closed exercice may still be ticked on a later statement.

The canonical text of an entry is spelled out here field by field, not derived from
Beancount's classes: seals written in the books must stay valid across Beancount versions.
Changing it invalidates every seal, so tests pin it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from beancount.core import data

from retkoop_tools.ledger.conventions import META_RELEVE

#: Metadata keys that do not belong to the content of an entry.
IGNORED_META = frozenset({"filename", "lineno", META_RELEVE})
_SEP = "\x1f"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "b:" + str(value)
    if isinstance(value, Decimal):
        return "n:" + format(value.normalize(), "f") if value.is_finite() else "n:" + str(value)
    if isinstance(value, datetime.date):
        return "d:" + value.isoformat()
    if isinstance(value, data.Amount):
        return "a:" + _value(value.number) + " " + str(value.currency)
    if isinstance(value, str):
        return "s:" + value
    if value is None:
        return "-"
    if hasattr(value, "dtype") and hasattr(value, "value"):  # a custom directive's value
        return _value(value.value)
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_value(v) for v in value) + ")"
    return "r:" + repr(value)


def _meta(meta: dict[str, Any] | None) -> str:
    if not meta:
        return ""
    return ";".join(
        sorted(
            f"{k}={_value(v)}"
            for k, v in meta.items()
            if k not in IGNORED_META and not k.startswith("__")
        )
    )


def _posting(posting: data.Posting) -> str:
    return _SEP.join(
        (
            posting.account,
            _value(posting.units),
            _value(posting.cost),
            _value(posting.price),
            posting.flag or "",
            _meta(posting.meta),
        )
    )


def canonical_text(entry: Any) -> str:
    """The canonical text of one entry."""
    kind = type(entry).__name__
    if isinstance(entry, data.Transaction):
        parts = [
            kind,
            entry.date.isoformat(),
            entry.flag or "",
            entry.payee or "",
            entry.narration or "",
            ",".join(sorted(entry.tags or ())),
            ",".join(sorted(entry.links or ())),
            _meta(entry.meta),
            "|".join(sorted(_posting(p) for p in entry.postings)),
        ]
    elif isinstance(entry, data.Custom):
        parts = [kind, entry.date.isoformat(), entry.type, _value(list(entry.values or ())), _meta(entry.meta)]
    else:
        fields = [
            _value(getattr(entry, name))
            for name in entry._fields
            if name not in ("meta", "date")
        ]
        parts = [kind, entry.date.isoformat(), *fields, _meta(entry.meta)]
    return _SEP.join(parts)


def entry_fingerprint(entry: Any) -> str:
    """A short, stable identity of one entry's content."""
    return hashlib.sha256(canonical_text(entry).encode()).hexdigest()[:16]


def entries_digest(entries: Iterable[Any]) -> str:
    """The digest of a set of entries (order does not matter)."""
    h = hashlib.sha256()
    for text in sorted(canonical_text(e) for e in entries):
        h.update(text.encode())
        h.update(b"\n")
    return h.hexdigest()
