"""Plan comptable: chart accounts only, euros only, never a parent account."""

from tests.conftest import OPENING


def test_books_on_chart_accounts_pass(coop):
    coop.add(OPENING)
    coop.add("""
    2025-09-15 * "Papeterie" "Feutres"
      piece: "D01"
      mode: "ESP"
      Actif:530-Caisse                     -12.40 EUR
      Charges:6063-Fournitures-activites    12.40 EUR
    """)
    assert coop.errors() == []


def test_account_outside_the_chart(coop):
    line = coop.add("""
    2025-09-01 open Charges:6999-Divers EUR
    """)
    errors = coop.errors()
    assert [(e.line, e.message.split(" :")[0]) for e in errors] == [
        (line, "Le compte Charges:6999-Divers n'existe pas dans le plan comptable de l'AD.")
    ][:1] or errors
    assert errors[0].line == line
    assert "n'existe pas dans le plan comptable" in errors[0].message
    assert errors[0].file == "ledgers/0910001A/2025-2026.beancount"


def test_posting_on_an_account_never_opened_is_in_french(coop):
    line = coop.add("""
    2025-09-15 * "Papeterie" "Feutres"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque          -12.40 EUR
      Charges:6999-Divers        12.40 EUR
    """)
    errors = coop.errors()
    assert any(
        e.line == line and e.message.startswith("Compte inconnu Charges:6999-Divers") for e in errors
    ), errors


def test_other_currency_is_refused(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-09-15 * "Papeterie" "Feutres"
      piece: "D01"
      mode: "CB"
      Actif:512-Banque                     -12.40 USD
      Charges:6063-Fournitures-activites    12.40 USD
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [line, line]
    assert "la coopérative tient ses comptes en euros" in errors[0].message


def test_writing_on_the_regies_parent_account(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-09-01 open Actif:54-Regies EUR

    2025-09-15 * "Mme Martin" "Versement de la régie"
      piece: "D01"
      mode: "ESP"
      nature: "regie"
      Actif:54-Regies       40.00 EUR
      Actif:530-Caisse     -40.00 EUR
    """)
    errors = coop.errors()
    assert [e.line for e in errors] == [line, line + 2]
    assert all("se détaille en sous-comptes" in e.message for e in errors)


def test_a_broken_ad_chart_is_reported_once(coop):
    (coop.root / "plan-comptable.yaml").write_text("comptes: [{code: 12x}]\n")
    errors = coop.errors()
    assert len(errors) == 1
    assert errors[0].message.startswith("Plan comptable de l'AD invalide :")
    assert errors[0].file.endswith("coop.beancount")
