"""Numbering suggestions: next pièce in the coop's style, next cheque of the chequebook."""

from __future__ import annotations

import datetime
from decimal import Decimal

from beancount.core import data

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.numbering import next_cheque, next_piece

BANK = "Actif:512-Banque"


def op(date, piece=None, mode=None, cheque=None, amount="-10"):
    meta = {k: v for k, v in (("piece", piece), ("mode", mode), ("cheque", cheque)) if v is not None}
    posting = data.Posting(BANK, data.Amount(Decimal(amount), "EUR"), None, None, None, None)
    return data.Transaction(meta, date, "*", None, "x", frozenset(), frozenset(), [posting])


E2025 = Exercice(2025)


def test_rd_style_two_series_with_leading_zero():
    entries = [op(datetime.date(2025, 9, 3), "R01"), op(datetime.date(2025, 9, 4), "D01"),
               op(datetime.date(2025, 9, 5), "R02"), op(datetime.date(2025, 9, 6), "D09")]
    assert next_piece(entries, E2025, "RD", receipt=True) == "R03"
    assert next_piece(entries, E2025, "RD", receipt=False) == "D10"


def test_rd_style_keeps_the_width_used_and_starts_at_01():
    entries = [op(datetime.date(2025, 9, 3), "D099"), op(datetime.date(2025, 9, 3), "D100")]
    assert next_piece(entries, E2025, "RD", receipt=False) == "D101"
    assert next_piece(entries, E2025, "RD", receipt=True) == "R01"
    assert next_piece([], E2025, "RD", receipt=False) == "D01"


def test_numbering_restarts_each_exercice():
    entries = [op(datetime.date(2025, 8, 30), "D40"), op(datetime.date(2025, 9, 2), "D01")]
    assert next_piece(entries, E2025, "RD", receipt=False) == "D02"
    assert next_piece(entries, Exercice(2024), "RD", receipt=False) == "D41"


def test_continuous_style_mixes_receipts_and_expenses():
    entries = [op(datetime.date(2025, 9, 3), "1"), op(datetime.date(2025, 9, 4), "2"), op(datetime.date(2025, 9, 5), "7")]
    assert next_piece(entries, E2025, "continue", receipt=True) == "8"
    assert next_piece(entries, E2025, "continue", receipt=False) == "8"
    assert next_piece([], E2025, "continue", receipt=False) == "1"


def test_next_cheque_follows_the_last_issued_keeping_zeros():
    entries = [op(datetime.date(2025, 9, 3), "D01", "CHQ", "0041299"),
               op(datetime.date(2025, 9, 9), "D02", "CHQ", "0041300"),
               op(datetime.date(2025, 9, 10), "R01", "CHQ", "9999999", amount="20")]  # received: not ours
    assert next_cheque(entries, [BANK]) == "0041301"


def test_no_cheque_issued_yet_suggests_nothing():
    assert next_cheque([op(datetime.date(2025, 9, 3), "D01", "VIR")], [BANK]) == ""
