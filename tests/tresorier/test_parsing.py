"""What a teacher types: amounts and dates, and the French message when it is not right."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from retkoop_tools.tresorier.parsing import parse_amount, parse_date


@pytest.mark.parametrize("text, expected", [
    ("45,20", "45.20"), ("45.2", "45.20"), ("1 234,56", "1234.56"), ("1\u00a0234,56 €", "1234.56"),
    ("1\u202f234,56", "1234.56"), ("1.234,56", "1234.56"), ("12", "12.00"), (" 7,5 ", "7.50"), ("0,01", "0.01"),
])
def test_amounts_as_teachers_type_them(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text, message", [
    ("", "Indiquez un montant, par exemple 45,20."),
    ("45,205", "« 45,205 » n'est pas un montant : écrivez des chiffres avec au plus deux décimales "
               "après la virgule, par exemple 45,20 ou 1 234,56."),
    ("douze", "« douze » n'est pas un montant"),
    ("12,3,4", "« 12,3,4 » n'est pas un montant"),
    ("-5", "Le montant s'écrit sans signe moins : le type d'opération dit le sens."),
    ("0", "Le montant ne peut pas être nul."),
])
def test_bad_amounts_say_what_to_write(text, message):
    with pytest.raises(ValueError) as info:
        parse_amount(text)
    assert str(info.value).startswith(message)


def test_zero_and_negative_when_allowed():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")
    assert parse_amount("-1 200,00", allow_negative=True) == Decimal("-1200.00")


@pytest.mark.parametrize("text", ["05/03/2026", "5/3/2026", "05/03/26", "05.03.2026", "2026-03-05"])
def test_dates(text):
    assert parse_date(text) == datetime.date(2026, 3, 5)


@pytest.mark.parametrize("text, message", [
    ("", "Indiquez la date, au format jj/mm/aaaa."),
    ("mardi", "« mardi » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple 05/03/2026."),
    ("30/02/2026", "Le 30/02/2026 n'existe pas dans le calendrier : vérifiez le jour et le mois."),
    ("03/13/2026", "Le 03/13/2026 n'existe pas dans le calendrier"),
])
def test_bad_dates(text, message):
    with pytest.raises(ValueError) as info:
        parse_date(text)
    assert str(info.value).startswith(message)
