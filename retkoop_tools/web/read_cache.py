"""Fava's answers to the journal's API, kept while nothing they depend on changed.

The journal (`api/journal_page`) is what a teacher opens most, and the costliest read: Fava
renders the exercice's operations through Jinja (~1 Mo of HTML for ~430 operations, ~0,2 s of
CPU), again on every request. Its answer depends only on:
- the coop's load: each Fava load of a ledger gets a number of its own, never given twice in
  the process, whatever reloads it (the portal after a write or when the files' signature
  changed, Fava's own watcher when a document arrives);
- the request: path and query, the vérificateur's forced time filter included;
- the app: the open exercices, the history, a vérificateur's exercice;
- today's date.
Never on who asks: the same answer for a coop's mandataire and the AD's staff (tested; only
our treasurer's pages read the user, and they are not kept). So the answer is kept, per
process, under exactly that and the role, and served again only after the portal authorized
the request, to an account of the same role (an AD's staff reading a coop after another, a
teacher coming back to the journal). A write changes the files, so the next read misses.

Kept compressed (zlib's fastest level: ~1 ms each way for ~1 Mo, a tenth of the size), bounded
in bytes (least recently used out first); only successful answers are kept.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import threading
import zlib

from fava.core import FavaLedger

from retkoop_tools.ledger.exercice import today

#: The read-only Fava endpoints whose answer is a function of the load and the query.
CACHED = re.compile(r"^/[^/]+/api/journal_page$")
MAX_BYTES = 32 * 1024 * 1024  # compressed: some 400 journals of ~430 operations
#: `RETKOOP_CACHE_JOURNAL=0`: no answer kept (the obvious alternative, for comparisons).
READS_ENV = "RETKOOP_CACHE_JOURNAL"
_LOADS = itertools.count(1)
#: id(ledger) → the number of its last load. Fava's ledgers take no attribute (slots) nor weak
#: reference; an id is given again only to a new ledger, whose own first load (in its
#: constructor, before anyone reads it) numbers it anew.
_NUMBERS: dict[int, int | None] = {}


def _number_loads() -> None:
    """Every `FavaLedger.load_file` (the scoped ledgers' too: they call it) numbers its load."""
    if getattr(FavaLedger.load_file, "retkoop", False):
        return
    original = FavaLedger.load_file

    def load_file(self) -> None:
        _NUMBERS[id(self)] = None  # a load that fails half-way is no load to answer from
        original(self)
        if len(_NUMBERS) > 100_000:  # ledgers long gone: their next load numbers the live ones
            _NUMBERS.clear()
        _NUMBERS[id(self)] = next(_LOADS)

    load_file.retkoop = True  # type: ignore[attr-defined]
    FavaLedger.load_file = load_file


_number_loads()


def load_of(app) -> tuple | None:
    """The numbers of the loads an app's ledgers hold (None: one is not numbered)."""
    numbers = tuple(_NUMBERS.get(id(ledger)) for ledger in app.config["LEDGERS"].ledgers)
    return None if None in numbers else numbers


class ReadCache:
    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._answers: collections.OrderedDict[tuple, tuple[str, tuple, bytes]] = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.enabled = os.environ.get(READS_ENV, "").strip() != "0"

    def keeps(self, rest: str) -> bool:
        """Whether answers to this path are kept."""
        return self.enabled and CACHED.match(rest) is not None

    def key(self, app, role: str, rest: str, query: str) -> tuple | None:
        """The answer's key, or None when the request is not one whose answer is kept."""
        if not self.keeps(rest):
            return None
        loads = load_of(app)
        if loads is None:
            return None
        return (app.config.get("RETKOOP_POOL_KEY"), loads, role, rest, query, today().isoformat())

    def get(self, key: tuple | None) -> tuple[str, list, bytes] | None:
        if key is None:
            return None
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
        status, headers, packed = found
        return status, list(headers), zlib.decompress(packed)

    def put(self, key: tuple | None, status: str, headers: list, body: bytes) -> None:
        if key is None or not status.startswith("200"):
            return
        body = zlib.compress(body, 1)
        if len(body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._answers[key] = (status, tuple(headers), body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._answers:
                _key, (_s, _h, dropped) = self._answers.popitem(last=False)
                self._bytes -= len(dropped)
