"""The chart of accounts is data: the default one, and an AD's extension or replacement."""

from __future__ import annotations

from pathlib import Path

import pytest

from retkoop_tools.chart import ChartError, load_chart, sub_account_name


def test_default_chart_maps_every_code_to_one_account_and_one_crf_line():
    chart = load_chart(None)
    codes = [c.code for c in chart.comptes]
    assert len(codes) == len(set(codes))
    assert len({c.account for c in chart.comptes}) == len(codes)
    assert chart.by_code["6063"].account == "Charges:6063-Fournitures-activites"
    assert chart.by_code["512"].account == "Actif:512-Banque"
    assert chart.by_code["110"].account == "Capitaux:110-Report-a-nouveau"
    assert chart.by_code["7562"].rubrique.libelle == "Participation volontaire des familles"
    assert chart.by_code["606"].rubrique.libelle == "Achats de biens durables"
    assert {c.type for c in chart.comptes if c.is_treasury} == {"banque", "caisse", "cheques", "regie"}


def test_a_code_is_not_a_prefix():
    chart = load_chart(None)
    assert chart.lookup("Charges:606-Biens-durables")[0].code == "606"
    assert chart.lookup("Charges:6063-Fournitures-activites")[0].code == "6063"
    assert chart.lookup("Charges:606-Biens-durables:Autre") == (None, False)


def test_regies_are_detailed_by_teacher():
    chart = load_chart(None)
    compte, is_sub = chart.lookup("Actif:54-Regies:Martin")
    assert compte.code == "54" and is_sub
    assert sub_account_name("Mme de La Tour") == "De-La-Tour"
    assert sub_account_name("M. Lefèvre") == "Lefevre"


def test_ad_extends_the_chart(tmp_path: Path):
    (tmp_path / "plan-comptable.yaml").write_text(
        """
comptes:
  - {code: "62810008", libelle: "Cotisation OCCE (AD 50)", nom: "Cotisation-OCCE-AD", rubrique: cotisations}
  - {code: "6063", libelle: "Fournitures", nom: "Fournitures", rubrique: charges-activites}
retirer: ["626"]
""",
        encoding="utf-8",
    )
    chart = load_chart(tmp_path)
    assert chart.by_code["62810008"].account == "Charges:62810008-Cotisation-OCCE-AD"
    assert chart.by_code["6063"].account == "Charges:6063-Fournitures"
    assert "626" not in chart.by_code
    assert "512" in chart.by_code


def test_ad_replaces_the_chart(tmp_path: Path):
    (tmp_path / "plan-comptable.yaml").write_text(
        """
mode: remplacer
rubriques:
  tresorerie: {libelle: "Trésorerie", sens: tresorerie}
  charges: {libelle: "Charges", sens: charge}
comptes:
  - {code: "512", libelle: "Banque", nom: "Banque", rubrique: tresorerie, type: banque}
  - {code: "60", libelle: "Achats", nom: "Achats", rubrique: charges}
""",
        encoding="utf-8",
    )
    chart = load_chart(tmp_path)
    assert [c.code for c in chart.comptes] == ["512", "60"]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("comptes: [{code: 6063, libelle: x, nom: x, rubrique: charges-activites}]", "nom « x »"),
        ("comptes: [{code: \"6x\", libelle: x, nom: X, rubrique: charges-activites}]", "code invalide"),
        ("comptes: [{code: \"999\", libelle: x, nom: X, rubrique: nulle-part}]", "rubrique inconnue"),
        ("comptes: [{code: \"999\", libelle: x, nom: X, rubrique: tresorerie}]", "doit avoir un type"),
        ("comptes: [{code: \"999\", libelle: x, nom: X, rubrique: fonds}, "
         "{code: \"999\", libelle: y, nom: Y, rubrique: fonds}]", "apparaît deux fois"),
        ("mode: fusionner", "mode « fusionner » inconnu"),
        ("comptes: [unclosed", "YAML invalide"),
    ],
)
def test_bad_ad_chart_gets_a_french_message(tmp_path: Path, content: str, expected: str):
    (tmp_path / "plan-comptable.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ChartError) as info:
        load_chart(tmp_path)
    assert expected in str(info.value)
    assert "plan-comptable.yaml" in str(info.value)
