"""A digest of entries that ignores formatting: the seal of a closed exercice.

Two files that hold the same entries give the same digest, whatever their layout, the order
of the entries, of their postings or of their metadata. Ticks on bank statements (`releve`)
are left out: an operation of a closed exercice may still be ticked on a later statement.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from retkoop_tools.ledger.conventions import META_RELEVE

#: Metadata keys that do not belong to the content of an entry.
IGNORED_META = frozenset({"filename", "lineno", META_RELEVE})


def canonical(value: Any) -> Any:
    """A plain, order-independent structure for an entry or any part of it."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, dict):
        return tuple(
            sorted(
                (k, canonical(v))
                for k, v in value.items()
                if k not in IGNORED_META and not k.startswith("__")
            )
        )
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(canonical(v) for v in value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = []
        for name in value._fields:
            part = getattr(value, name)
            if name == "postings" and part is not None:
                fields.append((name, tuple(sorted(repr(canonical(p)) for p in part))))
            else:
                fields.append((name, canonical(part)))
        return (type(value).__name__, tuple(fields))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def entry_fingerprint(entry: Any) -> str:
    """A short, stable identity of one entry's content."""
    return hashlib.sha256(repr(canonical(entry)).encode()).hexdigest()[:16]


def entries_digest(entries: Iterable[Any]) -> str:
    """The digest of a set of entries (order does not matter)."""
    lines = sorted(repr(canonical(e)) for e in entries)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()
