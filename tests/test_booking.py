"""The booking shortcut (`ledger/booking.py`) books as Beancount does, or lets Beancount book."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from beancount.parser import booking as beancount_booking
from beancount.parser import parser

from retkoop_tools.ledger import booking
from retkoop_tools.ledger.layout import ROOT_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
DEMO = sorted(p for p in (ROOT / "ledgers").iterdir() if (p / "coop.beancount").is_file())


def _unbooked(coop_dir: Path) -> tuple[list, dict]:
    """Every entry of a coop as parsed, sorted, before booking (as the loader has them)."""
    entries, errors, options = parser.parse_file(str(coop_dir / "coop.beancount"))
    assert errors == []
    for name in options["include"]:
        more, more_errors, _ = parser.parse_file(str(coop_dir / name))
        assert more_errors == []
        entries += more
    entries.sort(key=data.entry_sortkey)
    return entries, options


def _same(text_or_entries, options=None):
    if isinstance(text_or_entries, str):
        entries, errors, options = parser.parse_string(ROOT_OPTIONS + textwrap.dedent(text_or_entries))
        assert errors == []
    else:
        entries = text_or_entries
    ours, our_errors = booking.book(list(entries), options)
    theirs, their_errors = beancount_booking.book(list(entries), options)
    assert ours == theirs
    assert [type(e) for e in ours] == [type(e) for e in theirs]
    for a, b in zip(ours, theirs):
        assert a.meta == b.meta
        if isinstance(a, data.Transaction):
            assert a.postings == b.postings
            assert a.meta["__tolerances__"] == b.meta["__tolerances__"]
    assert [(type(e), e.message) for e in our_errors] == [(type(e), e.message) for e in their_errors]
    return ours, our_errors


@pytest.mark.parametrize("coop_dir", DEMO, ids=[p.name for p in DEMO])
def test_demo_books_booked_as_beancount_books_them(coop_dir):
    entries, options = _unbooked(coop_dir)
    booked, errors = _same(entries, options)
    assert errors == []
    assert sum(isinstance(e, data.Transaction) for e in booked) > 50


def test_the_shortcut_is_taken_and_tolerances_follow_the_digits(monkeypatch):
    calls = []
    monkeypatch.setattr(beancount_booking, "book", lambda *a: calls.append(a) or ([], []))
    text = """
        2025-09-01 open Actif:512-Banque
        2025-09-01 open Charges:6068-Fournitures
        2025-09-02 * "Papeterie"
          Actif:512-Banque  -12.50 EUR
          Charges:6068-Fournitures  12.50 EUR
        2025-09-03 * "Papeterie"
          Actif:512-Banque  -12 EUR
          Charges:6068-Fournitures  12 EUR
        2025-09-04 * "Papeterie"
          Actif:512-Banque  -1.125 EUR
          Charges:6068-Fournitures  1.125 EUR
        2025-09-05 * "Papeterie"
          Actif:512-Banque  -3.20 EUR
          Charges:6068-Fournitures  3.20 EUR
    """
    entries, errors, options = parser.parse_string(ROOT_OPTIONS + textwrap.dedent(text))
    booked, _ = booking.book(entries, options)
    assert calls == []  # Beancount's booking not called
    tolerances = [e.meta["__tolerances__"] for e in booked if isinstance(e, data.Transaction)]
    assert tolerances == [{"EUR": Decimal("0.005")}, {}, {"EUR": Decimal("0.0005")}, {"EUR": Decimal("0.005")}]
    tolerances[0]["EUR"] = Decimal(1)  # each transaction has its own dict, as from Beancount
    assert booked[-1].meta["__tolerances__"] == {"EUR": Decimal("0.005")}


@pytest.mark.parametrize("posting", [
    "Charges:6068-Fournitures",                      # amount left out: interpolated
    "Charges:6068-Fournitures  12.50",               # currency left out
    "Charges:6068-Fournitures  1 ACTION {12.50 EUR}",  # a cost
    "Charges:6068-Fournitures  12.50 USD @ 1 EUR",     # a price
])
def test_anything_else_is_booked_by_beancount(posting):
    text = f"""
        2025-09-01 open Actif:512-Banque
        2025-09-01 open Charges:6068-Fournitures
        2025-09-02 * "Papeterie"
          Actif:512-Banque  -12.50 EUR
          Charges:6068-Fournitures  12.50 EUR
        2025-09-03 * "Papeterie"
          Actif:512-Banque  -12.50 EUR
          {posting}
    """
    _same(text)


def test_two_currencies_and_an_empty_transaction_too():
    _same("""
        2025-09-01 open Actif:512-Banque
        2025-09-02 * "Deux monnaies"
          Actif:512-Banque  -12.50 EUR
          Actif:512-Banque  12.50 EUR
          Actif:512-Banque  3 USD
          Actif:512-Banque  -3 USD
        2025-09-03 * "Vide"
    """)
    _same("""
        2025-09-03 * "Vide"
        2025-09-04 * "Déséquilibrée"
          Actif:512-Banque  -12.50 EUR
          Actif:512-Banque  12.49 EUR
    """)


def _validated_same(entries, options):
    from beancount.ops import validation

    ours = booking.validate(entries, options)
    theirs = validation.validate(entries, options)
    assert [(type(e), e.message, e.source.get("lineno")) for e in ours] == \
        [(type(e), e.message, e.source.get("lineno")) for e in theirs]
    return ours


@pytest.mark.parametrize("coop_dir", DEMO, ids=[p.name for p in DEMO])
def test_demo_books_validated_as_beancount_validates_them(coop_dir):
    from beancount import loader

    entries, _errors, options = loader.load_file(str(coop_dir / "coop.beancount"))
    _validated_same(entries, options)


def test_unbalanced_transactions_get_beancount_s_own_error():
    text = """
        2025-09-01 open Actif:512-Banque
        2025-09-01 open Charges:6068-Fournitures
        2025-09-02 * "Juste"
          Actif:512-Banque  -12.50 EUR
          Charges:6068-Fournitures  12.50 EUR
        2025-09-03 * "Dans la tolérance"
          Actif:512-Banque  -12.504 EUR
          Charges:6068-Fournitures  12.50 EUR
        2025-09-04 * "Au bord"
          Actif:512-Banque  -12.505 EUR
          Charges:6068-Fournitures  12.50 EUR
        2025-09-05 * "Déséquilibrée"
          Actif:512-Banque  -12.50 EUR
          Charges:6068-Fournitures  12.49 EUR
        2025-09-06 * "En entiers"
          Actif:512-Banque  -12 EUR
          Charges:6068-Fournitures  11 EUR
        2025-09-07 * "Deux monnaies"
          Actif:512-Banque  -12.50 EUR
          Charges:6068-Fournitures  12.50 USD
        2025-09-08 * "Vide"
    """
    entries, errors, options = parser.parse_string(ROOT_OPTIONS + textwrap.dedent(text))
    booked, _ = booking.book(entries, options)
    errors = _validated_same(booked, options)
    assert sorted(e.entry.narration for e in errors) == ["Deux monnaies", "Déséquilibrée", "En entiers"]


def test_a_sum_that_comes_to_zero_starts_again_as_beancount_s_inventory_does():
    """Beancount's inventory drops a position that comes to zero: the next amount starts it
    again as it is, where an addition would round an amount of more than 28 digits."""
    big = "1234567890123456789012345678.91"  # 30 digits
    text = f"""
        2025-09-01 open Actif:512-Banque
        2025-09-01 open Charges:6068-Fournitures
        2025-09-02 * "Revient à zéro puis un grand nombre"
          Actif:512-Banque  -1.00 EUR
          Charges:6068-Fournitures  1.00 EUR
          Actif:512-Banque  {big} EUR
          Charges:6068-Fournitures  -{big[:-1]}0 EUR
    """
    entries, errors, options = parser.parse_string(ROOT_OPTIONS + textwrap.dedent(text))
    assert errors == []
    booked, _ = booking.book(entries, options)
    errors = _validated_same(booked, options)
    assert [e.entry.narration for e in errors] == ["Revient à zéro puis un grand nombre"]
