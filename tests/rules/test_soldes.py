"""Soldes: the bank or CCP never overdrawn at the end of a day; the caisse under the AD's limit."""

from tests.conftest import OPENING, spaced


def test_a_cheque_that_overdraws_the_bank(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-02 * "Voyages Horizon" "Classe de découverte"
      piece: "D01"
      mode: "CHQ"
      cheque: "1000001"
      Actif:512-Banque          -5200.00 EUR
      Charges:6251-Sorties-voyages  5200.00 EUR
    """)
    errors = coop.errors()
    assert [(e.line, e.level) for e in errors] == [(line, "erreur")]
    assert spaced(errors[0].message).startswith(
        "Le compte Banque – compte courant (512) serait à découvert le 02/10/2025 (-4 200,00 €)")


def test_overdrawn_during_the_day_but_not_at_its_end_is_fine(coop):
    """The nearest legal neighbour: the subsidy arrives the same day as the big cheque."""
    coop.add(OPENING)
    coop.add("""
    2025-10-02 * "Voyages Horizon" "Classe de découverte"
      piece: "D01"
      mode: "CHQ"
      cheque: "1000001"
      Actif:512-Banque          -5200.00 EUR
      Charges:6251-Sorties-voyages  5200.00 EUR

    2025-10-02 * "Mairie d'Évry" "Subvention pour la classe de découverte"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque                   4200.00 EUR
      Produits:744-Subvention-commune   -4200.00 EUR
    """)
    assert coop.errors() == [] and coop.warnings() == []


def test_one_report_per_overdraft_and_the_ccp_too(coop):
    coop.add(OPENING)
    first = coop.add("""
    2025-10-02 * "Papeterie" "Fournitures"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque                    -1100.00 EUR
      Charges:6063-Fournitures-activites   1100.00 EUR

    2025-10-03 * "Papeterie" "Fournitures"
      piece: "D02"
      mode: "CB"
      Actif:512-Banque                    -10.00 EUR
      Charges:6063-Fournitures-activites   10.00 EUR

    2025-10-04 * "Famille" "Don"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque      500.00 EUR
      Produits:771-Dons    -500.00 EUR

    2025-10-05 * "Papeterie" "Fournitures"
      piece: "D03"
      mode: "CB"
      Actif:512-Banque                    -600.00 EUR
      Charges:6063-Fournitures-activites   600.00 EUR
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [first, first + 18]  # the 02/10 and the 05/10, not the 03/10
    assert "le 05/10/2025 (-210,00 €)" in spaced(errors[1].message)


def test_level_and_threshold_from_ad_yaml(coop):
    coop.add(OPENING)
    coop.add("""
    2025-10-02 * "Papeterie" "Fournitures"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque                    -1100.00 EUR
      Charges:6063-Fournitures-activites   1100.00 EUR
    """)
    coop.set_rules("banque-negative: avertissement")
    assert coop.errors() == []
    assert [w.level for w in coop.warnings()] == ["avertissement"]
    coop.set_rules("banque-negative: {niveau: ignorer}")
    assert coop.errors() == [] and coop.warnings() == []


def test_caisse_above_the_limit(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-10 * "Familles (vente de photos)" "Ventes de photos"
      piece: "R01"
      mode: "ESP"
      Actif:530-Caisse                   980.00 EUR
      Produits:707-Ventes-pour-cession  -980.00 EUR

    2025-10-11 * "Dépôt d'espèces" "Versement à la banque"
      piece: "R02"
      nature: "virement"
      mode: "ESP"
      Actif:512-Banque    1000.00 EUR
      Actif:530-Caisse   -1000.00 EUR
    """)
    warnings = coop.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith("La caisse contient 1 030,00 € le 10/10/2025, plus que le plafond de 1 000,00 €")
    coop.set_rules("caisse-plafond: {plafond: 1500}")  # the AD's own limit: the same day is fine
    assert coop.warnings() == []


def test_before_the_opening_balances_an_overdraft_is_only_an_avertissement(coop):
    """A coop whose books start during the year may type operations before giving its opening
    balances (dated before them): until then the rule cannot tell an overdraft."""
    line = coop.add("""
    2026-01-20 * "Papeterie" "Fournitures"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque                    -45.20 EUR
      Charges:6063-Fournitures-activites   45.20 EUR
    """)
    assert coop.errors() == []
    warnings = coop.warnings()
    assert [w.line for w in warnings] == [line]
    assert "Les soldes de départ de la coopérative ne sont pas encore donnés" in warnings[0].message
    coop.add(OPENING)  # given: the books start with 1 000 € in the bank
    assert coop.warnings() == [] and coop.errors() == []
