"""Pointage: operations ticked up to a statement add up to its balance."""

import pytest

from tests.conftest import OPENING

TICKED = """
2025-09-16 * "Autocars Dupont" "Sortie au musée"
  piece: "D01"
  mode: "CHQ"
  cheque: "0001234"
  releve: 2025-09-30
  Actif:512-Banque          -420.00 EUR
  Charges:6247-Transports    420.00 EUR

2025-09-29 * "Librairie" "Livres"
  piece: "D02"
  mode: "CHQ"
  cheque: "0001235"
  Actif:512-Banque                  -30.00 EUR
  Charges:6181-Livres-abonnements    30.00 EUR

2025-09-30 custom "releve" Actif:512-Banque 580.00 EUR
"""


@pytest.fixture
def books(coop):
    coop.add(OPENING.replace('  nature: "ouverture"\n', '  nature: "ouverture"\n  releve: 2025-09-30\n'))
    coop.add(TICKED)
    assert coop.errors() == []
    return coop


def test_statement_with_ticked_operations_passes(books):
    # 1000 - 420 = 580; the cheque of 29/09 is not on the statement yet.
    books.add("""
    2025-10-31 custom "releve" Actif:512-Banque 550.00 EUR
    """)
    path = books.exercice_file()
    path.write_text(path.read_text().replace(
        '  cheque: "0001235"\n', '  cheque: "0001235"\n  releve: 2025-10-31\n'))
    assert books.errors() == []


def test_statement_balance_differs_from_ticked(books):
    line = books.add("""
    2025-10-31 custom "releve" Actif:512-Banque 550.00 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line]
    assert errors[0].message.startswith(
        "Relevé du 31/10/2025 (Actif:512-Banque) : solde du relevé 550,00\u00a0€, opérations "
        "pointées 580,00\u00a0€ (écart -30,00\u00a0€)."
    )


def test_tick_on_a_statement_that_does_not_exist(books):
    line = books.add("""
    2025-10-02 * "Banque" "Frais"
      piece: "D03"
      mode: "PRLV"
      releve: 2025-10-15
      Actif:512-Banque              -3.50 EUR
      Charges:627-Frais-bancaires    3.50 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line]
    assert errors[0].message.startswith("Opération pointée sur le relevé du 15/10/2025, mais il n'y a pas de relevé")


def test_operation_after_the_statement_cannot_be_on_it(books):
    line = books.add("""
    2025-10-02 * "Banque" "Frais"
      piece: "D03"
      mode: "PRLV"
      releve: 2025-09-30
      Actif:512-Banque              -3.50 EUR
      Charges:627-Frais-bancaires    3.50 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line]
    assert "antérieur à l'opération" in errors[0].message


def test_an_operation_on_two_statements(books):
    line = books.add("""
    2025-10-31 custom "releve" Actif:512-Banque 576.50 EUR

    2025-10-02 * "Banque" "Frais"
      piece: "D03"
      mode: "PRLV"
      releve: 2025-10-31
      Actif:512-Banque              -3.50 EUR
        releve: 2025-09-30
      Charges:627-Frais-bancaires    3.50 EUR
    """)
    errors = books.errors()
    assert any(
        e.line == line + 2 and e.message.startswith("Opération pointée sur deux relevés") for e in errors
    ), errors


@pytest.mark.parametrize(
    "directive, expected",
    [
        ('custom "releve" Actif:530-Caisse 10.00 EUR', "un relevé bancaire porte sur un compte de banque"),
        ('custom "releve" Actif:512-Banque', "Relevé mal écrit"),
        ('custom "releve" Actif:512-Banque 580.00 EUR\n  document: "documents/releve.pdf"',
         "« documents/releve.pdf » est introuvable"),
    ],
)
def test_bad_statements(books, directive, expected):
    line = books.add(f"2025-10-31 {directive}")
    errors = books.errors()
    assert [e.line for e in errors] == [line]
    assert expected in errors[0].message


def test_statement_document_present(books):
    (books.dir / "documents" / "releve-2025-10.pdf").write_bytes(b"%PDF-1.4\n")
    books.add('2025-10-31 custom "releve" Actif:512-Banque 580.00 EUR\n  document: "documents/releve-2025-10.pdf"')
    assert books.errors() == []


def test_quoted_tick_date(books):
    line = books.add("""
    2025-10-02 * "Banque" "Frais"
      piece: "D03"
      mode: "PRLV"
      releve: "31/10/2025"
      Actif:512-Banque              -3.50 EUR
      Charges:627-Frais-bancaires    3.50 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line]
    assert "sans guillemets (releve: 2026-03-31)" in errors[0].message
