"""Régies d'avance: never overspent, within the AD's limit, justified or returned by 31/08."""

import pytest

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import add_exercice
from tests.conftest import OPENING, spaced


def handout(amount: str, day: str = "2025-10-01", piece: str = "D01") -> str:
    return f"""
    {day} * "Mme Martin" "Versement de la régie" ^regie-martin
      piece: "{piece}"
      nature: "regie"
      mode: "ESP"
      Actif:54-Regies:Martin   {amount} EUR
      Actif:530-Caisse        -{amount} EUR
    """


def justified(spent: str, day: str = "2025-10-20", piece: str = "D02") -> str:
    return f"""
    {day} * "Mme Martin" "Justification de la régie" ^regie-martin
      piece: "{piece}"
      mode: "ESP"
      Charges:6068-Fournitures-projets   {spent} EUR
      Actif:54-Regies:Martin            -{spent} EUR
    """


def returned(rest: str, day: str = "2025-10-20", piece: str = "R01") -> str:
    return f"""
    {day} * "Mme Martin" "Restitution du reliquat" ^regie-martin
      piece: "{piece}"
      nature: "regie"
      mode: "ESP"
      Actif:530-Caisse          {rest} EUR
      Actif:54-Regies:Martin   -{rest} EUR
    """


@pytest.fixture
def books(coop):
    comptes = coop.dir / "comptes.beancount"
    comptes.write_text(comptes.read_text() + "2025-09-01 open Actif:54-Regies:Martin EUR\n")
    coop.add(OPENING.replace(" 50.00 EUR", " 450.00 EUR").replace("-1050.00", "-1450.00"))
    return coop


def test_a_regie_justified_and_its_rest_returned_passes(books):
    books.add(handout("100.00"))
    books.add(justified("64.50"))
    books.add(returned("35.50", piece="R01"))
    assert books.errors() == [] and books.warnings() == []


def test_a_regie_of_100_justified_with_180(books):
    books.add(handout("100.00"))
    line = books.add(justified("180.00"))
    errors = books.errors()
    assert [(e.line, e.level) for e in errors] == [(line, "erreur")]
    assert spaced(errors[0].message).startswith(
        "La régie de Martin serait négative le 20/10/2025 (-80,00 €) : les dépenses justifiées dépassent "
        "la somme confiée (100,00 € restaient)")


def test_a_regie_of_300_is_above_the_limit(books):
    line = books.add(handout("300.00", day="2026-06-05"))
    warnings = books.warnings()
    assert [(w.line, w.level) for w in warnings] == [(line, "avertissement")]
    assert spaced(warnings[0].message).startswith(
        "La régie de Martin atteint 300,00 € le 05/06/2026, plus que le plafond de 150,00 € fixé par l'AD")
    books.set_rules("regie-plafond: {plafond: 300}")
    assert books.warnings() == []
    books.set_rules("regie-plafond: {niveau: erreur, plafond: 299.99}")
    assert [e.line for e in books.errors()] == [line]


def test_a_regie_at_the_limit_is_fine(books):
    """Nearest legal neighbour: exactly 150 €, then a second one once the first is settled."""
    books.add(handout("150.00"))
    books.add(justified("150.00"))
    books.add(handout("150.00", day="2025-11-02", piece="D03"))
    assert books.warnings() == [] and books.errors() == []


def test_a_regie_not_settled_by_31_08_once_the_next_exercice_is_open(books):
    line = books.add(handout("100.00", day="2026-06-05"))
    assert books.warnings() == []  # the exercice goes on: the régie may still be justified
    add_exercice(books.dir, Exercice(2026))
    warnings = books.warnings()
    assert [w.line for w in warnings] == [line]
    assert spaced(warnings[0].message).startswith(
        "La régie de Martin n'est ni justifiée ni restituée au 31/08/2026 (100,00 € en cours, dernier versement "
        "le 05/06/2026) : saisissez dans l'exercice 2025-2026")


def test_a_regie_settled_on_31_08_is_fine(books):
    """Nearest legal neighbour: justified on the last day of the exercice."""
    books.add(handout("100.00", day="2026-06-05"))
    books.add(justified("100.00", day="2026-08-31"))
    add_exercice(books.dir, Exercice(2026))
    assert books.warnings() == [] and books.errors() == []
