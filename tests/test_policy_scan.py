"""The scan of included files: Beancount's lexer decides; the byte-level shortcut never says
« clean » for a file the lexer would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from retkoop_tools.policy import scan

REPO = Path(__file__).resolve().parent.parent
HEADER = 'option "name_assets" "Actif"\noption "name_income" "Produits"\n\n'
MARKER = '2025-08-31 custom "fava-option" "insert-entry" ".*"\n'
HOSTILE = [
    'include "../0910002B/2025-2026.beancount"\n',
    '  include "x.beancount"\n',
    '2025-09-01 open Actif:A\rinclude "x.beancount"\n',
    'plugin "evil"\n',
    'option "insert_pythonpath" "TRUE"\n',
    'option "name_assets" "Pirate"\n',
    '2025-09-01 custom "fava-option" "import-config" "x.py"\n',
    '2025-09-01 custom "fava\\-option" "import-config" "x.py"\n',
    '2025-09-01 custom "fava-extension" "evil"\n',
    '2025-09-01 custom "f\\ava-extension" "evil"\n',
    '2025-09-01 custom "cooperative" "0910002B"\n',
    '2025-09-01 document Actif:512-Banque "/etc/passwd"\n',
    '2025-09-01 document Actif:512-Banque "documents/../../0910002B/2025-2026.beancount"\n',
    '2025-09-01 * "A" "B"\n  document: "/etc/passwd"\n  Actif:512-Banque 1 EUR\n  Produits:7562 -1 EUR\n',
    '2025-09-01 * "A" "B"\n  document:"../x.pdf"\n',
    'pushtag #x\n',
    'pushmeta a: "b"\n',
    '2025-09-01 note Actif:A "x" ; comment\ninclude "y"\n',
    '2025-03-15 * "A" "B"\n  filename: "<retkoop>"\n  Actif:512-Banque -50 EUR\n',
    '2025-03-15 * "A" "B"\n  lineno: 3\n',
]


def lexed(text: str) -> list:
    """The lexer's verdict alone (shortcut bypassed)."""
    original = scan.certainly_clean
    scan.certainly_clean = lambda raw: False
    try:
        return scan.scan_included(text, "2025-2026.beancount")
    finally:
        scan.certainly_clean = original


@pytest.mark.parametrize("line", HOSTILE)
def test_the_shortcut_never_passes_what_the_lexer_refuses(line):
    text = HEADER + line + MARKER
    assert lexed(text), line
    assert not scan.certainly_clean(text.encode()), line
    assert scan.scan_included(text, "2025-2026.beancount")


def test_the_demo_books_need_no_lexing():
    files = sorted((REPO / "ledgers").glob("*/2*.beancount"))
    assert files
    for path in files:
        raw = path.read_bytes()
        assert not lexed(raw.decode()), path
    assert sum(scan.certainly_clean(p.read_bytes()) for p in files) >= len(files) // 2


@pytest.mark.parametrize("narration", ["Achat de documentation", "Option photo de classe", "Plugin USB"])
def test_words_in_a_libelle_only_send_the_file_to_the_lexer(narration):
    text = HEADER + f'2025-09-01 * "Librairie" "{narration}"\n  piece: "D1"\n' + MARKER
    assert scan.scan_included(text, "2025-2026.beancount") == []
