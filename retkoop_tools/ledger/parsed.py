"""Beancount's parse of a file's text, remembered for a moment: a save reads the same texts
several times (the write policy compares the old and new file, the rules load the new one, the
commit message describes the difference), and the next save's old text is this one's new.

The result is shared: callers get their own lists, and must not change the entries' metadata.
"""

from __future__ import annotations

import collections
import hashlib
import threading

from beancount.parser import parser

_SIZE = 16
_parsed: collections.OrderedDict[tuple[str, str], tuple[list, list, dict]] = collections.OrderedDict()
_lock = threading.Lock()


def parse_text(content: str | bytes, filename: str) -> tuple[list, list, dict]:
    """`parser.parse_string(content, filename)`: (entries, errors, options)."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    key = (hashlib.sha256(raw).hexdigest(), filename)
    with _lock:
        found = _parsed.get(key)
        if found is not None:
            _parsed.move_to_end(key)
    if found is None:
        found = parser.parse_string(raw, report_filename=filename)
        with _lock:
            _parsed[key] = found
            while len(_parsed) > _SIZE:
                _parsed.popitem(last=False)
    entries, errors, options = found
    return list(entries), list(errors), options
