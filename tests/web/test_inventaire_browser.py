"""The cahier d'inventaire in a real browser: the teacher confirms the proposed 606 purchase
(after a refused value), sees it in the cahier, and finds it in the downloaded PDF."""

from __future__ import annotations

import io
import re
import threading

import pypdf
import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import REPO
from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (same skip rule)
from .test_treasurer_month import browser  # noqa: F401  (fixture)

UAI = "0910001A"
PASSWORD = "Les jeux de cour sont arrivés !"


@pytest.fixture
def server(tmp_path, monkeypatch):
    import waitress

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")
    root = prepare_demo_ad(REPO, tmp_path / "ad")
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
    httpd = waitress.create_server(Portal(root, tmp_path / "instance", backup=False), host="127.0.0.1", port=0,
                                   threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}", root
    httpd.close()


def test_the_teacher_enters_the_proposed_purchase(server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    url, root = server
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.locator("[data-rk-page][data-rk-ready]").wait_for()

    page.get_by_role("link", name="Inventaire").click()
    page.locator('[data-rk-page="inventaire"][data-rk-ready]').wait_for()
    expect(page.get_by_role("heading", name="Achats à inscrire (1)")).to_be_visible()
    proposal = page.locator("[data-rk-proposition]")
    expect(proposal).to_contain_text("pièce D18 — Jeux Toulousains – Jeux de cour (inventaire) — 326,55\u00a0€")
    expect(page.get_by_label("Valeur en euros (achat 1)")).to_have_value("326,55")
    page.screenshot(path=str(tmp_path / "inventaire-propose.png"), full_page=True)
    page.get_by_label("Désignation du bien (achat 1)").fill("Jeux de cour : ballons, cerceaux, cordes")
    page.get_by_label("Lieu (achat 1)").fill("Préau")
    page.get_by_label("Valeur en euros (achat 1)").fill("trois cents")
    page.get_by_role("button", name="Inscrire au cahier (achat 1)").click()
    value = page.get_by_label("Valeur en euros (achat 1)")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(proposal.locator('[data-rk-error="valeur"]')).to_contain_text("« trois cents » n'est pas un montant")
    value.fill("326,55")
    page.get_by_role("button", name="Inscrire au cahier (achat 1)").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Inventaire : bien n° 1")
    expect(page.get_by_role("heading", name="Achats à inscrire (0)")).to_be_visible()
    row = page.locator('[data-rk-bien="1"]')
    expect(row).to_contain_text("Jeux de cour : ballons, cerceaux, cordes")
    expect(row).to_contain_text("pièce D18 (2025-2026)")
    expect(page.locator("[data-rk-valeur-inventaire]")).to_have_text("326,55\u00a0€")
    page.screenshot(path=str(tmp_path / "inventaire.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le cahier d'inventaire (PDF)").click()
    pdf = download.value.path().read_bytes()
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "Cahier d'inventaire 2025-2026" in text and "Biens durables de la coopérative au 15/06/2026" in text
    assert "1 13/03/2026 Jeux de cour : ballons, cerceaux, cordes Préau pièce D18 (606) 326,55 €" in text
    assert "Biens présents au 15/06/2026 : 1 326,55 €" in text
    assert "inscrits au cahier d'inventaire 326,55 €" in text

    # The État des actions sorts by a click on a column's title.
    page.get_by_role("link", name="État des actions").click()
    page.locator('[data-rk-page="actions"][data-rk-ready]').wait_for()
    projects = page.locator("[data-rk-projet]")
    expect(projects.first).to_have_attribute("data-rk-projet", "kermesse")
    page.get_by_role("button", name="Résultat").click()
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Résultat")
    expect(projects.first).to_have_attribute("data-rk-projet", "sortie-musee")  # the one in deficit
    page.get_by_role("button", name="Résultat").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Résultat")
    expect(projects.last).to_have_attribute("data-rk-projet", "sortie-musee")
    page.screenshot(path=str(tmp_path / "etat-des-actions.png"), full_page=True)
