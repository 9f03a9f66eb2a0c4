"""The year end in a real browser: the teacher closes 2025-2026 with the button, names the
vérificateurs, hands the CRF in, declares the new year's adhésion with a live total."""

from __future__ import annotations

import io
import subprocess
import threading

import pypdf
import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import REPO
from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (same skip rule)
from .test_treasurer_month import browser  # noqa: F401  (fixture)

UAI = "0910002B"
PASSWORD = "La rentrée est passée, on clôture"


@pytest.fixture
def server(tmp_path, monkeypatch):
    import waitress

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-20")
    root = prepare_demo_ad(REPO, tmp_path / "ad")
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Nguyen", password=PASSWORD)
    httpd = waitress.create_server(Portal(root, tmp_path / "instance", backup=False), host="127.0.0.1", port=0,
                                   threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}", root
    httpd.close()


def test_closing_quitus_submission_and_adhesion(server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    url, root = server
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.locator("[data-rk-page][data-rk-ready]").wait_for()

    page.get_by_role("link", name="Fin d'exercice").click()
    page.locator('[data-rk-page="fin"][data-rk-ready]').wait_for()
    expect(page.get_by_role("heading", name="Fin d'exercice 2025-2026")).to_be_visible()
    expect(page.locator(".rk-statuts .rk-ko")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "fin.png"), full_page=True)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.get_by_role("button", name="Clôturer l'exercice 2025-2026").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Exercice 2025-2026 clôturé", timeout=60_000)  # a closing loads and commits: slow on a busy machine
    assert dialogs and "ne pourront plus être modifiées" in dialogs[0]

    # The submission waits for the vérificateurs.
    expect(page.get_by_role("button", name="Remettre le CRF à l'AD")).to_be_disabled()
    page.get_by_label("Nom du vérificateur 1").fill("M. Durand")
    page.get_by_label("Qualité du vérificateur 1").select_option("Parent d'élève")
    page.get_by_label("Nom du vérificateur 2").fill("Mme Leroy")
    page.get_by_label("Date de la vérification (jj/mm/aaaa)").fill("18/09/2026")
    page.get_by_role("button", name="Enregistrer les vérificateurs").click()
    expect(page.get_by_label("Qualité du vérificateur 2").locator("xpath=following-sibling::span")).to_contain_text(
        "Choisissez sa qualité")
    page.get_by_label("Qualité du vérificateur 2").select_option("Enseignant")
    page.get_by_role("button", name="Enregistrer les vérificateurs").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Vérificateurs aux comptes 2025-2026")
    page.get_by_role("button", name="Remettre le CRF à l'AD").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("CRF 2025-2026 remis à l'AD")
    expect(page.locator("[data-rk-statut-crf]")).to_have_text("Remis à l'AD")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le CRF (PDF)").click()
    pdf = download.value.path().read_bytes()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "exercice clôturé" in text and "M. Durand" in text

    # The new year's adhésion, last year's classes are not there: two classes typed.
    page.get_by_role("link", name="Adhésion").click()
    page.locator('[data-rk-page="adhesion"][data-rk-ready]').wait_for()
    expect(page.get_by_role("heading", name="Adhésion 2026-2027")).to_be_visible()
    page.get_by_label("Niveau de la classe 1").select_option("PS")
    page.get_by_label("Élèves de la classe 1").fill("25")
    page.get_by_label("Adultes de la classe 1").fill("2")
    page.get_by_label("Niveau de la classe 2").select_option("MS")
    page.get_by_label("Élèves de la classe 2").fill("27")
    page.get_by_label("Adultes de la classe 2").fill("2")
    # 52 × 2,30 + 4 × 8,20 + 56 × 0,26 = 119,60 + 32,80 + 14,56
    expect(page.locator("[data-rk-total-adhesion]")).to_have_text("56 membres : 166,96\u00a0€")
    page.get_by_label("Mandataire qui s'engage").fill("Mme Nguyen")
    page.get_by_role("button", name="Déclarer l'adhésion").click()
    expect(page.locator('[data-rk-error="engagement"]')).to_contain_text("Cochez l'engagement")
    page.get_by_label("Je m'engage", exact=False).check()
    page.get_by_role("button", name="Déclarer l'adhésion").click()
    expect(page.locator("[data-rk-flash]")).to_contain_text("Adhésion 2026-2027 déclarée")
    expect(page.locator("[data-rk-total-declare]")).to_have_text("166,96\u00a0€")

    log = subprocess.run(["git", "-C", str(root), "log", "-5", "--format=%an|%s"], capture_output=True,
                         text=True).stdout.splitlines()
    assert log[:4] == ["Mme Nguyen|Adhésion 2026-2027 déclarée (52 élèves, 4 adultes)",
                       "Mme Nguyen|CRF 2025-2026 remis à l'AD",
                       "Mme Nguyen|Vérificateurs aux comptes 2025-2026",
                       "Mme Nguyen|Clôture de l'exercice 2025-2026"]
