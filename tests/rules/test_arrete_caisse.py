"""Arrêté de caisse: the count equals the caisse's book balance at the end of the day."""

from tests.conftest import OPENING

CASH = """
2025-09-10 * "Famille Lambert" "Participation volontaire"
  piece: "R01"
  mode: "ESP"
  Actif:530-Caisse                       15.50 EUR
  Produits:7562-Participation-familles  -15.50 EUR
"""


def test_count_equal_to_the_books_passes(coop):
    coop.add(OPENING)
    coop.add(CASH)
    # 50.00 + 15.50 = 65.50 = 20 + 20 + 10 + 10 + 5 + 0.50
    coop.add("""
    2025-09-10 custom "arrete-caisse" Actif:530-Caisse
      b20: 2
      b10: 2
      b5: 1
      c50: 1
      par: "Mme Martin"
    """)
    assert coop.errors() == []


def test_count_without_account(coop):
    coop.add(OPENING)
    line = coop.add('2025-09-05 custom "arrete-caisse"\n  b50: 1')
    errors = coop.errors()
    assert any(e.line == line and e.message.startswith("Arrêté de caisse mal écrit") for e in errors)
    assert all("Traceback" not in e.message for e in errors)


def test_count_differs(coop):
    coop.add(OPENING)
    coop.add(CASH)
    line = coop.add("""
    2025-09-10 custom "arrete-caisse" Actif:530-Caisse
      b50: 1
      p2: 7
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [line]
    assert errors[0].message == (
        "Arrêté de caisse du 10/09/2025 : 64,00\u00a0€ comptés, 65,50\u00a0€ au livre de caisse au moment "
        "du comptage (écart -1,50\u00a0€). Recomptez, ou cherchez l'opération en espèces oubliée ou mal "
        "datée ; un écart qui demeure s'enregistre comme écart de caisse."
    )


def test_same_gap_is_reported_once(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-09-05 custom "arrete-caisse" Actif:530-Caisse
      b20: 2

    2025-09-30 custom "arrete-caisse" Actif:530-Caisse
      b20: 2

    2025-10-31 custom "arrete-caisse" Actif:530-Caisse
      b20: 2
      b10: 1
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [line]  # -10 € on 05/09 and 30/09; right on 31/10
    assert "écart -10,00\u00a0€" in errors[0].message


def test_unknown_denomination_and_bad_counts(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-09-05 custom "arrete-caisse" Actif:530-Caisse
      b30: 1
      p2: 1.5
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [line]
    assert "« p2: 1.5 » : un nombre entier de billets ou pièces." in errors[0].message
    assert "Coupure inconnue « b30 »" in errors[0].message


def test_count_on_a_bank_account(coop):
    coop.add(OPENING)
    line = coop.add('2025-09-05 custom "arrete-caisse" Actif:512-Banque\n  b50: 1')
    errors = coop.errors()
    assert [e.line for e in errors] == [line]
    assert errors[0].message.startswith("Arrêté de caisse mal écrit")


def test_the_count_is_at_the_moment_it_was_written(coop):
    """The day's cash operations written after the count come after it; those dated before it count."""
    coop.add(OPENING)  # 50,00 € in the caisse
    coop.add("""
    2025-09-10 custom "arrete-caisse" Actif:530-Caisse
      b50: 1
    """)
    coop.add(CASH)  # 10/09, written after the count: the count (50,00 €) stays right
    assert coop.errors() == []
    line = coop.add("""
    2025-09-09 * "Famille Roy" "Participation volontaire"
      piece: "R02"
      mode: "ESP"
      Actif:530-Caisse                        8.40 EUR
      Produits:7562-Participation-familles   -8.40 EUR
    """)  # dated before the count: the count of 10/09 is wrong now
    errors = coop.errors()
    assert len(errors) == 1 and line not in [e.line for e in errors]
    assert errors[0].message.startswith("Arrêté de caisse du 10/09/2025 : 50,00\u00a0€ comptés, 58,40\u00a0€ ")
