"""The AD's contacts in ad.yaml: validated with French messages, shown by `retkoop ad contacts`,
and a miswritten file stops `retkoop serve` before it serves anyone."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from retkoop_tools.cli import main
from retkoop_tools.contacts import (
    InvalidContactsError,
    ad_contacts,
    contacts_html,
    contacts_of,
)
from retkoop_tools.store.init import init_ad_repo
from tests.gitrepo import ADMIN

GOOD = {"nom": "OCCE 91", "contacts": [
    {"nom": "Secrétariat de l'AD", "pour": "mots de passe", "telephone": "+33 (0)1 99 00 12 34",
     "email": "ad91@example.org", "horaires": "lundi, 9 h – 12 h"},
    {"nom": "Comptabilité", "email": "compta@ad91.example.org"},
]}


def test_contacts_are_read_and_normalised():
    first, second = ad_contacts(GOOD)
    assert (first.nom, first.telephone, first.telephone_uri) == ("Secrétariat de l'AD", "01 99 00 12 34", "tel:0199001234")
    assert (second.telephone, second.email) == ("", "compta@ad91.example.org")
    # Without contacts:, the AD's own e-mail stands for them; without either, nobody.
    assert [(c.nom, c.email) for c in ad_contacts({"nom": "OCCE 91", "email": "ad91@example.org"})] == [
        ("OCCE 91", "ad91@example.org")]
    assert ad_contacts({"nom": "OCCE 91"}) == []


@pytest.mark.parametrize("contacts, message", [
    ([{"nom": "X", "telephone": 160000000}], "écrivez le numéro entre guillemets"),
    ([{"nom": "X", "telephone": "01 60 00"}], "« 01 60 00 » n'est pas un numéro de téléphone français"),
    ([{"nom": "X", "telefone": "01 99 00 12 34"}], "contact n° 1 : « telefone » n'est pas une clé connue"),
    ([{"nom": "X", "email": "ad91@example"}], "« ad91@example » n'est pas une adresse e-mail"),
    ([{"nom": "<b>AD</b>", "email": "ad91@example.org"}], "« < », « > » et les caractères de contrôle sont refusés"),
    ([{"nom": "X"}], "contact « X » : indiquez un « telephone » ou un « email »"),
    ([{"email": "ad91@example.org"}], "contact n° 1 : il manque « nom »"),
    ("01 99 00 12 34", "« contacts » : attendu une liste de contacts"),
    (["Secrétariat"], "contact n° 1 : attendu « nom: … »"),
])
def test_miswritten_contacts_say_where_in_french(contacts, message):
    with pytest.raises(InvalidContactsError) as error:
        ad_contacts({"contacts": contacts})
    assert message in str(error.value)
    assert str(error.value).startswith("ad.yaml, ")


def test_contacts_html_escapes_everything():
    contacts = ad_contacts({"contacts": [{"nom": "AD & co", "email": "a@b.fr", "horaires": "9 h \"matin\""}]})
    html = str(contacts_html(contacts))
    assert "AD &amp; co" in html and 'href="mailto:a@b.fr"' in html and "9 h &#34;matin&#34;" in html


@pytest.fixture
def ad(tmp_path):
    root = tmp_path / "ad91"
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    return root


def write_contacts(root, contacts) -> None:
    config = yaml.safe_load((root / "ad.yaml").read_text(encoding="utf-8"))
    config["contacts"] = contacts
    (root / "ad.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def test_cli_shows_the_contacts_or_the_mistake(ad):
    runner = CliRunner()
    result = runner.invoke(main, ["ad", "contacts", "--repo", str(ad)])
    assert result.exit_code == 0 and "Aucun contact" in result.output
    write_contacts(ad, GOOD["contacts"])
    result = runner.invoke(main, ["ad", "contacts", "--repo", str(ad)])
    assert result.exit_code == 0, result.output
    assert "Secrétariat de l'AD (mots de passe)\n  téléphone : 01 99 00 12 34\n  e-mail : ad91@example.org" in result.output
    write_contacts(ad, [{"nom": "Secrétariat", "telephone": "12"}])
    result = runner.invoke(main, ["ad", "contacts", "--repo", str(ad)])
    assert result.exit_code != 0 and "« 12 » n'est pas un numéro de téléphone français" in result.output
    # The portal does not start on a miswritten ad.yaml: teachers would see nobody to call.
    result = runner.invoke(main, ["serve", "--repo", str(ad), "--port", "1"])
    assert result.exit_code != 0
    assert "« 12 » n'est pas un numéro de téléphone français" in result.output and "Corrigez ad.yaml" in result.output


def test_contacts_of_follows_the_file_and_falls_back_on_a_mistake(ad):
    write_contacts(ad, GOOD["contacts"])
    contacts, error = contacts_of(ad)
    assert [c.nom for c in contacts] == ["Secrétariat de l'AD", "Comptabilité"] and error == ""
    config = yaml.safe_load((ad / "ad.yaml").read_text(encoding="utf-8"))
    config.update(email="ad91@example.org", contacts=[{"nom": "Secrétariat"}])
    (ad / "ad.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    contacts, error = contacts_of(ad)
    assert "indiquez un « telephone » ou un « email »" in error
    assert [c.email for c in contacts] == ["ad91@example.org"]  # the AD's own e-mail, still reachable
