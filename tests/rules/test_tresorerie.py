"""Trésorerie: through a treasury account, transfers not ventilated, modes, pièces, cheques, caisse."""

import pytest

from tests.conftest import OPENING

GOOD_MONTH = """
2025-09-10 * "Famille Durand" "Participation volontaire"
  piece: "R01"
  mode: "CHQ"
  cheque: "5512345"
  Actif:5112-Cheques-a-encaisser         20.00 EUR
  Produits:7562-Participation-familles  -20.00 EUR

2025-09-11 * "Famille Lambert" "Participation volontaire"
  piece: "R02"
  mode: "ESP"
  Actif:530-Caisse                       15.00 EUR
  Produits:7562-Participation-familles  -15.00 EUR

2025-09-12 * "Remise de chèques" "Remise de 1 chèque"
  piece: "R03"
  nature: "remise"
  mode: "CHQ"
  Actif:512-Banque                 20.00 EUR
  Actif:5112-Cheques-a-encaisser  -20.00 EUR

2025-09-15 * "Dépôt d'espèces" "Versement à la banque"
  piece: "R04"
  nature: "virement"
  mode: "ESP"
  Actif:512-Banque    40.00 EUR
  Actif:530-Caisse   -40.00 EUR

2025-09-16 * "Autocars Dupont" "Sortie au musée"
  piece: "D01"
  mode: "CHQ"
  cheque: "0001234"
  Actif:512-Banque          -420.00 EUR
  Charges:6247-Transports    420.00 EUR

2025-09-17 * "Mme Martin" "Versement de la régie"
  piece: "D02"
  nature: "regie"
  mode: "ESP"
  Actif:54-Regies:Martin   20.00 EUR
  Actif:530-Caisse        -20.00 EUR

2025-09-30 * "Mme Martin" "Justification de la régie"
  piece: "D03"
  Charges:6068-Fournitures-projets   14.50 EUR
  Actif:54-Regies:Martin            -14.50 EUR

2025-09-30 * "Mme Martin" "Restitution du reliquat"
  piece: "R05"
  nature: "regie"
  mode: "ESP"
  Actif:530-Caisse          5.50 EUR
  Actif:54-Regies:Martin   -5.50 EUR
"""


@pytest.fixture
def books(coop):
    (coop.dir / "comptes.beancount").write_text(
        (coop.dir / "comptes.beancount").read_text() + "2025-09-01 open Actif:54-Regies:Martin EUR\n"
    )
    coop.add(OPENING)
    coop.add(GOOD_MONTH)
    assert coop.errors() == []
    return coop


def one_error(coop, line):
    errors = coop.errors()
    assert [e.line for e in errors] == [line], errors
    return errors[0].message


def test_a_month_of_every_kind_of_operation_passes(books):
    assert books.errors() == []


def test_operation_without_treasury(books):
    line = books.add("""
    2025-10-01 * "Erreur" "Charge contre produit"
      piece: "D04"
      Charges:6063-Fournitures-activites    10.00 EUR
      Produits:708-Fetes-ventes            -10.00 EUR
    """)
    assert one_error(books, line).startswith("L'opération ne passe par aucun compte de trésorerie")


def test_ventilated_transfer(books):
    line = books.add("""
    2025-10-01 * "Dépôt" "Dépôt d'espèces et achat"
      piece: "R06"
      mode: "ESP"
      Actif:512-Banque                       5.00 EUR
      Actif:530-Caisse                     -10.00 EUR
      Charges:6063-Fournitures-activites     5.00 EUR
    """)
    assert one_error(books, line).startswith("Un virement interne (caisse → banque, remise de chèques, régie) ne se ventile pas")


def test_declared_transfer_with_ventilation(books):
    line = books.add("""
    2025-10-01 * "Remise" "Remise"
      piece: "R06"
      nature: "remise"
      mode: "CHQ"
      Actif:512-Banque            10.00 EUR
      Produits:708-Fetes-ventes  -10.00 EUR
    """)
    assert "ne se ventile pas" in one_error(books, line)


def test_cash_payment_through_the_bank(books):
    line = books.add("""
    2025-10-01 * "Papeterie" "Feutres"
      piece: "D04"
      mode: "ESP"
      Actif:512-Banque                     -10.00 EUR
      Charges:6063-Fournitures-activites    10.00 EUR
    """)
    assert one_error(books, line) == (
        "Paiement par espèces : l'opération doit passer par la caisse (530) ou une régie."
    )


def test_cheque_received_into_the_caisse(books):
    line = books.add("""
    2025-10-01 * "Famille" "Don"
      piece: "R06"
      mode: "CHQ"
      cheque: "123"
      Actif:530-Caisse     10.00 EUR
      Produits:771-Dons   -10.00 EUR
    """)
    assert one_error(books, line).startswith("Paiement par chèque : l'opération doit passer par la banque")


