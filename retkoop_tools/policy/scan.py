"""The declarations of one Beancount file, read by Beancount's own lexer.

Beancount follows an `include` of any file it parses, ends a line on `\\r` as well as `\\n`,
accepts indented declarations and escaped strings (`"fava\\-option"` is `fava-option`): only
its lexer says what a file declares. An included file (comptes, exercices) may declare
nothing: no `include`, `plugin`, `push…`/`pop…`, no option but the account roots every file
repeats, no Fava option but the insertion marker, no Fava extension, no document outside the
coop's `documents/` folder.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from beancount.parser import lexer

from retkoop_tools.ledger.conventions import (
    CUSTOM_COOPERATIVE,
    CUSTOM_FAVA_EXTENSION,
    CUSTOM_FAVA_OPTION,
    META_DOCUMENT,
)
from retkoop_tools.ledger.layout import ROOT_OPTIONS
from retkoop_tools.policy.documents import document_path_problem

#: Lexer tokens that an included file may never hold, and what to say.
_FORBIDDEN = {
    "INCLUDE": "« include » (inclure un autre fichier)",
    "PLUGIN": "« plugin » (charger du code)",
    "PUSHTAG": "« pushtag »",
    "POPTAG": "« poptag »",
    "PUSHMETA": "« pushmeta »",
    "POPMETA": "« popmeta »",
}
#: Characters Beancount or a browser may read as something else than text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
INSERT_ENTRY_OPTION = "insert-entry"
#: Metadata Beancount sets itself: written in a file, they would place an entry elsewhere
#: (another file, a line) for every rule that asks where it is.
RESERVED_META = ("filename", "lineno")


@dataclass(frozen=True)
class Violation:
    """One line a coop's file may not hold; `file` is relative to the coop's folder."""

    file: str
    line: int
    message: str


@functools.cache
def root_options() -> frozenset[tuple[str, str]]:
    """The options every file repeats (account roots), as (name, value) pairs."""
    tokens = list(lexer.lex_iter_string(ROOT_OPTIONS.encode()))
    pairs = set()
    for i, token in enumerate(tokens):
        if token[0] == "OPTION":
            pairs.add((tokens[i + 1][3], tokens[i + 2][3]))
    return frozenset(pairs)


def decode(content: str | bytes, rel: str) -> tuple[str | None, list[Violation]]:
    """The text of a ledger file, or the violation that it is not clean UTF-8 text."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            return None, [Violation(rel, line, f"{rel} n'est pas un texte UTF-8 (ligne {line}) : "
                                               "enregistrez le fichier en UTF-8.")]
    bad = _CONTROL.search(content)
    if bad:
        line = content[: bad.start()].count("\n") + 1
        return None, [Violation(rel, line, f"{rel}, ligne {line} : caractère de contrôle interdit "
                                           f"(code {ord(bad.group()[0])}) ; retirez-le.")]
    return content, []


_KEYWORDS = (b"include", b"plugin", b"pushtag", b"poptag", b"pushmeta", b"popmeta", b"fava-extension",
             b'"cooperative"', b"filename", b"lineno")
_MARKER = b'custom "fava-option" "insert-entry"'
_DOCUMENT_KEY = re.compile(rb'document:[ \t]*"([^"\n]*)"')
_DOCUMENT_DIRECTIVE = re.compile(rb'document[ \t]+[A-Z][^\s"]*[ \t]+"([^"\n]*)"')


@functools.cache
def _root_option_lines() -> tuple[bytes, ...]:
    return tuple(line.encode() for line in ROOT_OPTIONS.splitlines() if line)


def certainly_clean(raw: bytes) -> bool:
    """True only when the bytes cannot hold a forbidden declaration (then no lexing is needed).

    Sound by counting: every token that matters contains its keyword literally, and without a
    backslash or a `\r` a string is exactly what lies between two quotes. So when no forbidden
    keyword appears at all, every `option` and `fava-option` is one of the allowed lines, and
    every `document` lies in a document line whose path is valid, the file is clean. Any doubt
    (a narration that says « option », a backslash…) answers False: the lexer decides.
    """
    if b"\\" in raw or b"\r" in raw or any(keyword in raw for keyword in _KEYWORDS):
        return False
    markers = raw.count(_MARKER)
    if raw.count(b"fava-option") != markers:
        return False
    framed = b"\n" + raw
    allowed = sum(framed.count(b"\n" + line + b"\n") for line in _root_option_lines())
    if raw.count(b"option") != markers + allowed:
        return False
    if b"document" in raw:
        covered = bytearray(len(raw))
        for pattern, directive in ((_DOCUMENT_KEY, False), (_DOCUMENT_DIRECTIVE, True)):
            for match in pattern.finditer(raw):
                if document_path_problem(match.group(1).decode("utf-8", "replace"), directive):
                    return False
                covered[match.start():match.end()] = b"\x01" * (match.end() - match.start())
        at = raw.find(b"document")
        while at != -1:
            if not covered[at]:
                return False
            at = raw.find(b"document", at + 1)
    return True


def scan_included(content: str | bytes, rel: str) -> list[Violation]:
    """What an included file declares and may not (empty when the file is clean)."""
    text, problems = decode(content, rel)
    if text is None:
        return problems
    raw = text.encode("utf-8")
    if certainly_clean(raw):
        return []
    tokens = list(lexer.lex_iter_string(raw))
    allowed_options = root_options()

    def value(i: int) -> object:
        return tokens[i][3] if i < len(tokens) else None

    for i, (kind, line, _raw, _value) in enumerate(tokens):
        if kind in _FORBIDDEN:
            problems.append(Violation(rel, line, f"{rel}, ligne {line} : {_FORBIDDEN[kind]} est interdit "
                                                 "ici ; seul coop.beancount, écrit par retkoop, déclare "
                                                 "les fichiers, les règles et les options."))
        elif kind == "OPTION":
            pair = (value(i + 1), value(i + 2))
            if pair not in allowed_options:
                problems.append(Violation(rel, line, f"{rel}, ligne {line} : l'option « {pair[0]} » est "
                                                     "interdite ici ; les options sont fixées par retkoop "
                                                     "dans coop.beancount."))
        elif kind == "CUSTOM":
            ctype = value(i + 1)
            if ctype in (CUSTOM_FAVA_EXTENSION, CUSTOM_COOPERATIVE) or (
                ctype == CUSTOM_FAVA_OPTION and value(i + 2) != INSERT_ENTRY_OPTION
            ):
                problems.append(Violation(rel, line, f"{rel}, ligne {line} : « custom \"{ctype}\" » est "
                                                     "interdit ici ; les pages et options de Fava sont "
                                                     "fixées par retkoop dans coop.beancount."))
        elif kind == "DOCUMENT" and i + 2 < len(tokens) and tokens[i + 2][0] == "STRING":
            problem = document_path_problem(str(value(i + 2)), entry_directive=True)
            if problem:
                problems.append(Violation(rel, line, f"{rel}, ligne {line} : {problem}"))
        elif kind == "KEY" and _value in RESERVED_META:
            problems.append(Violation(rel, line, f"{rel}, ligne {line} : la métadonnée « {_value} » est "
                                                 "réservée à Beancount (elle dit où une écriture est "
                                                 "écrite) : retirez-la."))
        elif kind == "KEY" and _value == META_DOCUMENT and i + 2 < len(tokens) and tokens[i + 2][0] == "STRING":
            problem = document_path_problem(str(value(i + 2)), entry_directive=False)
            if problem:
                problems.append(Violation(rel, line, f"{rel}, ligne {line} : {problem}"))
    return problems
