"""Beancount's parse of a file's text, remembered for a moment, and parsed again only from
where it changed.

A save reads the same texts several times (the write policy compares the old and new file,
the rules load the new one, the commit message describes the difference), and the next save's
old text is this one's new. And a save changes a file in one place, most often at its end (a
new operation): the text before that place parses as it did. So each text is kept as pieces
(consecutive runs of whole entries, each parsed on its own, at its own lines), and a new text
of the same file reuses the pieces that end before its first changed line, and parses the rest
in two: from the last entry before the change, and what precedes it — the next save at the
end then parses one or two operations, not the exercice.

Parsing a file in pieces gives what parsing it whole gives: Beancount parses each included
file on its own, and each entry on its own but for `pushtag`/`pushmeta`, whose files are
always parsed whole; a piece starts where Beancount itself started an entry in the previous
text (by the line the parser gave it: a text naming `lineno` or `filename`, which a user's
metadata could set, is parsed whole), whose lines before it are the same; each piece is parsed
at its own line numbers; the display context, the operating currencies and the `include` and
`plugin` lines are the pieces' added up, in order; the header of options a piece is parsed
with stops before a string that goes on to another line. A piece with a parse error, or a
previous text that had one, means a whole parse. `tests/test_parsed.py` compares both on random edits.

The result is shared: callers get their own lists, and must not change the entries' metadata.
"""

from __future__ import annotations

import collections
import hashlib
import re
import threading
from dataclasses import dataclass

from beancount.core import data, display_context
from beancount.parser import parser

#: Texts remembered by content, and the latest text of each file (by name), in each process.
#: A portal process keeps 50 coops' apps (its LRU), each loading ~4 files: each coop's save
#: finds its exercice's text there and parses only the pieces it changed, never the whole
#: file again (~40 ms for ~470 operations). The parses share their entries with the loads.
_SIZE = 64
_FILES = 256
_PIECES = 8
_OPTION = re.compile(rb"^[ \t]*option\b", re.MULTILINE)


@dataclass
class _Piece:
    start: int  # byte offset of its first line in the text
    end: int  # byte offset after its last line
    line: int  # its first line's number
    entries: list
    errors: list
    options: dict


@dataclass
class _Parsed:
    raw: bytes
    pieces: list[_Piece]
    result: tuple[list, list, dict]


_parsed: collections.OrderedDict[tuple[str, str], _Parsed] = collections.OrderedDict()
_latest: collections.OrderedDict[str, _Parsed] = collections.OrderedDict()  # by file name
_lock = threading.Lock()


def parse_text(content: str | bytes, filename: str) -> tuple[list, list, dict]:
    """`parser.parse_string(content, filename)`: (entries, errors, options)."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    key = (hashlib.sha256(raw).hexdigest(), filename)
    with _lock:
        found = _parsed.get(key)
        if found is not None:
            _parsed.move_to_end(key)
        previous = _latest.get(filename)
    if found is None:
        pieces = _reparsed(previous, raw, filename) if previous is not None else None
        if pieces is None:
            pieces = _first_pieces(raw, filename)
        found = _Parsed(raw, pieces, _combined(pieces))
        with _lock:
            _parsed[key] = found
            while len(_parsed) > _SIZE:
                _parsed.popitem(last=False)
    with _lock:
        _latest[filename] = found
        _latest.move_to_end(filename)
        while len(_latest) > _FILES:
            _latest.popitem(last=False)
    entries, errors, options = found.result
    return list(entries), list(errors), options


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _header(raw: bytes) -> bytes:
    """The file's first lines: its options (the names of the account roots, which the rest is
    parsed with), blank lines and comments. It stops before an option whose string goes on to
    the next line: that option is then further down, and the file is parsed whole."""
    end = 0
    while end < len(raw):
        stop = raw.find(b"\n", end)
        stop = len(raw) if stop == -1 else stop + 1
        line = raw[end:stop].strip()
        if line and not line.startswith((b";", b"option ")):
            break
        if line.startswith(b"option ") and b'"' in _STRING.sub(b"", line):
            break
        end = stop
    return raw[:end]


def _parse_piece(raw: bytes, start: int, end: int, line: int, filename: str) -> _Piece:
    # The file's options first, then blank lines: its entries and errors get the lines they
    # have in the file, and its accounts the file's names.
    header = _header(raw) if start else b""
    text = header + b"\n" * (line - 1 - header.count(b"\n")) + raw[start:end]
    entries, errors, options = parser.parse_string(text, report_filename=filename)
    return _Piece(start, end, line, entries, errors, options)


def _combined(pieces: list[_Piece]) -> tuple[list, list, dict]:
    if len(pieces) == 1:
        piece = pieces[0]
        return piece.entries, piece.errors, piece.options
    entries, errors, currencies = [], [], []
    dcontext = display_context.DisplayContext()
    for piece in pieces:
        entries += piece.entries
        errors += piece.errors
        currencies += [c for c in piece.options["operating_currency"] if c not in currencies]
        dcontext.update_from(piece.options["dcontext"])
    options = dict(pieces[0].options)
    dcontext.set_commas(options["render_commas"])  # as the parser's own
    options["dcontext"] = dcontext
    options["operating_currency"] = currencies
    # `include` and `plugin` lines add to their lists wherever they are: each piece has its own
    options["include"] = [name for piece in pieces for name in piece.options["include"]]
    options["plugin"] = [plugin for piece in pieces for plugin in piece.options["plugin"]]
    entries.sort(key=data.entry_sortkey)  # as the parser returns them
    return entries, errors, options


def _first_difference(a: bytes, b: bytes) -> int:
    """The offset of the first byte where `a` and `b` differ (the shorter's length if one
    starts the other): halving, each step one comparison in C."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


