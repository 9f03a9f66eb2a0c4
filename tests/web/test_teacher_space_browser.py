"""The teacher's space walked in a real Chromium (issue 20): what a month of work still hit.

One portal for the module, on a fresh AD with two coops: the Jean Jaurès coop keeps its books
since the rentrée (two régies, a cheque received and not deposited, its cash counted today),
the Tilleuls coop starts its books in the middle of the year. Each test opens its own browser
context; screenshots (1 280 and 390 px) go to the test's folder.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from beancount import loader

from retkoop_tools.chart import load_chart
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.source import load_source
from retkoop_tools.fr import fmt_eur, fmt_number
from retkoop_tools.ledger.exercice import TODAY_ENV, Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.actions import Upload
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.operations import Form
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.tresorier.test_actions import png

from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (skip rule shared with the other browser tests)

OWN, NEW = "0910001A", "0910002B"
PASSWORD = "Une phrase de passe assez longue !"
TODAY = datetime.date(2026, 3, 16)
OPENING = """2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR
"""
PAGES = ("TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse", "FinExercice", "Adhesion")


def books_of(root: Path, uai: str) -> Books:
    entries, errors, _ = loader.load_file(str(root / "ledgers" / uai / "coop.beancount"))
    assert not errors, [e.message for e in errors]
    return Books(entries, load_chart(root), root / "ledgers" / uai, TODAY)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import waitress

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TODAY_ENV, TODAY.isoformat())
        base = tmp_path_factory.mktemp("espace")
        root = base / "ad"
        admin, teacher = Author("Compta AD", "compta@ad91.fr"), Author("Mme Martin", OWN)
        init_ad_repo(root, "91", "OCCE de l'Essonne", admin)
        store = Store(root)
        create_coop(root, OWN, "École élémentaire Jean Jaurès", "Évry", Exercice(2025))
        store.commit_new_coop(OWN, admin, "Nouvelle coopérative")
        create_coop(root, NEW, "École des Tilleuls", "Évry", Exercice(2025))
        store.commit_new_coop(NEW, admin, "Nouvelle coopérative")
        store.insert_entries(OWN, OPENING, admin, "Reprise des soldes", Exercice(2025))

        def save(upload: Upload | None = None, **fields) -> None:
            result = actions.save_operation(store, OWN, books_of(root, OWN), Form(**fields), teacher, upload)
            assert result.ok, result.errors

        save(type="regie-versement", date="02/03/2026", piece="D01", regie="nouvelle", enseignant="Mme Durand",
             mode="CHQ", cheque="4130001", montant="100")
        save(type="regie-versement", date="03/03/2026", piece="D02", regie="nouvelle", enseignant="M. Petit",
             mode="CHQ", cheque="4130002", montant="40")
        save(type="regie-justification", date="05/03/2026", piece="D03", regie="Actif:54-Regies:Durand",
             libelle="Peinture", montant="30", comptes=["6068"], montants=[""])
        save(type="recette", date="06/03/2026", piece="R01", libelle="Sortie au musée", tiers="Famille Roy",
             mode="CHQ", cheque="7788001", montant="25", comptes=["706"], montants=[""])
        save(Upload("ticket.png", png()), type="depense", date="09/03/2026", piece="D04", libelle="Albums",
             tiers="Librairie", mode="CB", montant="12,90", comptes=["6181"], montants=[""])
        counted = actions.record_cash_count(store, OWN, books_of(root, OWN), date_text="16/03/2026",
                                            counts={"b50": "1"}, author=teacher)
        assert counted.ok, counted.errors
        accounts = Accounts(base / "instance" / "comptes.sqlite")
        accounts.add(OWN, "mandataire", name="Mme Martin", password=PASSWORD)
        accounts.add(NEW, "mandataire", name="M. Garnier", password=PASSWORD)
        portal = Portal(root, base / "instance", backup=False)
        httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=httpd.run, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.effective_port}", root, portal
        httpd.close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def new_page(chromium, width: int = 1280):
    context = chromium.new_context(viewport={"width": width, "height": 900 if width > 400 else 844}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def login(page, base: str, uai: str = OWN) -> None:
    page.get_by_label("Identifiant").fill(uai)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def logged_in(chromium, base: str, uai: str = OWN, width: int = 1280):
    page = new_page(chromium, width)
    page.goto(base + "/connexion")
    login(page, base, uai)
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    return page


def page_url(page, name: str, **params: str) -> str:
    base = page.url.split("/extension/")[0]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}/extension/{name}/" + (f"?{query}" if query else "")


def open_page(page, name: str, **params: str) -> None:
    page.goto(page_url(page, name, **params))
    page.wait_for_selector("[data-rk-page][data-rk-ready]")


def test_a_bookmarked_page_goes_through_the_login_and_every_page_has_the_bar(site, chromium, tmp_path):
    base, root, portal = site
    slug = portal.pool.slug(OWN)
    page = new_page(chromium)
    # A bookmark of the Cahier, opened without a session: the login, then the Cahier itself.
    page.goto(f"{base}/coop/{OWN}/{slug}/extension/Cahier/?exercice=2025-2026")
    assert "/connexion?suite=" in page.url
    assert "Session expirée" not in page.content() and '{"error"' not in page.content()
    login(page, base)
    page.wait_for_selector("[data-rk-page=cahier][data-rk-ready]")
    assert page.url.endswith("/extension/Cahier/?exercice=2025-2026")
    for name in PAGES:
        open_page(page, name)
        bar = page.get_by_role("navigation", name="Votre session")
        assert bar.get_attribute("id") == "retkoop-barre", name
        assert bar.get_by_role("button", name="Se déconnecter").is_visible(), name
        assert bar.get_by_role("link", name="Accueil").is_visible(), name
    page.screenshot(path=str(tmp_path / "adhesion-barre.png"))
    # The session ends (the 2-hour expiry): the next page opened is the login again, not JSON.
    page.context.clear_cookies()
    page.goto(page_url(page, "Pointage"))
    assert "/connexion?suite=" in page.url and page.get_by_label("Identifiant").is_visible()
    login(page, base)
    page.wait_for_selector("[data-rk-page=pointage][data-rk-ready]")


def test_the_cahier_on_screen_and_printed(site, chromium, tmp_path):
    base, root, _portal = site
    page = logged_in(chromium, base)
    open_page(page, "Cahier")
    page.screenshot(path=str(tmp_path / "cahier-1280.png"))
    table = page.locator("[data-rk-cahier]")
    # The received cheque shows its amount before its remise, in its own column.
    row = page.locator("tr[data-rk-ligne-cahier]", has_text="Famille Roy")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    column = headers.index("Chèques reçus (+) / remis (−)")
    assert row.locator("td").nth(column).inner_text().strip() == "25,00"
    # No text runs over the next column: a long libellé wraps inside its cell.
    spill = table.evaluate("""t => [...t.querySelectorAll('tbody td')]
        .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.trim()).slice(0, 3)""")
    assert spill == []
    # Its scroll box is in the window: both scrollbars in view once it is, and the headers stay.
    box = page.locator(".rk-cahier")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # wider than the window: it scrolls
    box.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('.rk-cahier').scrollIntoView({block: 'start'})")
    rect = box.evaluate("el => el.getBoundingClientRect().toJSON()")
    assert rect["bottom"] <= page.viewport_size["height"] + 1 and rect["right"] <= page.viewport_size["width"]
    head = table.locator("thead th").first
    top_before = head.evaluate("el => el.getBoundingClientRect().top")
    box.evaluate("el => { el.scrollTop = el.scrollHeight; el.scrollLeft = el.scrollWidth; }")
    assert head.evaluate("el => el.getBoundingClientRect().top") == pytest.approx(top_before, abs=1)
    assert table.locator("thead th").last.is_visible()
    page.screenshot(path=str(tmp_path / "cahier-defile-1280.png"))

    # Printed (its button calls window.print): landscape, every column, no flash, no navigation.
    page.evaluate("""() => { const f = document.querySelector('[data-rk-flash]');
                              f.textContent = 'Enregistré : Suppression D09'; f.className = 'rk-message rk-succes'; }""")
    pdf = tmp_path / "cahier.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    reader = pypdf.PdfReader(str(pdf))
    first = reader.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for header in headers[:-1]:  # every column but « Actions »
        assert all(word in text for word in header.split() if word.isalpha()), header
    bank = fmt_number(books_of(root, OWN).balance("Actif:512-Banque"))
    for cell in ("Solde Banque", "Solde caisse", "Justif.", "voir", bank):  # the right-hand columns
        assert cell in text, cell
    for absent in ("Enregistré", "Imprimer le cahier", "Se déconnecter", "Rechercher", "Actions", "Corriger"):
        assert absent not in text, absent
    if shutil.which("pdftoppm"):  # its first page as an image, for a person to look at
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "cahier-pdf")],
                       check=False)

    phone = logged_in(chromium, base, width=390)
    open_page(phone, "Cahier")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "cahier-390.png"))


def test_the_saisie_says_what_the_server_will_say(site, chromium, tmp_path):
    from playwright.sync_api import expect

    base, root, _portal = site
    page = logged_in(chromium, base)
    open_page(page, "Saisie")
    control = page.locator("[data-rk-controle]")
    page.select_option("#rk-type", "depense")
    page.fill("#rk-montant", "-5")
    page.select_option("#rk-compte-1", "6063")
    assert control.get_attribute("class") == "rk-ligne-rouge"
    assert control.inner_text() == "Le montant s'écrit sans signe moins : le type d'opération dit le sens."
    page.fill("#rk-montant", "0")
    assert control.inner_text() == "Le montant ne peut pas être nul."
    page.fill("#rk-montant", "12")
    assert control.get_attribute("class") == "rk-ligne-verte"
    page.select_option("#rk-compte-1", "")
    no_account = "Ventilez l'opération : choisissez au moins un compte de charges (6…)."
    assert (control.get_attribute("class"), control.inner_text()) == ("rk-ligne-rouge", no_account)
    page.fill("#rk-ventilation-1", "12")
    assert control.inner_text() == "Ligne 1 : choisissez un compte dans la liste."
    # The server refuses the same, on the same line; the error goes once the line is fixed.
    page.fill("#rk-libelle", "Peinture")
    page.select_option("#rk-mode", "CB")
    page.get_by_role("button", name="Enregistrer").click()
    error = page.locator("[data-rk-error=ventilation-1]")
    expect(error).to_have_text("Ligne 1 : choisissez un compte dans la liste.")
    page.select_option("#rk-compte-1", "6063")
    assert error.inner_text() == "" and page.locator("#rk-compte-1").get_attribute("aria-invalid") is None
    page.fill("#rk-ventilation-1", "")
    page.fill("#rk-montant", "")

    # Régie restitution: the amount follows the teacher chosen, until one is typed.
    page.select_option("#rk-type", "regie-restitution")
    page.fill("#rk-date", "16/03/2026")
    page.select_option("#rk-regie", "Actif:54-Regies:Petit")
    assert page.input_value("#rk-montant") == "40,00"
    page.select_option("#rk-regie", "Actif:54-Regies:Durand")
    assert page.input_value("#rk-montant") == "70,00"
    page.fill("#rk-montant", "20")
    page.select_option("#rk-regie", "Actif:54-Regies:Petit")
    assert page.input_value("#rk-montant") == "20"
    page.fill("#rk-montant", "")
    page.select_option("#rk-regie", "Actif:54-Regies:Durand")
    assert page.input_value("#rk-montant") == "70,00"
    page.screenshot(path=str(tmp_path / "restitution-1280.png"))
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("[data-rk-flash].rk-succes")
    assert "70,00" in page.locator("[data-rk-flash]").inner_text()
    assert books_of(root, OWN).balance("Actif:54-Regies:Durand") == 0


def test_on_a_phone_a_general_refusal_is_brought_into_view(site, chromium, tmp_path):
    base, root, _portal = site
    phone = logged_in(chromium, base, width=390)
    open_page(phone, "Saisie")
    phone.select_option("#rk-type", "recette")
    phone.fill("#rk-libelle", "Participation")
    phone.select_option("#rk-mode", "ESP")
    phone.fill("#rk-montant", "5")
    phone.select_option("#rk-compte-1", "7562")
    phone.locator("[data-rk-page] button[type=submit]").scroll_into_view_if_needed()
    phone.context.clear_cookies()  # the session ended meanwhile: the portal refuses the whole form
    phone.locator("[data-rk-page] button[type=submit]").click()
    general = phone.locator("[data-rk-error=general]")
    general.wait_for()
    assert "Votre session a expiré : rien n'a été enregistré." in general.inner_text()
    assert phone.evaluate("() => document.activeElement?.dataset.rkError") == "general"
    box = general.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 844
    phone.screenshot(path=str(tmp_path / "refus-390.png"))


def test_the_cash_count_and_the_cash_operations_of_its_day(site, chromium, tmp_path):
    from playwright.sync_api import expect

    base, root, _portal = site
    page = logged_in(chromium, base)
    open_page(page, "ArreteDeCaisse")
    # Counted today already: no date proposed, and nothing red before anything is counted.
    assert page.input_value("#rk-c-date") == ""
    assert "La caisse a déjà été comptée aujourd'hui (16/03/2026)" in page.inner_text("[data-rk-page]")
    assert page.locator("[data-rk-verdict]").inner_text() == ""
    page.fill("#rk-c-date", "16/03/2026")
    page.locator("#rk-c-date").dispatch_event("change")
    page.wait_for_selector("[data-rk-deja]:has-text('déjà été comptée le 16/03/2026')")
    page.fill("#rk-c-b50", "1")
    expect(page.locator("[data-rk-deja]")).to_contain_text("déjà été comptée le 16/03/2026")
    assert page.locator("[data-rk-verdict]").inner_text() == ""  # never « Bravo » for a day already counted
    assert page.locator("[data-rk-enregistrer-caisse]").is_disabled()
    page.screenshot(path=str(tmp_path / "caisse-deja-1280.png"))
    # A cash operation of that day, recorded after the count: accepted (it comes after it).
    open_page(page, "Saisie")
    page.select_option("#rk-type", "recette")
    page.fill("#rk-date", "16/03/2026")
    page.fill("#rk-libelle", "Participation à la sortie")
    page.select_option("#rk-mode", "ESP")
    page.fill("#rk-montant", "8,40")
    page.select_option("#rk-compte-1", "7562")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("[data-rk-flash].rk-succes")
    check = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", OWN, "--repo", str(root)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # Dated before the count: refused on its date, saying why.
    page.select_option("#rk-type", "recette")
    page.fill("#rk-date", "13/03/2026")
    page.fill("#rk-libelle", "Participation oubliée")
    page.select_option("#rk-mode", "ESP")
    page.fill("#rk-montant", "3")
    page.select_option("#rk-compte-1", "7562")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("[data-rk-error=date]")).to_contain_text(
        "La caisse a été comptée le 16/03/2026, après le 13/03/2026")


def test_the_dashboard_balance_is_the_crfs(site, chromium):
    base, root, _portal = site
    page = logged_in(chromium, base)
    crf = compute_crf(load_source(root, OWN), Exercice(2025), TODAY)
    line = page.locator("[data-rk-statut='Bilan équilibré']")
    assert line.get_attribute("class") == "rk-ok"
    text = line.inner_text()
    assert (f"trésorerie {fmt_eur(crf.total_actif)} = report à nouveau {fmt_eur(crf.report_a_nouveau)} + "
            f"résultat de l'exercice {fmt_eur(crf.resultat)}") in text
    assert crf.report_a_nouveau == 1050 and "fonds associatifs" not in text


def test_a_coop_created_mid_year_its_opening_balances_and_a_cash_gap(site, chromium, tmp_path):
    from playwright.sync_api import expect

    base, root, _portal = site
    page = logged_in(chromium, base, NEW)
    section = page.locator("[data-rk-soldes-depart]")
    assert section.is_visible()
    page.screenshot(path=str(tmp_path / "soldes-depart-1280.png"))
    page.fill("#rk-d-date", "02/01/2026")
    page.get_by_label("Solde banque ce jour-là (€)").fill("812,40")
    page.get_by_label("Argent dans la caisse ce jour-là (€)").fill("-35")
    page.get_by_role("button", name="Enregistrer les soldes de départ").click()
    caisse = page.get_by_label("Argent dans la caisse ce jour-là (€)")
    field_error = page.locator('[data-rk-error="Actif:530-Caisse"]')
    expect(field_error).to_have_text("Le montant s'écrit sans signe moins : le type d'opération dit le sens.")
    caisse.fill("35")
    assert field_error.inner_text() == ""  # gone as soon as the field changes
    page.get_by_role("button", name="Enregistrer les soldes de départ").click()
    page.wait_for_selector("[data-rk-flash].rk-succes")
    assert page.locator("[data-rk-soldes-depart]").count() == 0  # given once
    assert page.locator("[data-rk-solde='Banque'] strong").inner_text() == "812,40\u00a0€"
    new_books = books_of(root, NEW)
    assert (new_books.balance("Actif:512-Banque"), new_books.balance("Actif:530-Caisse")) == (
        Decimal("812.40"), Decimal("35.00"))

    # Its first cash count: 30 € for 35 € in the books. Red, then recorded with its écart.
    open_page(page, "ArreteDeCaisse")
    assert page.input_value("#rk-c-date") == "16/03/2026"
    assert page.locator("[data-rk-verdict]").inner_text() == ""  # nothing typed: no red écart
    page.fill("#rk-c-date", "16/13/2026")
    page.fill("#rk-c-b20", "1")
    page.get_by_role("button", name="Enregistrer l'arrêté de caisse").click()
    error = page.locator("[data-rk-error=date]")
    expect(error).to_have_text("Le 16/13/2026 n'existe pas dans le calendrier : vérifiez le jour et le mois.")
    page.fill("#rk-c-date", "16/03/2026")
    assert error.inner_text() == ""  # the old error leaves with the fix
    page.locator("#rk-c-date").dispatch_event("change")
    page.fill("#rk-c-b10", "1")
    verdict = page.locator("[data-rk-verdict]")
    # The books' balance on the date typed comes from the server (the date's change): waited for.
    expect(verdict).to_have_text(re.compile("^Écart de -5,00\u00a0€"))
    with_gap = page.locator("[data-rk-avec-ecart]")
    assert with_gap.is_visible() and "-5,00" in with_gap.inner_text()
    page.screenshot(path=str(tmp_path / "caisse-ecart-1280.png"))
    page.get_by_role("button", name="Enregistrer l'arrêté de caisse").click()  # without the écart: refused
    expect(page.locator("[data-rk-error=ecart]")).to_contain_text("Écart de -5,00\u00a0€ : 30,00\u00a0€ comptés")
    with_gap.click()
    page.wait_for_selector("[data-rk-flash].rk-succes")
    assert "écart de caisse -5,00\u00a0€ enregistré en 671 Charges exceptionnelles" in page.locator(
        "[data-rk-flash]").inner_text()
    check = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", NEW, "--repo", str(root)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    open_page(page, "Cahier")
    row = page.locator("tr[data-rk-ligne-cahier]", has_text="Écart de caisse")
    assert "5,00" in row.inner_text() and "manque" not in row.inner_text()
    phone = logged_in(chromium, base, NEW, width=390)
    open_page(phone, "ArreteDeCaisse")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "caisse-390.png"))


def test_fava_add_entry_refused_cleanly_and_no_server_path_shown(site, chromium, tmp_path):
    base, root, portal = site
    page = logged_in(chromium, base)
    coop = f"{base}/coop/{OWN}/{portal.pool.slug(OWN)}"
    server_path = str(Path(root).resolve())
    page.goto(f"{coop}/journal/")
    page.wait_for_selector("text=Sortie au musée")
    page.keyboard.press("n")
    form = page.locator("form:has(button:has-text('Sauvegarder'))")
    form.get_by_placeholder("Bénéficiaire", exact=True).wait_for()
    form.locator("input[type=date]").fill("2026-03-10")
    form.get_by_placeholder("Bénéficiaire", exact=True).fill("Librairie")
    form.get_by_placeholder("Description", exact=True).fill("Albums sans pièce")
    form.get_by_placeholder("Compte", exact=True).nth(0).fill("Charges:6181-Livres-abonnements")
    form.get_by_placeholder("Montant", exact=True).nth(0).fill("42.50 EUR")
    form.get_by_placeholder("Compte", exact=True).nth(1).fill("Actif:512-Banque")
    with page.expect_response(lambda r: r.url.endswith("/api/add_entries")) as answer:
        form.get_by_role("button", name="Sauvegarder").click()
    message = answer.value.json()["error"]
    assert message.startswith("Modification refusée : ") and "Pièce manquante" in message
    assert ".beancount" not in message and server_path not in message
    notice = page.get_by_text("Modification refusée : ").first
    notice.wait_for()  # shown as it is: no « Saving failed: HTTP 400 - » before it
    assert "HTTP" not in notice.inner_text() and page.get_by_text("Saving failed").count() == 0
    # Nothing changed on disk, and Fava's own check says so: no false « file changed ».
    changed = page.evaluate(f"async () => (await (await fetch('{coop}/api/changed')).json()).data")
    assert changed is False
    assert page.get_by_text("Changement de fichier détecté").count() == 0
    page.screenshot(path=str(tmp_path / "fava-refus-1280.png"))

    # The entry detail, the documents, the import page: file names without the server's path.
    page.goto(f"{coop}/journal/")
    page.locator("li.transaction a[href^='#context-']").first.click()
    page.wait_for_selector("text=Lieu")
    assert re.search(r"Lieu ?: ?\d{4}-\d{4}\.beancount:\d+", page.inner_text("body"))
    # A statement dropped on Fava's import page: said in French, without where the server keeps it.
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Libellé;Montant\n10/03/2026;FRAIS;-3,50\n", encoding="latin-1")
    page.goto(f"{coop}/import/")
    page.locator("input[type=file]").first.set_input_files(str(statement))
    page.get_by_role("button", name="Téléverser").click()
    page.get_by_text("Relevé déposé : il est prêt à être importé.").wait_for()
    assert page.get_by_text("Uploaded").count() == 0 and server_path not in page.inner_text("body")
    for path in ("journal/", "documents/", "import/", "errors/", "editor/"):
        page.goto(f"{coop}/{path}")
        page.wait_for_load_state("networkidle")
        assert server_path not in page.content(), path
    page.goto(f"{coop}/documents/")
    page.wait_for_selector("text=D04.png")
    # The documents still open from those names, and the editor still loads its file.
    link = page.url.split("/documents/")[0] + "/document/?filename=documents/Charges/6181-Livres-abonnements/2026-03-09.D04.png"
    assert page.request.get(link).body() == png()
    page.goto(f"{coop}/editor/")
    page.wait_for_function("() => document.querySelector('.cm-content')?.textContent.includes('option \"title\"')")
