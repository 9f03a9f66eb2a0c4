"""Remises: the cheques to deposit never negative; a remise equals the cheques it deposits."""

from tests.conftest import OPENING, spaced

TWO_CHEQUES = """
2025-09-10 * "Famille Durand" "Participation volontaire" ^chq-r01
  piece: "R01"
  mode: "CHQ"
  cheque: "5512345"
  Actif:5112-Cheques-a-encaisser         15.00 EUR
  Produits:7562-Participation-familles  -15.00 EUR

2025-09-11 * "Famille Lambert" "Participation volontaire" ^chq-r02
  piece: "R02"
  mode: "CHQ"
  cheque: "5512346"
  Actif:5112-Cheques-a-encaisser         15.00 EUR
  Produits:7562-Participation-familles  -15.00 EUR
"""


def remise(amount: str, links: str = " ^chq-r01 ^chq-r02", piece: str = "R03", day: str = "12") -> str:
    return f"""
    2025-09-{day} * "Remise de chèques" "Remise de 2 chèques"{links}
      piece: "{piece}"
      nature: "remise"
      mode: "CHQ"
      Actif:512-Banque                 {amount} EUR
      Actif:5112-Cheques-a-encaisser  -{amount} EUR
    """


def test_a_remise_of_its_cheques_passes(coop):
    coop.add(OPENING)
    coop.add(TWO_CHEQUES)
    coop.add(remise("30.00"))
    assert coop.errors() == [] and coop.warnings() == []


def test_a_remise_of_40_for_two_cheques_of_15(coop):
    coop.add(OPENING)
    coop.add(TWO_CHEQUES)
    line = coop.add(remise("40.00"))
    messages = sorted(spaced(e.message) for e in coop.errors() if e.line == line)
    assert len(messages) == 2, coop.errors()
    assert messages[0].startswith("La remise du 12/09/2025 dépose 40,00 €, mais les 2 chèques qu'elle remet "
                                  "font 30,00 € (écart 10,00 €)")
    assert messages[1].startswith("Les chèques à encaisser (5112) seraient négatifs le 12/09/2025 (-10,00 €)")


def test_a_remise_without_links_is_checked_by_the_balance_only(coop):
    """Nearest legal neighbour: a remise typed by hand without links, of the right amount."""
    coop.add(OPENING)
    coop.add(TWO_CHEQUES)
    coop.add(remise("30.00", links=""))
    assert coop.errors() == []
    line = coop.add(remise("5.00", links="", piece="R04", day="13"))
    assert [e.line for e in coop.errors()] == [line]  # 5112 at -5,00 €


def test_two_remises_of_the_same_cheque(coop):
    coop.add(OPENING)
    coop.add(TWO_CHEQUES)
    coop.add(remise("15.00", links=" ^chq-r01", piece="R03"))
    line = coop.add(remise("15.00", links=" ^chq-r01", piece="R04", day="13"))
    errors = [e for e in coop.errors() if "qu'une fois" in e.message]
    assert [e.line for e in errors] == [line]
    assert "Le chèque de la pièce R01 (Famille Durand, 10/09/2025) est déjà dans la remise du 12/09/2025" in errors[0].message


def test_two_remises_each_of_its_cheque(coop):
    """Nearest legal neighbour: the same cheques, deposited in two remises of one cheque each."""
    coop.add(OPENING)
    coop.add(TWO_CHEQUES)
    coop.add(remise("15.00", links=" ^chq-r01", piece="R03"))
    coop.add(remise("15.00", links=" ^chq-r02", piece="R04", day="13"))
    assert coop.errors() == [] and coop.warnings() == []
