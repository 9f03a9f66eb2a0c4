"""Ventilation: expenses on charges, receipts on produits; a refund reverses its account."""

import pytest

from tests.conftest import OPENING, spaced


def test_an_expense_ventilated_on_a_produit(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-01 * "Papeterie" "Fournitures pour le marché de Noël"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque            -45.00 EUR
      Produits:708-Fetes-ventes    45.00 EUR
    """)
    warnings = coop.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith(
        "Dépense de 45,00 € ventilée sur 708 (Fêtes, kermesses, tombolas, ventes d'objets fabriqués), un compte "
        "de produits : une dépense se ventile sur une charge (6…)")
    assert coop.errors() == []


def test_a_receipt_ventilated_on_a_charge(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-01 * "Famille Durand" "Participation à la sortie"
      piece: "R01"
      mode: "ESP"
      Actif:530-Caisse           8.00 EUR
      Charges:6247-Transports   -8.00 EUR
    """)
    warnings = coop.warnings()
    assert [w.line for w in warnings] == [line]
    assert spaced(warnings[0].message).startswith("Recette de 8,00 € ventilée sur 6247 (Transports collectifs (sorties)), "
                                                  "un compte de charges")


@pytest.mark.parametrize("narration", ["Remboursement de la sortie annulée", "Avoir sur facture", "Trop-perçu"])
def test_a_refund_reverses_its_account(coop, narration):
    """Nearest legal neighbour: a family refunded (debit on 706), a supplier's avoir (credit on 6063)."""
    coop.add(OPENING)
    coop.add(f"""
    2025-10-01 * "Famille Durand" "{narration}"
      piece: "D01"
      mode: "VIR"
      Actif:512-Banque                      -8.00 EUR
      Produits:706-Participation-activites   8.00 EUR

    2025-10-02 * "Papeterie" "{narration}"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque                      12.00 EUR
      Charges:6063-Fournitures-activites   -12.00 EUR
    """)
    assert coop.warnings() == [] and coop.errors() == []


def test_a_receipt_net_of_bank_fees_is_fine(coop):
    """Nearest legal neighbour: a receipt with a charge on the debit side (fees withheld)."""
    coop.add(OPENING)
    coop.add("""
    2025-10-01 * "Plateforme de paiement" "Participation des familles, frais déduits"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque                       97.00 EUR
      Charges:627-Frais-bancaires             3.00 EUR
      Produits:706-Participation-activites  -100.00 EUR
    """)
    assert coop.warnings() == [] and coop.errors() == []


def test_the_ad_may_make_it_an_erreur(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-01 * "Papeterie" "Fournitures"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque            -45.00 EUR
      Produits:708-Fetes-ventes    45.00 EUR
    """)
    coop.set_rules("ventilation-inversee: erreur")
    assert [(e.line, e.level) for e in coop.errors()] == [(line, "erreur")]
    assert coop.warnings() == []
