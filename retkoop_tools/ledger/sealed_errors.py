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


def error_type(name: str, level: str | None = None) -> type:
    """The error class called `name` (source, message, entry), of the rules' `level` (an
    avertissement keeps its level: `checks.regles.level_of`)."""
    from retkoop_tools.checks.regles import AVERTISSEMENT

    safe = name if name.isidentifier() and not name.startswith("_") else "ClosedExerciceError"
    warning = level == AVERTISSEMENT
    key = f"{safe}__avertissement" if warning else safe
    with _lock:
        if key not in _types:
            cls = collections.namedtuple(safe, "source message entry")
            if warning:
                cls = type(safe, (cls,), {"__slots__": (), "level": AVERTISSEMENT})
            cls.__module__ = __name__
            cls.__qualname__ = key
            _types[key] = cls
        return _types[key]


def __getattr__(name: str) -> type:
    if name.startswith("__"):
        raise AttributeError(name)
    if name.endswith("__avertissement"):
        from retkoop_tools.checks.regles import AVERTISSEMENT

        return error_type(name.removesuffix("__avertissement"), AVERTISSEMENT)
    return error_type(name)
