"""The errors of closed exercices as their closing kept them, named like the rule's errors.

A standalone load does not load the closed exercices: their errors come from the state the
closing kept (`ledger.anouveaux`), rebuilt here as named tuples of the same class names as the
rules' (Fava shows the class name). The classes are made on demand and importable by name
(`sealed_errors.DuplicatePieceError`), so a load can be pickled and read by another process.
"""

from __future__ import annotations

import collections
import threading

_lock = threading.Lock()
_types: dict[str, type] = {}


def error_type(name: str) -> type:
    """The error class called `name` (source, message, entry)."""
    safe = name if name.isidentifier() and not name.startswith("_") else "ClosedExerciceError"
    with _lock:
        if safe not in _types:
            cls = collections.namedtuple(safe, "source message entry")
            cls.__module__ = __name__
            _types[safe] = cls
        return _types[safe]


def __getattr__(name: str) -> type:
    if name.startswith("__"):
        raise AttributeError(name)
    return error_type(name)
