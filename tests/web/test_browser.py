"""A teacher in a real browser (Debian's Chromium driven by Playwright) on a real server.

First login with the one-time password and forced change, the journal, an operation added
with Fava's own form (a refused one first: the default date has no exercice), the commit
under the teacher's name, logout.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
UAI = "0910001A"
NEW_PASSWORD = "La classe verte part en juin !"

# In CI (CI=true) a missing browser is a failure, not a skip: test.sh installs it.
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture
def server(tmp_path):
    import waitress

    root = prepare_demo_ad(REPO, tmp_path / "ad")
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    one_time = accounts.add(UAI, "mandataire", name="Mme Martin")
    portal = Portal(root, tmp_path / "instance", backup=False)
    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}", root, one_time
    httpd.close()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        page = browser.new_page(locale="fr-FR")
        page.set_default_timeout(15000)
        yield page
        browser.close()


def git_log(root: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(root), "log", "--format=%an|%ae|%s"], capture_output=True,
                          text=True, check=True).stdout.splitlines()


def test_a_teacher_first_login_journal_entry_and_logout(server, page, tmp_path):
    base, root, one_time = server

    # First login with the one-time password: the password must be changed first.
    page.goto(base + "/")
    assert "/connexion" in page.url
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(one_time)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mot-de-passe")
    assert "Première connexion" in page.content()
    page.get_by_label("Mot de passe actuel").fill(one_time)
    page.get_by_label("Nouveau mot de passe", exact=False).first.fill("motdepasse123!")
    page.get_by_label("Nouveau mot de passe, encore une fois").fill("motdepasse123!")
    page.get_by_role("button", name="Enregistrer").click()
    assert "trop courant" in page.locator(".erreur").inner_text()
    page.get_by_label("Mot de passe actuel").fill(one_time)
    page.get_by_label("Nouveau mot de passe", exact=False).first.fill(NEW_PASSWORD)
    page.get_by_label("Nouveau mot de passe, encore une fois").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()

    # Fava, in French, opens on the coop's dashboard.
    page.wait_for_url(f"**/coop/{UAI}/**/extension/TableauDeBord/**")
    page.get_by_text("Compte de résultat").first.wait_for()  # Fava's own sidebar, in French
    page.get_by_role("link", name="Journal", exact=True).click()
    page.wait_for_url("**/journal/**")
    page.wait_for_selector("text=Participation volontaire des familles")
    page.screenshot(path=str(tmp_path / "journal.png"))

    def fill_entry(date: str) -> None:
        page.keyboard.press("n")
        form = page.locator("form:has(button:has-text('Sauvegarder'))")
        form.get_by_placeholder("Bénéficiaire", exact=True).wait_for()
        form.locator("input[type=date]").fill(date)
        form.get_by_placeholder("Bénéficiaire", exact=True).fill("Librairie La Plume")
        form.get_by_placeholder("Description", exact=True).fill("Albums pour la bibliothèque de classe")
        form.locator("button[title='Ajouter une métadonnée']").first.click()
        form.locator("input.key").nth(0).fill("piece")
        form.locator("input.value").nth(0).fill("D999")
        form.locator("button[title='Ajouter une métadonnée']").first.click()
        form.locator("input.key").nth(1).fill("mode")
        form.locator("input.value").nth(1).fill("CB")
        form.get_by_placeholder("Compte", exact=True).nth(0).fill("Charges:6181-Livres-abonnements")
        form.get_by_placeholder("Montant", exact=True).nth(0).fill("42.50 EUR")
        form.get_by_placeholder("Compte", exact=True).nth(1).fill("Actif:512-Banque")
        form.get_by_role("button", name="Sauvegarder").click()

    commits_before = len(git_log(root))
    # Dated in an exercice that has no file yet: refused, with the rule's French message.
    fill_entry("2026-11-20")
    page.wait_for_selector("text=n'a pas de fichier")
    assert len(git_log(root)) == commits_before
    page.goto(page.url.split("#")[0])  # a fresh page, without the open form

    fill_entry("2026-06-15")
    deadline_log = git_log(root)
    for _ in range(50):
        if len(deadline_log) > commits_before:
            break
        page.wait_for_timeout(100)
        deadline_log = git_log(root)
    assert deadline_log[0] == f"Mme Martin|{UAI}|Saisie D999 du 15/06/2026 : Librairie La Plume, 42,50\u00a0€"
    text = (root / "ledgers" / UAI / "2025-2026.beancount").read_text()
    assert 'piece: "D999"' in text and 'mode: "CB"' in text
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    # Fava's frontend reloads its page after a save: the new operation shows in the journal.
    page.get_by_text("Albums pour la bibliothèque de classe").first.wait_for()
    page.screenshot(path=str(tmp_path / "saisie.png"))

    # Log out from Fava's page (our bar), and the books are closed again.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion?info=*")
    assert "Vous êtes déconnecté." in page.content()
    page.goto(base + f"/coop/{UAI}/")
    assert "/connexion" in page.url


def test_brute_force_in_the_browser_is_locked_out(server, page):
    base, _root, _one_time = server
    page.goto(base + "/connexion")
    for _ in range(5):
        page.get_by_label("Identifiant").fill(UAI)
        page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
        page.get_by_role("button", name="Se connecter").click()
        assert "Identifiant ou mot de passe incorrect." in page.locator(".erreur").inner_text()
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill("encore un essai")
    page.get_by_role("button", name="Se connecter").click()
    assert "ce compte est bloqué jusqu'à" in page.locator(".erreur").inner_text()
