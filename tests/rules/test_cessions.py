"""Cessions: school photos recorded gross, the purchase (607) with the sales (707)."""

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import add_exercice
from tests.conftest import OPENING, spaced

SALES = """
2025-10-14 * "Familles (vente de photos)" "Vente de 8 pochettes" #photos
  piece: "R01"
  mode: "ESP"
  Actif:530-Caisse                   96.00 EUR
  Produits:707-Ventes-pour-cession  -96.00 EUR

2025-10-15 * "Familles (vente de photos)" "Vente de 4 pochettes" #photos
  piece: "R02"
  mode: "ESP"
  Actif:530-Caisse                   48.00 EUR
  Produits:707-Ventes-pour-cession  -48.00 EUR
"""

LATER = """
2026-01-05 * "Banque" "Frais de tenue de compte"
  piece: "D09"
  mode: "PRLV"
  Charges:627-Frais-bancaires   3.50 EUR
  Actif:512-Banque             -3.50 EUR
"""


def test_photos_recorded_as_the_margin_only(coop):
    coop.add(OPENING)
    line = coop.add(SALES)
    assert coop.warnings() == []  # the photographer's invoice may still come
    coop.add(LATER)  # the books go on for more than 60 days after the first sale
    warnings = coop.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith(
        "Ventes pour cession (707) de 144,00 € dans l'exercice 2025-2026 (la première le 14/10/2025), sans aucun "
        "achat pour cession (607)")
    coop.set_rules("vente-sans-achat: {delai_jours: 120}")
    assert coop.warnings() == []


def test_sales_with_their_purchase_pass(coop):
    """Nearest legal neighbour: the photographer paid in the same exercice, after the sales."""
    coop.add(OPENING)
    coop.add(SALES)
    coop.add("""
    2025-11-18 * "Studio Photo Lumière" "Photos de classe" #photos
      piece: "D01"
      mode: "CHQ"
      cheque: "4130013"
      Charges:607-Achats-pour-cession   110.00 EUR
      Actif:512-Banque                 -110.00 EUR
    """)
    coop.add(LATER)
    add_exercice(coop.dir, Exercice(2026))
    assert coop.warnings() == [] and coop.errors() == []


def test_reported_once_the_exercice_is_over(coop):
    coop.add(OPENING)
    line = coop.add(SALES.replace("2025-10-", "2026-08-"))
    assert coop.warnings() == []
    add_exercice(coop.dir, Exercice(2026))
    coop.add("""
    2026-09-05 * "Banque" "Frais de tenue de compte"
      piece: "D01"
      mode: "PRLV"
      Charges:627-Frais-bancaires   3.50 EUR
      Actif:512-Banque             -3.50 EUR
    """, exercice="2026-2027")
    assert [w.line for w in coop.warnings()] == [line]
