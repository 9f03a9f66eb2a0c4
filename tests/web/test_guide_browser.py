"""In a real browser (Debian's Chromium, Playwright) on a real server: Fava's « Aide » opens the
mandataire's guide, whose questions open and whose links lead to the pages; a change of
mandataire goes from the teacher's request to the AD's validation and the successor's first
login with the one-time password; a spreadsheet cahier is uploaded, previewed, confirmed, and
the Cahier shows its rows."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.store import Author, Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .test_browser import CHROMIUM, REPO, pytestmark  # noqa: F401  (skip rule shared with the other browser tests)

UAI, EMPTY = "0910001A", "0910042Z"
PASSWORD = "Un mot de passe pour les essais du guide"
ADMIN = "admin@ad91.test"
SUCCESSOR = "paul.lefevre@ac-versailles.fr"
CAHIER = Path(__file__).resolve().parents[1] / "migration" / "cahier-2025-2026.xlsx"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import waitress

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")
        tmp = tmp_path_factory.mktemp("guide-browser")
        root = prepare_demo_ad(REPO, tmp / "ad")
        admin = Author("Compta AD", "compta@ad91.fr")
        create_coop(root, EMPTY, "École du Parc", "Massy", Exercice(2025))
        Store(root).commit_new_coop(EMPTY, admin, "Nouvelle coopérative")
        accounts = Accounts(tmp / "instance" / "comptes.sqlite")
        accounts.add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
        accounts.add(EMPTY, "mandataire", name="M. Girard", password=PASSWORD)
        accounts.add(ADMIN, "ad_admin", name="Compta AD", password=PASSWORD)
        portal = Portal(root, tmp / "instance", backup=False)
        httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=httpd.run, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.effective_port}", root
        httpd.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def new_page(browser):
    page = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20000)
    return page


def login(page, base: str, who: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Identifiant", exact=False).first.fill(who)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_fava_help_opens_the_guide_whose_questions_open_and_lead_to_the_pages(server, browser):
    from playwright.sync_api import expect

    base, _root = server
    page = new_page(browser)
    login(page, base, UAI)
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    page.get_by_role("link", name="Aide", exact=True).click()  # Fava's own sidebar link
    page.wait_for_selector("[data-rk-page=guide][data-rk-ready]")
    assert page.url.endswith("/extension/Guide/")
    assert page.locator(".help-sidebar").count() == 0  # not Fava's English help
    closed = page.evaluate("() => [...document.querySelectorAll('details')].filter(d => d.open).length")
    assert closed == 0
    page.get_by_role("link", name="Comment établir son adhésion en début d'année ?").click()
    expect(page.locator("details#adhesion")).to_have_attribute("open", "")
    assert page.url.endswith("#adhesion")
    image = page.locator("details#adhesion img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 600")
    page.locator("details#adhesion").get_by_role("link", name="Adhésion", exact=True).click()
    page.wait_for_selector("[data-rk-page=adhesion][data-rk-ready]")
    # An address with a question's anchor opens that answer directly.
    page.goto(page.url.split("/extension/")[0] + "/extension/Guide/#mandataire")
    page.wait_for_selector("[data-rk-page=guide][data-rk-ready]")
    expect(page.locator("details#mandataire")).to_have_attribute("open", "")
    page.locator("details#mandataire summary").click()  # a title closes its answer again
    expect(page.locator("details#mandataire")).not_to_have_attribute("open", "")
    page.locator("details#essentiel summary").click()
    expect(page.locator("details#essentiel")).to_contain_text("La caisse n'est jamais négative")
    page.locator("details#tenir summary").click()
    page.locator("details#tenir").get_by_role("link", name="Pointage", exact=True).click()
    page.wait_for_selector("[data-rk-page=pointage][data-rk-ready]")
    page.context.close()


def test_change_of_mandataire_from_the_request_to_the_successors_first_login(server, browser):
    from playwright.sync_api import expect

    base, _root = server
    teacher = new_page(browser)
    login(teacher, base, UAI)
    teacher.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    teacher.get_by_role("link", name="Écrire à l'AD", exact=True).first.click()
    teacher.wait_for_selector("[data-rk-page=demandes][data-rk-ready]")
    teacher.get_by_label("Nom du nouveau mandataire").fill("M. Lefèvre")
    teacher.get_by_label("Son adresse e-mail").fill("paul.lefevre@ac-versailles")
    teacher.get_by_role("button", name="Envoyer à l'AD").first.click()
    error = teacher.locator("[data-rk-error=email]")
    expect(error).to_contain_text("n'est pas une adresse e-mail")
    expect(teacher.get_by_label("Son adresse e-mail")).to_have_attribute("aria-invalid", "true")
    expect(teacher.get_by_label("Son adresse e-mail")).to_be_focused()
    teacher.get_by_label("Son adresse e-mail").fill(SUCCESSOR)
    assert teacher.get_by_label("À partir du (jj/mm/aaaa)").input_value() == "01/09/2026"  # the next rentrée
    teacher.get_by_label("À partir du (jj/mm/aaaa)").fill("15/06/2026")  # today: the handover is now
    teacher.get_by_role("button", name="Envoyer à l'AD").first.click()
    expect(teacher.locator("[data-rk-flash]")).to_contain_text("demande n° 1 envoyée à l'AD")
    expect(teacher.locator("[data-rk-demande='1'] [data-rk-statut]")).to_have_text("En attente de l'AD")

    admin = new_page(browser)
    login(admin, base, ADMIN)
    admin.get_by_role("link", name="Demandes", exact=True).click()
    row = admin.locator(f"tr[data-demande='{UAI}-1']")
    expect(row).to_contain_text("En attente de l'AD")
    admin.get_by_placeholder("UAI, école, nom, e-mail…").fill("lefevre")
    expect(row).to_be_visible()
    admin.get_by_placeholder("UAI, école, nom, e-mail…").fill("personne d'autre")
    expect(row).to_be_hidden()
    admin.get_by_placeholder("UAI, école, nom, e-mail…").fill("")
    row.get_by_role("link").click()
    admin.get_by_label("Message au mandataire (facultatif)").fill("Bienvenue à M. Lefèvre.")
    admin.get_by_role("button", name="Valider la demande").click()
    secret = admin.locator(f"tr:has-text('{SUCCESSOR}') td.secret code").inner_text()
    assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){3}", secret)
    admin.context.close()

    # The old access closed at once (the date asked is today): the teacher's next request is refused.
    teacher.reload()
    assert "Votre compte ne donne pas accès à la coopérative" in teacher.content()
    teacher.context.close()

    successor = new_page(browser)
    login(successor, base, SUCCESSOR, secret)
    successor.wait_for_url("**/mot-de-passe")
    successor.get_by_label("Mot de passe actuel").fill(secret)
    successor.get_by_label("Nouveau mot de passe", exact=False).first.fill("La coopé de Jean Jaurès 2026")
    successor.get_by_label("Nouveau mot de passe, encore une fois").fill("La coopé de Jean Jaurès 2026")
    successor.get_by_role("button", name=re.compile("Changer|Enregistrer")).click()
    successor.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    successor.get_by_role("link", name="Écrire à l'AD", exact=True).first.click()
    successor.wait_for_selector("[data-rk-page=demandes][data-rk-ready]")
    expect(successor.locator("[data-rk-demande='1'] [data-rk-statut]")).to_have_text("Validée")
    expect(successor.locator("[data-rk-demande='1']")).to_contain_text("Bienvenue à M. Lefèvre.")
    successor.context.close()


def test_a_spreadsheet_cahier_uploaded_previewed_confirmed_and_shown_in_the_cahier(server, browser):
    from playwright.sync_api import expect

    base, root = server
    page = new_page(browser)
    login(page, base, EMPTY)
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    page.get_by_role("link", name="Reprise du cahier", exact=True).click()
    page.wait_for_selector("[data-rk-page=reprise][data-rk-ready]")
    page.get_by_label("Fichier du cahier (XLSX ou CSV)").set_input_files(str(CAHIER))
    page.get_by_label("Solde de la banque au début de l'exercice (€, facultatif)").fill("1 000,00")
    page.get_by_label("Solde de la caisse au début de l'exercice (€, facultatif)").fill("80,00")
    page.get_by_role("button", name="Lire le cahier").click()
    preview = page.locator("[data-rk-apercu-reprise]")
    expect(preview).to_contain_text("9 opération(s) reprise(s), 4 ligne(s) non reprise(s)")
    expect(page.locator("[data-rk-refusees] tbody tr")).to_have_count(4)
    expect(page.locator("[data-rk-reprises] tbody tr")).to_have_count(9)
    expect(page.locator("[data-rk-refusees]")).to_contain_text("c'est la « ligne rouge » du cahier")
    page.get_by_role("button", name="Confirmer la reprise (9 opération(s))").click()
    page.wait_for_selector("[data-rk-page=cahier][data-rk-ready]")
    expect(page.locator("[data-rk-flash]")).to_contain_text("9 opération(s) enregistrée(s)")
    assert page.url.endswith("/extension/Cahier/")
    expect(page.locator("[data-rk-ligne-cahier]")).to_have_count(10)  # nine operations and the opening
    expect(page.locator("[data-rk-page=cahier]")).to_contain_text("Albums pour la BCD")
    page.context.close()
