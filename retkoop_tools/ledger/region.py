"""The part of a ledger file that an edit changed, parsed as the whole file's parse has it.

A save changes a few lines of an exercice file of some hundred operations. What follows that
change (its history line, the write policy's comparisons) need the entries of the old and the
new text; those outside the changed lines are the same in both, so only the changed region is
parsed again. The region is the text between the longest common beginning and end of both
texts, widened to the lines where a directive starts.

Beancount parses a file from its beginning: the region is parsed with the same state, the file's
header (its options) in front of it, and counted from the same line. Whenever that state might
differ from the whole file's (tags or metadata pushed, an option after the header, a syntax
error, a string left open at the region's end, a declaration inside the region), there is no
region and the caller parses the whole texts, as before. The region's parse of the new text is
checked against the new text's own parse, entry for entry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from beancount.parser import lexer, parser

from retkoop_tools.ledger.parsed import parse_text

#: Lexer tokens of the declarations that change how what follows them is parsed or read.
DECLARATION_TOKENS = frozenset({"OPTION", "PLUGIN", "INCLUDE", "PUSHTAG", "POPTAG", "PUSHMETA", "POPMETA"})
_DECLARATION_WORDS = (b"option", b"plugin", b"include", b"pushtag", b"poptag", b"pushmeta", b"popmeta")
_CHUNK = 4096


@dataclass(frozen=True)
class Region:
    """An edit of one file: the entries of the region in the old and the new text, and the rest.

    `old` are the old text's entries in the region, equal to what a parse of the whole old
    text gives there; `new` are the new text's parse's own entries in the region; `outside` the
    new text's entries around it, which the old text holds as they are (at lines shifted by the
    edit). Each list is in Beancount's order (date, kind, line)."""

    old: list[Any]
    new: list[Any]
    outside: list[Any]


def _common_prefix(a: bytes, b: bytes) -> int:
    """How many bytes `a` and `b` begin with in common."""
    n = min(len(a), len(b))
    lo = 0
    while lo < n:
        hi = min(n, lo + _CHUNK)
        if a[lo:hi] != b[lo:hi]:
            while hi - lo > 1:  # a[:lo] == b[:lo], a[:hi] != b[:hi]
                mid = (lo + hi) // 2
                if a[lo:mid] == b[lo:mid]:
                    lo = mid
                else:
                    hi = mid
            return lo
        lo = hi
    return n


def _line_start_at_or_before(text: bytes, pos: int) -> tuple[int, int]:
    """(line number, offset) of the line holding byte `pos`."""
    return text.count(b"\n", 0, pos) + 1, text.rfind(b"\n", 0, pos) + 1


def _declaration_line(text: bytes, start: int, end: int) -> bool:
    """Whether a line of `text[start:end]` (which begins a line) begins with a declaration's
    word, indented or not (a narration that says « option » is not one)."""
    for word in _DECLARATION_WORDS:
        at = text.find(word, start, end)
        while at >= 0:
            line = text.rfind(b"\n", 0, at) + 1
            if line >= start and not text[line:at].strip(b" \t"):
                return True
            at = text.find(word, at + 1, end)
    return False


def _declares(text: bytes) -> bool:
    """Whether `text` (beginning at a line of its own) holds a declaration token."""
    return any(token[0] in DECLARATION_TOKENS for token in lexer.lex_iter_string(text))


def _parse_region(header: bytes, first_line: int, header_lines: int, region: bytes, filename: str):
    """Beancount's parse of `region`, read after `header` as if it began at line `first_line`."""
    padding = b"\n" * (first_line - 1 - header_lines)
    return parser.parse_string(header + padding + region, report_filename=filename)


def changed_region(old_text: str | bytes, new_text: str | bytes, filename: str) -> Region | None:
    """The region of `old_text` that `new_text` changes, parsed; None when the whole texts are
    to be parsed (the state there is not certain to be the same, or most of the text changed).

    The new text is parsed in full through `parsed.parse_text(new_text, filename)` (shared with
    the other readers of the same text); the old one only in the region. The last few regions
    are remembered (a save asks twice: its history line, then the write policy); a region's
    lists are shared, never to be changed by the caller."""
    old = old_text.encode("utf-8") if isinstance(old_text, str) else old_text
    new = new_text.encode("utf-8") if isinstance(new_text, str) else new_text
    return _changed_region(old, new, filename)


@functools.lru_cache(maxsize=8)
def _changed_region(old: bytes, new: bytes, filename: str) -> Region | None:
    entries, errors, _options = parse_text(new, filename)
    if errors or not entries:
        return None
    starts = {entry.meta["lineno"] for entry in entries}
    first = min(starts)

    p = _common_prefix(old, new)
    s = _common_prefix(old[p:][::-1], new[p:][::-1])

    # The region begins at the last directive that starts in the common beginning…
    line, start = _line_start_at_or_before(new, p)
    while line > 1 and line not in starts:
        start = new.rfind(b"\n", 0, start - 1) + 1
        line -= 1
    if line not in starts:  # the change is in the header: no region
        return None
    # …and ends at the first directive that starts in the common end (or at the end).
    end = len(new) - s
    if end and new[end - 1:end] != b"\n":
        found = new.find(b"\n", end)
        end = len(new) if found < 0 else found + 1
    end_line = new.count(b"\n", 0, end) + 1
    while end < len(new) and end_line not in starts:
        found = new.find(b"\n", end)
        end = len(new) if found < 0 else found + 1
        end_line += 1
    if end >= len(new):
        end, end_line = len(new), None
    old_end = end - (len(new) - len(old))
    if old_end and old[old_end - 1:old_end] != b"\n":  # the old text's line goes on before it
        return None
    old_region, new_region = old[start:old_end], new[start:end]
    if 2 * (len(old_region) + len(new_region)) > len(old) + len(new):
        return None  # most of the text changed: parsing it all costs no more

    # The parser's state where the region begins: the header's options, nothing pushed, no
    # option further down before the region.
    header_lines = first - 1
    header_end = 0
    for _ in range(header_lines):
        header_end = new.index(b"\n", header_end) + 1
    header = new[:header_end]
    before = new[:start]
    if b"pushtag" in before or b"pushmeta" in before or _declaration_line(new, header_end, start):
        return None
    if _declares(old_region) or _declares(new_region):
        return None

    inside = [e for e in entries if line <= e.meta["lineno"] and (end_line is None or e.meta["lineno"] < end_line)]
    reparsed, new_errors, _ = _parse_region(header, line, header_lines, new_region, filename)
    if new_errors or reparsed != inside:
        return None
    old_entries, old_errors, _ = _parse_region(header, line, header_lines, old_region, filename)
    if old_errors:  # a syntax error, or a string still open at the region's end
        return None
    outside = [e for e in entries if e.meta["lineno"] < line or (end_line is not None and e.meta["lineno"] >= end_line)]
    return Region(old_entries, inside, outside)
