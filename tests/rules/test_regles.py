"""The two levels: rule settings in ad.yaml, their French errors, and what each level does."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from retkoop_plugins import ALL_PLUGINS

from retkoop_tools.checks.regles import (
    AVERTISSEMENT,
    ERREUR,
    REGLES,
    ReglesError,
    parse_reglages,
)
from tests.conftest import OPENING

OVERDRAFT = """
2025-10-02 * "Papeterie" "Fournitures"
  piece: "D01"
  mode: "CB"
  Actif:512-Banque                    -1100.00 EUR
  Charges:6063-Fournitures-activites   1100.00 EUR
"""


def test_national_defaults():
    reglages = parse_reglages({})
    assert reglages.niveau("banque-negative") == ERREUR
    assert reglages.niveau("regie-plafond") == AVERTISSEMENT
    assert reglages.valeur("regie-plafond", "plafond") == Decimal(150)
    assert reglages.niveau("caisse-negative") == ERREUR  # an existing rule stays an erreur


def test_levels_and_thresholds_per_rule():
    reglages = parse_reglages({"regles": {"banque-negative": "avertissement",
                                          "regie-plafond": {"niveau": "erreur", "plafond": "200,50"},
                                          "vente-sans-achat": {"delai_jours": 90},
                                          "verificateur-mandataire": "ignorer"}})
    assert reglages.niveau("banque-negative") == AVERTISSEMENT
    assert (reglages.niveau("regie-plafond"), reglages.valeur("regie-plafond", "plafond")) == (ERREUR, Decimal("200.50"))
    assert (reglages.niveau("vente-sans-achat"), reglages.valeur("vente-sans-achat", "delai_jours")) == (
        AVERTISSEMENT, Decimal(90))
    assert not reglages.active("verificateur-mandataire")


@pytest.mark.parametrize("regles, expected", [
    ({"regie-plafon": "erreur"}, "« regie-plafon » n'est pas une règle connue. Règles : adhesion-compte"),
    ({"regie-plafond": "warning"}, "règle « regie-plafond » : niveau « warning » inconnu ; écrivez erreur, "
                                   "avertissement ou ignorer."),
    ({"regie-plafond": {"plafond": "beaucoup"}}, "« plafond » (somme confiée à un enseignant au plus, en euros) "
                                                 "doit être un montant positif, comme 150 ou 150.50, pas « beaucoup »."),
    ({"regie-plafond": {"plafond": -5}}, "doit être un montant positif"),
    ({"vente-sans-achat": {"delai_jours": 7.5}}, "doit être un nombre entier positif"),
    ({"regie-plafond": {"maximum": 100}}, "« maximum » inconnu (possibles : niveau, plafond)."),
    (["banque-negative"], "attendu une règle par ligne"),
])
def test_wrong_settings_are_named_in_french(regles, expected):
    with pytest.raises(ReglesError) as exc:
        parse_reglages({"regles": regles})
    assert expected in str(exc.value)


def test_wrong_settings_are_one_erreur_of_every_coop(coop):
    coop.add(OPENING)
    coop.set_rules("banque-negative: non")
    errors = coop.errors()
    assert [(e.file, e.line) for e in errors] == [(f"ledgers/{coop.uai}/coop.beancount", 0)]
    assert errors[0].message.startswith("Règles de l'AD invalides : ad.yaml, « regles », règle « banque-negative » : "
                                        "niveau « non » inconnu")


def test_every_rule_has_its_plugin_and_its_line_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for code, regle in REGLES.items():
        assert f"retkoop_plugins.{regle.module}" in ALL_PLUGINS
        assert f"`{code}`" in readme, code


def test_an_avertissement_is_its_rule_s_class_twin(coop):
    """Fava shows the class name: BankOverdraftWarning next to BankOverdraftError."""
    from beancount import loader

    coop.add(OPENING)
    coop.add(OVERDRAFT)
    coop.set_rules("banque-negative: avertissement")
    _entries, errors, _options = loader.load_file(str(coop.dir / "coop.beancount"))
    assert [type(e).__name__ for e in errors] == ["BankOverdraftWarning"]
    assert errors[0].level == AVERTISSEMENT and type(errors[0]).__mro__[1].__name__ == "BankOverdraftError"


def test_plain_bean_check_prints_avertissements_like_erreurs(coop):
    """bean-check knows no levels: it prints every report and exits 1 (documented in the README);
    `retkoop check` tells them apart."""
    coop.add(OPENING)
    coop.add(OVERDRAFT)
    coop.set_rules("banque-negative: avertissement")
    bean_check = Path(sys.executable).with_name("bean-check")
    proc = subprocess.run([str(bean_check), str(coop.dir / "coop.beancount")], capture_output=True, text=True)
    assert proc.returncode == 1 and "serait à découvert" in proc.stdout + proc.stderr
    retkoop = Path(sys.executable).with_name("retkoop")
    proc = subprocess.run([str(retkoop), "check", coop.uai, "--json", "--sans-cache", "--repo", str(coop.root)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [e["level"] for e in json.loads(proc.stdout)] == ["avertissement"]


def test_the_console_uses_the_rule_s_delay_for_cheques():
    """One source of the delay: the rule's setting, the console's older key when it is absent."""
    from retkoop_tools.console.status import cheque_months

    assert cheque_months({}) == 3
    assert cheque_months({"regles": {"cheque-non-debite": {"mois": 4}}}) == 4
    assert cheque_months({"console": {"cheques_non_debites_mois": 2}}) == 2
    assert cheque_months({"regles": {"cheque-non-debite": {"mois": 5}},
                          "console": {"cheques_non_debites_mois": 2}}) == 5