#: A text seen first is parsed in two pieces, split at an entry that starts after this share of
#: it: the next text (a save at the end) parses again the end only, not the exercice.
_FIRST_SPLIT = 0.85
_ENTRY_LINE = re.compile(rb"\d{4}-\d\d-\d\d[ \t]")


def _may_split(raw: bytes) -> bool:
    """Whether a text may be parsed in pieces: no `pushtag`/`pushmeta`, no `lineno` or `filename`
    (the entries' lines must be the parser's own: a `lineno:` of the user's is not), no option
    further down than the header (it changes what follows it)."""
    return not (b"push" in raw or b"lineno" in raw or b"filename" in raw
                or _OPTION.search(raw, len(_header(raw))))


def _first_pieces(raw: bytes, filename: str) -> list[_Piece]:
    """A text seen first: parsed in two pieces, at a line that starts an entry (a date at the
    start of a line, after a blank line, outside any string) and that the parser confirms (the
    second piece's first entry is on it, neither piece has an error); else parsed whole."""
    if len(raw) >= 16_384 and _may_split(raw):
        split = raw.rfind(b"\n\n", len(_header(raw)), int(len(raw) * _FIRST_SPLIT)) + 2
        if split >= 2 and _ENTRY_LINE.match(raw, split) and b'"' not in _STRING.sub(b"", raw[:split]):
            line = raw.count(b"\n", 0, split) + 1
            first = _parse_piece(raw, 0, split, 1, filename)
            second = _parse_piece(raw, split, len(raw), line, filename)
            if not (first.errors or second.errors or first.options["display_precision"] or not second.entries
                    or min(e.meta["lineno"] for e in second.entries) != line
                    or any(e.meta["lineno"] >= line for e in first.entries)):
                return [first, second]
    return [_parse_piece(raw, 0, len(raw), 1, filename)]


def _reparsed(previous: _Parsed, raw: bytes, filename: str) -> list[_Piece] | None:
    """`raw`'s pieces, from the previous text of the same file; None: parse it whole."""
    old = previous.raw
    if (not _may_split(raw) or b"push" in old or b"lineno" in old or b"filename" in old
            or any(p.errors for p in previous.pieces) or previous.pieces[0].options["display_precision"]):
        return None
    header = _header(raw)
    if header != _header(old):
        return None  # options changed: they change what follows them
    changed = _first_difference(old, raw)
    if changed == len(old) == len(raw):
        return previous.pieces
    line_start = raw.rfind(b"\n", 0, changed) + 1  # the changed line's start: same in both
    first_line = raw.count(b"\n", 0, line_start) + 1
    kept = []
    for piece in previous.pieces:
        if piece.end > line_start or piece.end <= len(header):
            break
        kept.append(piece)
    pieces = list(kept)
    if len(kept) == len(previous.pieces):  # text added after the whole previous one
        last = kept[-1]
        if not old.endswith(b"\n"):
            return None
        offset, line, starts = last.end, last.line + old.count(b"\n", last.start, last.end), []
    else:
        rest = previous.pieces[len(kept)]
        offset, line = rest.start, rest.line
        # The last entry Beancount started at or before the changed line, after the kept pieces.
        starts = [e.meta["lineno"] for e in rest.entries
                  if isinstance(e.meta.get("lineno"), int) and rest.line < e.meta["lineno"] <= first_line]
    if starts:
        split_line = max(starts)
        split = offset
        for _ in range(split_line - line):
            split = raw.index(b"\n", split) + 1
        pieces.append(_parse_piece(raw, offset, split, line, filename))
        offset, line = split, split_line
    if offset < len(raw) or not pieces:
        pieces.append(_parse_piece(raw, offset, len(raw), line, filename))
    if any(p.errors for p in pieces[len(kept):]):
        return None
    if len(pieces) > _PIECES:  # a save at the end adds one: the older ones put together
        pieces = [_joined(pieces[:-2]), *pieces[-2:]]
    return pieces


def _joined(pieces: list[_Piece]) -> _Piece:
    """Consecutive pieces as one, as a parse of their lines would give it."""
    entries, errors, options = _combined(pieces)
    if len(pieces) == 1:
        entries = list(entries)
    return _Piece(pieces[0].start, pieces[-1].end, pieces[0].line, entries, list(errors), options)
