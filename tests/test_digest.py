"""The seal of a closed exercice is pinned: changing its canonical form breaks every seal."""

from __future__ import annotations

import textwrap

from beancount.parser import parser

from retkoop_tools.ledger.digest import canonical_text, entries_digest
from retkoop_tools.ledger.layout import ROOT_OPTIONS

BOOKS = textwrap.dedent("""
    2025-09-16 * "Autocars Dupont" "Sortie au musée" #musee ^chq-1
      piece: "D01"
      mode: "CHQ"
      cheque: "0001234"
      releve: 2025-09-30
      Actif:512-Banque          -420.00 EUR
      Charges:6247-Transports    420.00 EUR

    2025-09-30 custom "releve" Actif:512-Banque 580.00 EUR

    2025-09-30 custom "arrete-caisse" Actif:530-Caisse
      b20: 2
""")


def parse(text):
    entries, errors, _ = parser.parse_string(ROOT_OPTIONS + text)
    assert errors == []
    return entries


def test_digest_is_pinned():
    assert entries_digest(parse(BOOKS)) == PINNED


def test_layout_order_and_number_format_do_not_count():
    other = BOOKS.replace('  piece: "D01"\n  mode: "CHQ"\n', '  mode: "CHQ"\n  piece: "D01"\n')
    other = other.replace("-420.00 EUR", "-420 EUR").replace("releve: 2025-09-30\n", "")
    blocks = other.strip().split("\n\n")
    assert entries_digest(parse("\n\n".join(reversed(blocks)))) == PINNED


def test_content_counts():
    assert entries_digest(parse(BOOKS.replace("420.00", "421.00").replace("-420.00", "-421.00"))) != PINNED
    assert entries_digest(parse(BOOKS.replace('"D01"', '"D02"'))) != PINNED
    assert entries_digest(parse(BOOKS.replace("#musee", ""))) != PINNED
    assert entries_digest(parse(BOOKS.replace("b20: 2", "b20: 3"))) != PINNED


def test_canonical_text_reads_well():
    text = canonical_text(parse(BOOKS)[0])
    assert "s:D01" in text and "n:-420" in text and "releve" not in text


PINNED = "be8624ac9a3abc2e06f0abe4a08064639e39a621000b9f8daee5165b4dbf3fed"
