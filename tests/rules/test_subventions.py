"""Subventions: on the subsidies accounts (74…), with their funder."""

from tests.conftest import OPENING, spaced


def test_a_subsidy_on_744_with_its_funder_passes(coop):
    coop.add(OPENING)
    coop.add("""
    2026-01-27 * "Mairie d'Évry-Courcouronnes" "Subvention de fonctionnement"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque                  1500.00 EUR
      Produits:744-Subvention-commune  -1500.00 EUR
    """)
    assert coop.warnings() == [] and coop.errors() == []


def test_a_mairie_subsidy_on_708(coop):
    coop.add(OPENING)
    line = coop.add("""
    2026-01-27 * "Mairie d'Évry-Courcouronnes" "Aide de la commune"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque            1500.00 EUR
      Produits:708-Fetes-ventes  -1500.00 EUR
    """)
    warnings = coop.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith(
        "Recette de « Mairie d'Évry-Courcouronnes » de 1 500,00 € ventilée sur 708 (Fêtes, kermesses, tombolas, "
        "ventes d'objets fabriqués) : une subvention se ventile sur un compte de subventions, ici 744 "
        "(Subvention de la commune ou intercommunalité)")


def test_a_subsidy_named_so_on_771(coop):
    coop.add(OPENING)
    line = coop.add("""
    2026-01-27 * "Association des parents" "Subvention pour le spectacle"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque     300.00 EUR
      Produits:771-Dons   -300.00 EUR
    """)
    assert [w.line for w in coop.warnings()] == [line]
    assert "ici 741 ou 742 ou 743 ou 744 ou 748" in coop.warnings()[0].message


def test_a_family_paying_a_trip_and_a_gift_from_the_parents_pass(coop):
    """Nearest legal neighbours: money from families or a donor, on 706 and 771."""
    coop.add(OPENING)
    coop.add("""
    2026-01-27 * "Famille Durand" "Participation à la sortie à la mairie"
      piece: "R01"
      mode: "ESP"
      Actif:530-Caisse                       8.00 EUR
      Produits:706-Participation-activites  -8.00 EUR

    2026-01-28 * "Association des parents" "Don pour la bibliothèque"
      piece: "R02"
      mode: "VIR"
      Actif:512-Banque     300.00 EUR
      Produits:771-Dons   -300.00 EUR
    """)
    assert coop.warnings() == [] and coop.errors() == []


def test_a_subsidy_without_funder(coop):
    coop.add(OPENING)
    line = coop.add("""
    2026-01-27 * "Subvention de fonctionnement"
      piece: "R01"
      mode: "VIR"
      Actif:512-Banque                      500.00 EUR
      Produits:743-Subvention-departement  -500.00 EUR
    """)
    warnings = coop.warnings()
    assert [w.line for w in warnings] == [line]
    assert spaced(warnings[0].message).startswith("Subvention de 500,00 € du 27/01/2026 sur 743 sans financeur : "
                                                  "écrivez qui la verse dans le tiers")
