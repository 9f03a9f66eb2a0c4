"""A coop with a bank account and a CCP (512 and 514) in a real browser: the teacher picks the
CCP in the Saisie, sees it in the CCP's column of the Cahier, moves money from one account to
the other, and ticks the CCP's statement in the Pointage — at desktop and at phone width."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest

from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (skip rule shared with the other browser tests)

UAI = "0920002B"
PASSWORD = "Deux comptes, une seule coopérative"
BANQUE, CCP = "Actif:512-Banque", "Actif:514-CCP"
TODAY = datetime.date(2026, 11, 30)
OPENING = f"""2026-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  {BANQUE}                 800.00 EUR
  {CCP}                    500.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1350.00 EUR
"""


@pytest.fixture
def server(tmp_path, monkeypatch):
    import waitress

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", TODAY.isoformat())
    root = tmp_path / "ad"
    admin = Author("Compta AD", "compta@ad92.fr")
    init_ad_repo(root, "92", "OCCE des Hauts-de-Seine", admin)
    store = Store(root)
    create_coop(root, UAI, "École des Deux Rives", "Sceaux", Exercice(2026), banques="512 514")
    store.commit_new_coop(UAI, admin, "Nouvelle coopérative")
    store.insert_entries(UAI, OPENING, admin, "Reprise des soldes", Exercice(2026))
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="M. Rivière", password=PASSWORD)
    portal = Portal(root, tmp_path / "instance", backup=False)
    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}", root
    httpd.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def test_the_teacher_chooses_the_ccp_and_sees_it_on_the_ccp(server, browser, tmp_path):
    from playwright.sync_api import expect

    url, root = server
    shots = tmp_path / "captures"
    shots.mkdir()
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/coop/{UAI}/")
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")

    def go(link: str, name: str) -> None:
        page.get_by_role("link", name=link, exact=True).first.click()
        page.wait_for_selector(f"[data-rk-page={name}][data-rk-ready]")

    def saved(text: str) -> None:
        expect(page.locator("[data-rk-flash]")).to_contain_text(text)
        expect(page.locator("[data-rk-flash]")).to_have_class("rk-message rk-succes")
        page.wait_for_selector("[data-rk-page][data-rk-ready]")

    # 1. An expense paid from the CCP: the account is chosen in the form.
    go("Saisie", "saisie")
    bank = page.get_by_role("combobox", name="Compte bancaire", exact=True)
    expect(bank).to_be_visible()
    assert bank.locator("option").all_inner_texts() == ["Banque – compte courant", "Chèques postaux"]
    assert bank.input_value() == BANQUE  # the coop's first account by default
    expect(page.locator("label[for=rk-banque]")).to_have_text("Compte bancaire", use_inner_text=True)
    page.select_option("#rk-type", "depense")
    page.fill("#rk-date", "10/11/2026")
    page.fill("#rk-libelle", "Timbres pour la correspondance")
    page.fill("#rk-tiers", "La Poste")
    page.select_option("#rk-mode", "CB")
    bank.select_option(CCP)
    page.fill("#rk-montant", "12,40")
    page.select_option("#rk-compte-1", "626")
    page.screenshot(path=str(shots / "saisie-ccp.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer").click()
    saved("D01")

    # 2. A transfer from the CCP to the bank account: the form asks for the account credited.
    page.select_option("#rk-type", "virement")
    expect(page.locator("#rk-vers")).to_be_hidden()  # cash deposit by default: one bank account
    page.select_option("#rk-sens", "banque-banque")
    expect(page.get_by_role("combobox", name="Du compte bancaire (débité)")).to_be_visible()
    expect(page.locator("label[for=rk-banque]")).to_have_text("Du compte bancaire (débité)", use_inner_text=True)  # as shown
    page.select_option("#rk-sens", "caisse-banque")
    expect(page.locator("label[for=rk-banque]")).to_have_text("Compte bancaire", use_inner_text=True)
    expect(page.locator("#rk-vers")).to_be_hidden()
    page.select_option("#rk-sens", "banque-banque")
    expect(page.locator("label[for=rk-banque]")).to_have_text("Du compte bancaire (débité)", use_inner_text=True)
    expect(page.get_by_role("combobox", name="Vers le compte bancaire (crédité)")).to_be_visible()
    page.get_by_role("combobox", name="Du compte bancaire (débité)").select_option(CCP)
    assert page.input_value("#rk-vers") == BANQUE  # switched to the other account
    page.fill("#rk-date", "20/11/2026")
    page.fill("#rk-montant", "100")
    page.screenshot(path=str(shots / "saisie-virement.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer").click()
    saved("D02")

    # 3. The Cahier: one column group per account, the expense and the transfer where they belong.
    go("Cahier", "cahier")
    heads = page.locator("thead th[data-rk-banque]").all_inner_texts()
    assert heads == ["Banque entrée", "Chèques postaux entrée"]
    expense = page.locator("tr[data-rk-ligne-cahier]", has_text="Timbres pour la correspondance")
    assert expense.locator(f"td[data-rk-sortie='{CCP}']").inner_text().strip() == "12,40"
    assert expense.locator(f"td[data-rk-sortie='{BANQUE}']").inner_text().strip() == ""
    assert expense.locator(f"td[data-rk-solde='{CCP}']").inner_text().strip() == "487,60"
    transfer = page.locator("tr[data-rk-ligne-cahier]", has_text="Virement Chèques postaux → Banque")
    assert transfer.locator(f"td[data-rk-sortie='{CCP}']").inner_text().strip() == "100,00"
    assert transfer.locator(f"td[data-rk-entree='{BANQUE}']").inner_text().strip() == "100,00"
    assert transfer.locator(f"td[data-rk-solde='{BANQUE}']").inner_text().strip() == "900,00"
    page.screenshot(path=str(shots / "cahier.png"), full_page=True)

    # 4. The Pointage of the CCP: its operations only, ticked to a zero gap.
    go("Pointage", "pointage")
    nav = page.get_by_role("navigation", name="Compte bancaire pointé")
    expect(nav.locator("[aria-current=page]")).to_have_text("Banque – compte courant")
    assert page.locator("tr[data-rk-a-pointer]", has_text="Timbres").count() == 0
    nav.get_by_role("link", name="Chèques postaux").click()
    page.wait_for_selector("[data-rk-page=pointage][data-rk-ready]")
    expect(nav.locator("[aria-current=page]")).to_have_text("Chèques postaux")
    rows = page.locator("tr[data-rk-a-pointer]")
    assert rows.count() == 3  # the CCP's opening, the stamps, the transfer out
    for row in rows.all():
        row.locator("input").check()
    page.fill("#rk-r-date", "30/11/2026")
    page.fill("#rk-r-solde", "387,60")  # 500 − 12,40 − 100
    expect(page.locator("[data-rk-ecart-pointage]")).to_have_text("0,00\u00a0€")
    page.screenshot(path=str(shots / "pointage-ccp.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer le pointage").click()
    saved("Pointage du relevé du 30/11/2026")

    books = load_source(root, UAI, TODAY).books
    assert [(s.account, s.balance) for s in books.statements()] == [(CCP, Decimal("387.60"))]
    by_piece = {op.piece: op for op in books.operations if op.piece}
    assert by_piece["D01"].banks == {CCP: Decimal("-12.40")}
    assert by_piece["D01"].releve_on(CCP) == datetime.date(2026, 11, 30)
    assert by_piece["D02"].releve_on(CCP) == datetime.date(2026, 11, 30) and by_piece["D02"].releve_on(BANQUE) is None
    assert [op.piece for op in books.unticked(BANQUE)] == ["", "D02"]  # the opening's 512 part, the transfer in

    # 5. At phone width: the choice of account is on screen and usable, in the Saisie and the Pointage.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                storage_state=page.context.storage_state()).new_page()
    phone.set_default_timeout(15000)
    phone.goto(page.url.split("/extension/")[0] + "/extension/Saisie/?type=virement")
    phone.wait_for_selector("[data-rk-page=saisie][data-rk-ready]")
    phone.select_option("#rk-sens", "banque-banque")
    for selector in ("#rk-sens", "#rk-banque", "#rk-vers", "#rk-montant", "[data-rk-page] button[type=submit]"):
        box = phone.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
        assert box["height"] >= 24, selector  # big enough to tap
    phone.locator("#rk-banque").select_option(BANQUE)
    assert phone.input_value("#rk-vers") == CCP
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(shots / "saisie-390.png"), full_page=True)
    phone.goto(page.url.split("/extension/")[0] + "/extension/Pointage/")
    phone.wait_for_selector("[data-rk-page=pointage][data-rk-ready]")
    link = phone.get_by_role("navigation", name="Compte bancaire pointé").get_by_role("link", name="Chèques postaux")
    box = link.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 24
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(shots / "pointage-390.png"), full_page=True)
    link.click()
    phone.wait_for_selector("[data-rk-page=pointage][data-rk-ready]")
    expect(phone.get_by_text("Dernier relevé pointé : 30/11/2026, solde 387,60\u00a0€")).to_be_visible()
