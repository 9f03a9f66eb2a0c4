"""Chèques émis: debited before a statement ticked three months later."""

import datetime

from retkoop_plugins.cheques import months_after

from tests.conftest import OPENING, spaced

CHEQUE = """
2025-10-02 * "Librairie La Plume" "Albums pour la bibliothèque"
  piece: "D01"
  mode: "CHQ"
  cheque: "1000001"
  Actif:512-Banque                 -80.00 EUR
  Charges:6181-Livres-abonnements   80.00 EUR
"""


def statement(date: str, balance: str) -> str:
    return f'\n{date} custom "releve" Actif:512-Banque {balance} EUR\n'


def opening_ticked() -> str:
    return OPENING.replace('  nature: "ouverture"\n', '  nature: "ouverture"\n  releve: 2025-09-30\n')


def test_a_cheque_not_debited_three_months_later(coop):
    coop.add(opening_ticked())
    line = coop.add(CHEQUE)
    coop.add(statement("2025-09-30", "1000.00") + statement("2025-12-31", "1000.00"))
    assert coop.warnings() == []  # 31/12 is less than three months after 02/10
    coop.add(statement("2026-01-31", "1000.00"))
    warnings = coop.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith(
        "Le chèque n° 1000001 de 80,00 € émis le 02/10/2025 (Librairie La Plume) n'est toujours pas débité au "
        "relevé du 31/01/2026, plus de 3 mois après")
    coop.set_rules("cheque-non-debite: {mois: 6}")
    assert coop.warnings() == []


def test_a_cheque_debited_on_a_statement_passes(coop):
    """Nearest legal neighbour: the cheque ticked on the December statement."""
    coop.add(opening_ticked())
    coop.add(CHEQUE.replace('  cheque: "1000001"\n', '  cheque: "1000001"\n  releve: 2025-12-31\n'))
    coop.add(statement("2025-09-30", "1000.00") + statement("2025-12-31", "920.00")
             + statement("2026-03-31", "920.00"))
    assert coop.warnings() == [] and coop.errors() == []


def test_months_after():
    assert months_after(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)
    assert months_after(datetime.date(2025, 10, 2), 3) == datetime.date(2026, 1, 2)
