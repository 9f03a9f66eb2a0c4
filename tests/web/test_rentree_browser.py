"""The rentrée in a real browser: a September receipt recorded before closing, then the closing.

On 15/09/2026 the teacher first types a date that is refused (in the future) and reads why,
records the new year's first receipt (which opens 2026-2027, with a provisional opening), sees
both exercices on the Tableau de bord, then closes 2025-2026 from Fin d'exercice: the new
year's opening becomes final and the dashboard says the closing is done.
"""

from __future__ import annotations

import subprocess
import threading

import pytest

from retkoop_tools.cloture.report import is_provisional
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .test_browser import pytestmark  # noqa: F401  (skip rule shared with the other browser tests)
from .test_school_year import PASSWORD, UAI, YEAR
from .test_treasurer_month import browser  # noqa: F401  (the Chromium fixture)

ADMIN = Author("Compta AD", "compta@ad92.fr")


@pytest.fixture
def server(tmp_path, monkeypatch):
    import waitress

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-15")
    root = tmp_path / "ad"
    init_ad_repo(root, "92", "OCCE des Hauts-de-Seine", ADMIN)
    store = Store(root)
    create_coop(root, UAI, "École des Tilleuls", "Antony", Exercice(2025))
    store.commit_new_coop(UAI, ADMIN, "Nouvelle coopérative")
    store.insert_entries(UAI, YEAR, ADMIN, "Reprise et année 2025-2026", Exercice(2025))
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Roux", password=PASSWORD)
    httpd = waitress.create_server(Portal(root, tmp_path / "instance", backup=False), host="127.0.0.1", port=0,
                                   threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}", root
    httpd.close()


def test_rentree_receipt_then_closing(server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    url, root = server
    coop_dir = root / "ledgers" / UAI
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/coop/{UAI}/")
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    expect(page.locator("[data-rk-cle=cloture]")).to_have_class("rk-bientot")
    expect(page.locator("[data-rk-cle=cloture]")).to_contain_text("À faire avant le 30/09/2026")

    page.get_by_role("link", name="Saisie", exact=True).first.click()
    page.wait_for_selector("[data-rk-page=saisie][data-rk-ready]")
    assert page.input_value("#rk-date") == "15/09/2026"
    page.select_option("#rk-type", "recette")
    assert page.input_value("#rk-piece") == "R01"  # the numbering restarts at the rentrée
    page.fill("#rk-libelle", "Participation des familles")
    page.select_option("#rk-mode", "ESP")
    page.fill("#rk-montant", "35")
    page.select_option("#rk-compte-1", "7562")
    page.fill("#rk-date", "16/09/2026")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("[data-rk-error=date]")).to_have_text(
        "Le 16/09/2026 est dans le futur : une opération se saisit une fois faite.")
    assert not (coop_dir / "2026-2027.beancount").exists()
    page.fill("#rk-date", "15/09/2026")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Exercice 2026-2027 ouvert")
    expect(page.locator("[data-rk-flash]")).to_contain_text("R01")
    assert is_provisional((coop_dir / "2026-2027.beancount").read_text(encoding="utf-8"))

    page.get_by_role("link", name="Tableau de bord", exact=True).first.click()
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    expect(page.locator("[data-rk-exercices]")).to_have_text("(et 2025-2026, ouvert jusqu'à sa clôture)")
    expect(page.locator("[data-rk-solde=Caisse]")).to_contain_text("85,00\u00a0€")
    expect(page.get_by_role("button", name="Ouvrir l'exercice 2026-2027")).to_have_count(0)

    page.locator("[data-rk-cle=cloture] a").click()
    page.wait_for_selector("[data-rk-page=fin][data-rk-ready]")
    expect(page.get_by_role("heading", name="Fin d'exercice 2025-2026")).to_be_visible()
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Clôturer l'exercice 2025-2026").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Exercice 2025-2026 clôturé")
    text = (coop_dir / "2026-2027.beancount").read_text(encoding="utf-8")
    assert not is_provisional(text) and "balance Actif:530-Caisse" in text
    page.screenshot(path=str(tmp_path / "rentree.png"), full_page=True)

    page.get_by_role("link", name="Tableau de bord", exact=True).first.click()
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    expect(page.locator("[data-rk-cle=cloture]")).to_have_class("rk-ok")
    expect(page.locator("[data-rk-exercices]")).to_have_count(0)
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%an|%s", "-4"], capture_output=True,
                         text=True).stdout.splitlines()
    assert log[0] == "Mme Roux|Clôture de l'exercice 2025-2026"
    assert "Mme Roux|Ouverture de l'exercice 2026-2027" in log