def test_missing_and_unknown_mode(books):
    line = books.add("""
    2025-10-01 * "Papeterie" "Feutres"
      piece: "D04"
      Actif:512-Banque                     -10.00 EUR
      Charges:6063-Fournitures-activites    10.00 EUR

    2025-10-02 * "Papeterie" "Feutres"
      piece: "D05"
      mode: "CARTE"
      Actif:512-Banque                     -10.00 EUR
      Charges:6063-Fournitures-activites    10.00 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line, line + 5]
    assert errors[0].message.startswith("Indiquez le mode de paiement")
    assert errors[1].message.startswith("Mode de paiement inconnu « CARTE »")


@pytest.mark.parametrize(
    "piece_line, expected",
    [
        ("", "Pièce manquante"),
        ("  piece: 12\n", 'Numéro de pièce à écrire entre guillemets : piece: "12".'),
        ('  piece: "d01"\n', "La pièce d01 est déjà utilisée dans l'exercice 2025-2026 par l'opération du 16/09/2025"),
    ],
)
def test_pieces(books, piece_line, expected):
    line = books.add(
        '2025-10-01 * "Papeterie" "Feutres"\n'
        + piece_line
        + '  mode: "CB"\n  Actif:512-Banque  -10.00 EUR\n  Charges:6063-Fournitures-activites  10.00 EUR\n'
    )
    assert expected in one_error(books, line)


def test_same_piece_in_two_exercices_is_fine(books):
    from retkoop_tools.ledger.exercice import Exercice
    from retkoop_tools.ledger.layout import add_exercice

    add_exercice(books.dir, Exercice(2026))
    books.add("""
    2026-09-10 * "Famille" "Participation"
      piece: "R01"
      mode: "ESP"
      Actif:530-Caisse                       10.00 EUR
      Produits:7562-Participation-familles  -10.00 EUR
    """, exercice="2026-2027")
    assert books.errors() == []


def test_issued_cheques(books):
    line = books.add("""
    2025-10-01 * "Librairie" "Livres"
      piece: "D04"
      mode: "CHQ"
      Actif:512-Banque                  -30.00 EUR
      Charges:6181-Livres-abonnements    30.00 EUR

    2025-10-02 * "Librairie" "Livres"
      piece: "D05"
      mode: "CHQ"
      cheque: "0001234"
      Actif:512-Banque                  -30.00 EUR
      Charges:6181-Livres-abonnements    30.00 EUR

    2025-10-03 * "Librairie" "Livres"
      piece: "D06"
      mode: "CB"
      cheque: "0001235"
      Actif:512-Banque                  -30.00 EUR
      Charges:6181-Livres-abonnements    30.00 EUR
    """)
    errors = books.errors()
    assert [e.line for e in errors] == [line, line + 6, line + 13]
    assert errors[0].message.startswith("Chèque émis sans numéro")
    assert errors[1].message.startswith("Le chèque n° 0001234 a déjà été émis pour l'opération du 16/09/2025")
    assert errors[2].message == 'Un numéro de chèque va avec le mode chèque : mode: "CHQ".'


def test_caisse_never_negative_at_the_end_of_a_day(books):
    # Caisse: 50 + 15 - 40 - 20 + 5.50 = 10.50 on 30/09.
    line = books.add("""
    2025-10-01 * "Boulangerie" "Goûter"
      piece: "D04"
      mode: "ESP"
      Actif:530-Caisse                     -15.00 EUR
      Charges:6063-Fournitures-activites    15.00 EUR

    2025-10-01 * "Famille" "Participation"
      piece: "R06"
      mode: "ESP"
      Actif:530-Caisse                       10.00 EUR
      Produits:7562-Participation-familles  -10.00 EUR

    2025-10-02 * "Boulangerie" "Goûter"
      piece: "D05"
      mode: "ESP"
      Actif:530-Caisse                     -15.00 EUR
      Charges:6063-Fournitures-activites    15.00 EUR
    """)
    # Negative within 01/10 but positive at its end (5,50 €): only 02/10 is an error.
    assert one_error(books, line + 12) == (
        "La caisse serait négative le 02/10/2025 (-9,50\u00a0€) : une dépense en espèces a-t-elle "
        "été saisie avant la recette, ou à la mauvaise date ?"
    )


def test_opening_is_not_ventilated(books):
    line = books.add("""
    2025-09-01 * "Reprise" "Ouverture"
      nature: "ouverture"
      Actif:512-Banque               10.00 EUR
      Produits:771-Dons             -10.00 EUR
    """)
    assert "ne se ventile pas en charges ou produits" in one_error(books, line)
