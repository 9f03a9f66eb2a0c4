"""Adhésion: paid to the AD on 6281 and 6168, matching the adhésion declared."""

import pytest

from retkoop_tools.adhesion.model import PAYEE, Classe, Declaration, adhesion_filename
from retkoop_tools.ledger.exercice import Exercice
from tests.conftest import OPENING, spaced

EXERCICE = Exercice(2025)
RATES = """
adhesion:
  2025-2026: {eleve: 2.25, adulte: 8.0, assurance: 0.25, revue: 6.5}
"""
# 50 pupils and 2 adults: cotisation 50 × 2,25 + 2 × 8 = 128,50 ; insurance 52 × 0,25 = 13,00.
PAYMENT = """
2025-10-15 * "OCCE AD 91" "Adhésion 2025-2026 : cotisations et assurance"
  piece: "D01"
  mode: "PRLV"
  Charges:6281-Cotisation-OCCE   {cotisation} EUR
  Charges:6168-Assurance          13.00 EUR
  Actif:512-Banque              -{total} EUR
"""


@pytest.fixture
def books(coop):
    with open(coop.root / "ad.yaml", "a", encoding="utf-8") as f:
        f.write(RATES)
    coop.add(OPENING)
    return coop


def declare(coop, statut: str = PAYEE, paiement: str = "D01") -> None:
    declaration = Declaration(EXERCICE, [Classe("CM1", "Mme Martin", 25, 1), Classe("CM2", "M. Durand", 25, 1)],
                              mandataire="Mme Martin", engagement=True, statut=statut, paiement=paiement)
    (coop.dir / adhesion_filename(EXERCICE)).write_text(declaration.dump(), encoding="utf-8")


def test_the_adhesion_paid_as_declared_passes(books):
    declare(books)
    books.add(PAYMENT.format(cotisation="128.50", total="141.50"))
    assert books.warnings() == [] and books.errors() == []


def test_the_adhesion_booked_on_fournitures(books):
    line = books.add("""
    2025-10-15 * "OCCE AD 91" "Adhésion OCCE 2025-2026"
      piece: "D01"
      mode: "PRLV"
      Charges:6063-Fournitures-activites   141.50 EUR
      Actif:512-Banque                    -141.50 EUR
    """)
    warnings = books.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert warnings[0].message.startswith(
        "Paiement de l'adhésion à l'OCCE ventilé sur 6063 (Petit matériel et fournitures pour les activités) : "
        "la cotisation se ventile sur 6281")
    declare(books, statut="validee", paiement="")  # declared: the amounts are compared too
    assert len(books.warnings()) == 1  # nothing on 6281/6168 and not marked paid: only the account


def test_another_payment_to_the_occe_is_not_the_adhesion(books):
    """Nearest legal neighbour: the AD's choir festival, paid to the OCCE on 6251."""
    books.add("""
    2025-10-15 * "OCCE AD 91" "Rencontres chorales départementales"
      piece: "D01"
      mode: "CHQ"
      cheque: "1000001"
      Charges:6251-Sorties-voyages   60.00 EUR
      Actif:512-Banque              -60.00 EUR
    """)
    assert books.warnings() == []


def test_the_amount_differs_from_the_adhesion_declared(books):
    declare(books)
    line = books.add(PAYMENT.format(cotisation="100.00", total="113.00"))
    warnings = books.warnings()
    assert [w.line for w in warnings] == [line]
    assert spaced(warnings[0].message).startswith(
        "L'adhésion 2025-2026 déclarée (52 membres) ne correspond pas à ce que les livres de l'exercice ont "
        "payé à l'AD : la cotisation (6281) : 100,00 € dans les livres pour 128,50 € dus.")


def test_paid_but_booked_nowhere(books):
    declare(books)  # marked paid, pièce D01 is not in the books
    warnings = books.warnings()
    assert [w.file for w in warnings] == [f"ledgers/{books.uai}/adhesion-2025-2026.yaml"]
    assert "0,00" in warnings[0].message


def test_declared_and_not_yet_paid_is_fine(books):
    """Nearest legal neighbour: the adhésion is declared, the AD has not validated it yet."""
    declare(books, statut="declaree", paiement="")
    assert books.warnings() == []
