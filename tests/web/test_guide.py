"""The mandataire's guide through the real portal: Fava's help leads to it, its five questions
open their answers, every link reaches this coop's page, the screenshots are served, the AD's
contacts from ad.yaml are shown, and the login page says whom to ask for a lost password."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from werkzeug.test import Client

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.tresorier.pages.guide import SCREENSHOTS, SECTIONS
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import OWN, PASSWORD, REPO, USERS, PortalEnv


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> PortalEnv:
    tmp = tmp_path_factory.mktemp("guide")
    root = prepare_demo_ad(REPO, tmp / "ad")
    accounts = Accounts(tmp / "instance" / "comptes.sqlite")
    for login, role, extra in USERS.values():
        accounts.add(login, role, name=f"Test {role}", password=PASSWORD, **extra)
    return PortalEnv(Portal(root, tmp / "instance", lru_size=3, backup=False), root)


def base(env: PortalEnv) -> str:
    return f"/coop/{OWN}/{env.slug(OWN)}"


def test_fava_help_leads_to_the_guide(env):
    client = env.client("mandataire")
    for path in ("/help/", "/help/import", "/help/options"):
        response = client.get(base(env) + path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/extension/Guide/")
        assert client.get(response.headers["Location"]).status_code == 200
    # Fava's own page asks its API when it renders the help in place: it points to the guide too.
    answer = client.get(base(env) + "/api/help?page_slug=_index").get_json()["data"]
    assert "Guide du mandataire" in answer["html"] and "/extension/Guide/" in answer["html"]
    assert answer["pages"] == [["_index", "Guide du mandataire"]]
    assert "Beancount" not in answer["html"]
    # Without a session, the help is not the way in.
    assert Client(env.portal).get(base(env) + "/help/").status_code == 302
    assert "/connexion" in Client(env.portal).get(base(env) + "/help/").headers["Location"]


def test_the_guide_answers_each_question_with_links_to_the_coops_pages(env):
    client = env.client("mandataire")
    page = client.get(base(env) + "/extension/Guide/").get_data(as_text=True)
    details = re.findall(r'<details id="([a-z]+)">\s*<summary>([^<]+)</summary>', page)
    assert details == [(key, html.escape(title, quote=False)) for key, title in SECTIONS]
    assert [t for _, t in SECTIONS] == [
        "Comment tenir la comptabilité de sa coopé ?", "Comment établir son adhésion en début d'année ?",
        "Comment signaler à votre AD le changement de mandataire ?", "Les nouveautés", "Les points essentiels à savoir"]
    # The table of contents opens each answer by its anchor.
    for key, _ in SECTIONS:
        assert f'<a href="#{key}">' in page
    # Each answer links to the page of this coop that does it, and each link works.
    sections = dict(re.findall(r'<details id="([a-z]+)">(.*?)</details>', page, re.S))
    expected = {"tenir": ["Saisie", "Cahier", "Pointage", "ArreteDeCaisse", "FinExercice", "TableauDeBord", "Reprise"],
                "adhesion": ["Adhesion"], "mandataire": ["Demandes", "FinExercice"]}
    for key, pages in expected.items():
        links = re.findall(r'href="([^"]+/extension/([A-Za-z]+)/)"', sections[key])
        assert [name for _, name in links if name in pages] and set(pages) <= {name for _, name in links}, key
        for href, _name in links:
            assert href.startswith(f"/coop/{OWN}/")
            assert client.get(html.unescape(href)).status_code == 200, href
    # Facts read from the AD's file and the coop's books, not written in the guide.
    text = " ".join(page.split())
    assert "avant le <strong>30 septembre</strong>" in text and "avant le <strong>15 octobre</strong>" in text
    assert "R01, R02… pour les recettes et D01, D02… pour les dépenses" in text  # this coop's numbering
    # The screenshots of the real pages, committed and served by the portal.
    images = re.findall(r'<img src="(/statique/guide/([a-z]+)\.png)"', page)
    assert {name for _, name in images} == set(SCREENSHOTS)
    for src, _ in images:
        response = client.get(src)
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    # The AD's contacts from ad.yaml.
    assert "Secrétariat de l'AD" in html.unescape(page) and 'href="tel:0199001234"' in page
    assert 'href="mailto:compta.ad91@example.org"' in page


def test_a_coop_with_continuous_numbering_reads_its_own(env):
    uai = "0910002B"  # Les Tilleuls numbers 1, 2, 3…
    client = env.client("ad_staff")
    page = " ".join(client.get(f"/coop/{uai}/{env.slug(uai)}/extension/Guide/").get_data(as_text=True).split())
    assert "numérote ses pièces 1, 2, 3… (recettes et dépenses mêlées)" in page


def test_contacts_changed_in_ad_yaml_show_at_once_and_a_mistake_only_to_the_ad(env):
    path = env.root / "ad.yaml"
    original = path.read_text(encoding="utf-8")
    config = yaml.safe_load(original)
    try:
        config["contacts"] = [{"nom": "Permanence téléphonique", "telephone": "01 99 00 55 55",
                               "horaires": "mercredi matin"}]
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        guide = env.client("mandataire").get(base(env) + "/extension/Guide/").get_data(as_text=True)
        assert "Permanence téléphonique" in guide and "01 99 00 55 55" in guide and "mercredi matin" in guide
        login = Client(env.portal).get("/connexion").get_data(as_text=True)
        assert "Permanence téléphonique" in login
        config["contacts"] = [{"nom": "Permanence", "telephone": "55 55"}]
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        teacher = env.client("mandataire").get(base(env) + "/extension/Guide/").get_data(as_text=True)
        ad = env.client("ad_staff").get(base(env) + "/extension/Guide/").get_data(as_text=True)
        mistake = "« 55 55 » n'est pas un numéro de téléphone français"
        assert mistake not in teacher and "ad91@example.org" in teacher  # the AD's e-mail instead
        assert mistake in html.unescape(ad)
    finally:
        path.write_text(original, encoding="utf-8")


def test_login_page_says_whom_to_ask_and_tells_nothing_about_accounts(env):
    page = Client(env.portal).get("/connexion").get_data(as_text=True)
    assert "<summary>Identifiant ou mot de passe oublié ?</summary>" in page
    assert "numéro UAI de l'école" in page and "mot de passe provisoire" in page
    assert "Secrétariat de l'AD" in html.unescape(page) and "01 99 00 12 34" in page and "ad91@example.org" in page

    def failed(login: str) -> str:
        response = Client(env.portal).post("/connexion", data={"identifiant": login, "mot_de_passe": "pas le bon",
                                                               "suite": "/"}, headers={"Origin": "http://localhost"})
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert f'value="{login}"' in page  # the identifiant typed, kept in its field
        return page.replace(f'value="{login}"', 'value="…"')

    # A wrong password on an existing coop and an unknown coop get the very same page.
    assert failed(OWN) == failed("0919999Z")
