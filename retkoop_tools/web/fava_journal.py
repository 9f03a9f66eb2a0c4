"""The Journal's entries rendered once each: an entry's HTML kept across its coop's loads.

Fava answers `api/journal_page` by rendering the `journal_table_contents` macro of
`_journal_table.html` over every entry of the page (~600 for an exercice of ~430 operations:
~1 Mo of HTML, 0,2 to 0,3 s of CPU). The read cache (`read_cache.py`) serves an answer again for
the same load only: after each save, every process renders the whole Journal again, although
one entry changed. That was most of the portal's CPU under load.

An entry's HTML is a function of:
- the entry: its every field, its metadata (file and line included) and its postings, keyed by
  a digest of its pickle, which differs for any two entries that differ. Not by Fava's
  `hash_entry` (also in the HTML): Beancount joins the fields' texts without a separator and
  leaves out the type, so that a payee's text moved into the narration, no payee and the payee
  "None", or a tag turned into a link, on the same line, hash the same;
- its place in the Journal (the sort key `data-sort-value`): rendered as a marker, put back
  for each answer;
- the application: its pool key (the coop, the vérificateur's exercice, the history) and the
  prefix and ledger slug of its links, its incognito setting;
- the filters that Fava adds to every link (`conversion`, `interval`, `account`, `filter`,
  `time`, from the request);
- the load's number formats (locale, decimals per currency), the commodities' names (the
  amounts' titles), the metadata badges option, and the language of the page.
Kept under all of these, each entry is rendered by Fava's own macro (our escaping template,
`fava_templates.py`) once, and its HTML reused by the next loads. The account journals (with
change and balance columns, which depend on the entries before) are rendered by Fava as before.

Kept compressed (zlib, fastest level), bounded in bytes per process, least recently used out
first; `RETKOOP_CACHE_JOURNAL=0` turns it off with the read cache (the obvious alternative).
"""

from __future__ import annotations

import collections
import hashlib
import os
import pickle
import threading
import zlib
from collections.abc import Callable, Iterable

import fava.json_api as fava_json_api
from fava.context import g
from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

from retkoop_tools.web.read_cache import READS_ENV

#: The sort key's place in an entry's HTML: markup, so that no user text (escaped) can be it.
_INDEX = Markup("<retkoop-index/>")
#: The request's values that Fava's `url_for` puts in every link (`fava.application`).
_LINK_FILTERS = ("conversion", "interval", "account", "filter", "time")
MAX_BYTES = 24 * 1024 * 1024  # compressed: ~40 000 entries, some 60 exercices' Journals


def _size(packed: tuple[bytes, bytes]) -> int:
    return len(packed[0]) + len(packed[1]) + 200  # with the key and the tuples


class FragmentCache:
    """Entries' HTML (before and after their sort key), compressed, least recently used out."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: collections.OrderedDict[tuple, tuple[bytes, bytes]] = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.enabled = os.environ.get(READS_ENV, "").strip() != "0"

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple) -> tuple[str, str] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return zlib.decompress(found[0]).decode("utf-8"), zlib.decompress(found[1]).decode("utf-8")

    def put(self, key: tuple, head: str, tail: str) -> None:
        packed = (zlib.compress(head.encode("utf-8"), 1), zlib.compress(tail.encode("utf-8"), 1))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= _size(old)
            self._items[key] = packed
            self._bytes += _size(packed)
            while self._bytes > self.max_bytes and self._items:
                self._bytes -= _size(self._items.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0


FRAGMENTS = FragmentCache()


def _context() -> tuple:
    """What an entry's HTML depends on besides the entry (see the module's docstring)."""
    ledger = g.ledger
    formats = ledger.format_decimal
    return (
        current_app.config.get("RETKOOP_POOL_KEY"),
        bool(current_app.config.get("INCOGNITO")),
        request.script_root,
        g.beancount_file_slug,
        tuple(request.args.get(name) for name in _LINK_FILTERS),
        str(get_locale()),
        str(getattr(formats, "_locale", None)),  # Fava 1.30: the locale its formatters use
        tuple(sorted(formats.precisions.items())),
        tuple(sorted(ledger.commodities.names.items())),
        bool(ledger.fava_options.show_metadata_indicators),
    )


def _entry_key(entry) -> bytes | None:
    """A digest of everything the entry holds (None: it does not pickle, render it each time)."""
    try:
        return hashlib.blake2b(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), digest_size=20).digest()
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None


def _kept(macro: Callable, cache: FragmentCache, context: tuple, entry) -> tuple[str, str] | None:
    """The entry's HTML before and after its sort key, rendered once (None: it cannot be kept,
    its entry does not pickle or the template is not the one we know)."""
    digest = _entry_key(entry)
    if digest is None:
        return None
    key = (context, digest)
    pair = cache.get(key)
    if pair is None:
        head, found, tail = str(macro([(_INDEX, entry)])).strip().partition(_INDEX)
        if not found or _INDEX in tail:
            return None
        pair = (head, tail)
        cache.put(key, head, tail)
    return pair


def cached_contents(macro: Callable, cache: FragmentCache = FRAGMENTS) -> Callable:
    """`journal_table_contents`, each entry's HTML taken from `cache` when it is there."""

    def journal_table_contents(entries: Iterable, show_change_and_balance: bool = False, ledger=None):
        if show_change_and_balance or ledger is not None or not cache.enabled:
            return macro(entries, show_change_and_balance=show_change_and_balance, ledger=ledger)
        context = _context()
        parts: list[str] = []
        for index, entry in entries:
            pair = _kept(macro, cache, context, entry)
            if pair is None:  # not kept: Fava's render of the entry
                parts += ("\n    ", str(macro([(index, entry)])).strip())
            else:
                parts += ("\n    ", pair[0], str(index), pair[1])
        return Markup("".join(parts))

    journal_table_contents.retkoop = True  # type: ignore[attr-defined]
    return journal_table_contents


def _use_cached_contents() -> None:
    """Fava's journal API asks Flask for the macro (`get_template_attribute`) on each request:
    it gets the macro wrapped by `cached_contents`."""
    original = fava_json_api.get_template_attribute
    if getattr(original, "retkoop", False):
        return

    def get_template_attribute(template_name: str, attribute: str):
        found = original(template_name, attribute)
        if (template_name, attribute) == ("_journal_table.html", "journal_table_contents"):
            return cached_contents(found)
        return found

    get_template_attribute.retkoop = True  # type: ignore[attr-defined]
    fava_json_api.get_template_attribute = get_template_attribute


_use_cached_contents()
