"""A teacher's month of November in a real browser, through the treasurer's pages only.

Twelve operations of every kind (receipts in cash, by cheque and transfer, expenses by
cheque, card and direct debit, a deposit of cash, a remise de chèques, a régie handed out,
justified and closed), one receipt photographed, a ventilation error shown in red and then
fixed, a mistaken entry deleted from the cahier, another corrected, the bank statement ticked
to a zero gap, the cash counted to a "Bravo". Afterwards the books pass `retkoop check` and
the history holds one commit per action, each by the teacher.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.tresorier.test_actions import png

from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (skip rule shared with the other browser tests)

UAI = "0920001A"
PASSWORD = "Les feuilles tombent en novembre"
TEACHER = "Mme Lenoir"
OPENING = """2026-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR
"""


@pytest.fixture
def server(tmp_path, monkeypatch):
    import waitress

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-11-30")
    root = tmp_path / "ad"
    admin = Author("Compta AD", "compta@ad92.fr")
    init_ad_repo(root, "92", "OCCE des Hauts-de-Seine", admin)
    store = Store(root)
    create_coop(root, UAI, "École des Marronniers", "Sceaux", Exercice(2026))
    store.commit_new_coop(UAI, admin, "Nouvelle coopérative")
    store.insert_entries(UAI, OPENING, admin, "Reprise des soldes", Exercice(2026))
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name=TEACHER, password=PASSWORD)
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


def test_a_teachers_month(server, browser, tmp_path):
    from playwright.sync_api import expect

    url, root = server
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/coop/{UAI}/")
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    expect(page.locator("[data-rk-statut='Relevé bancaire pointé']")).to_have_class("rk-ko")

    def go(link: str, name: str) -> None:
        page.get_by_role("link", name=link, exact=True).first.click()
        page.wait_for_selector(f"[data-rk-page={name}][data-rk-ready]")

    def labelled_everywhere() -> None:
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('[data-rk-page] input, [data-rk-page] select')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)""")
        assert unlabelled == []

    def saved(piece_or_text: str) -> None:
        page.wait_for_timeout(50)
        shown = page.evaluate("() => [...document.querySelectorAll('[data-rk-error]')].map(e => e.textContent).filter(Boolean)")
        assert not shown, shown
        expect(page.locator("[data-rk-flash]")).to_contain_text(piece_or_text)
        expect(page.locator("[data-rk-flash]")).to_have_class("rk-message rk-succes")
        page.wait_for_selector("[data-rk-page][data-rk-ready]")

    def saisie(kind: str, date: str, **fields) -> None:
        page.select_option("#rk-type", kind)
        page.fill("#rk-date", date)
        for selector, value in fields.items():
            target = f"#rk-{selector}"
            if page.locator(target).evaluate("el => el.tagName") == "SELECT":
                page.select_option(target, value)
            else:
                page.fill(target, value)
        piece = page.input_value("#rk-piece")
        page.get_by_role("button", name="Enregistrer").click()
        saved(piece)

    go("Saisie", "saisie")
    labelled_everywhere()
    assert page.input_value("#rk-piece") == "D01"
    # 1. Cash from a family, typed with the keyboard only.
    page.focus("#rk-type")
    page.keyboard.press("Home")  # Recette
    page.fill("#rk-date", "02/11/2026")
    assert page.input_value("#rk-piece") == "R01"
    page.focus("#rk-libelle")
    page.keyboard.type("Participation à la sortie")
    page.keyboard.press("Tab")
    page.keyboard.type("Famille Roy")
    page.select_option("#rk-mode", "ESP")
    page.focus("#rk-montant")
    page.keyboard.type("30")
    page.select_option("#rk-compte-1", "7562")
    page.focus("#rk-montant")
    page.keyboard.press("Enter")
    saved("R01")
    # 2–3. Two cheques from families, to deposit later.
    saisie("recette", "03/11/2026", libelle="Sortie au musée", tiers="Famille Diallo", mode="CHQ", cheque="7788001",
           montant="25", **{"compte-1": "706"})
    saisie("recette", "04/11/2026", libelle="Sortie au musée", tiers="Famille Morel", mode="CHQ", montant="25",
           **{"compte-1": "706"})
    # 4. The remise de chèques: tick both cheques of the deposit slip.
    page.select_option("#rk-type", "remise")
    page.fill("#rk-date", "05/11/2026")
    page.get_by_label("Famille Diallo", exact=False).check()
    page.get_by_label("Famille Morel", exact=False).check()
    expect(page.locator("[data-rk-remise-total]")).to_have_text("50,00\u00a0€")
    page.get_by_role("button", name="Enregistrer").click()
    saved("R04")
    # 5. An expense by cheque split over two accounts: a ventilation error first, in red.
    page.select_option("#rk-type", "depense")
    page.fill("#rk-date", "06/11/2026")
    assert page.input_value("#rk-piece") == "D01"
    assert page.input_value("#rk-cheque") == ""  # no cheque issued yet: the teacher types the first one
    page.fill("#rk-libelle", "Livres et peinture pour le projet cirque")
    page.fill("#rk-tiers", "Librairie du Parc")
    page.select_option("#rk-mode", "CHQ")
    page.fill("#rk-cheque", "4130001")
    page.fill("#rk-montant", "80")
    page.select_option("#rk-compte-1", "6181")
    page.fill("#rk-ventilation-1", "60")
    page.get_by_role("button", name="Ajouter une ligne").click()
    page.select_option("#rk-compte-2", "6063")
    page.fill("#rk-ventilation-2", "10")
    control = page.locator("[data-rk-controle]")
    expect(control).to_have_class("rk-ligne-rouge")
    expect(control).to_contain_text("il manque 10,00\u00a0€")
    page.get_by_role("button", name="Enregistrer").click()  # the server refuses too, on the field
    expect(page.locator("[data-rk-error=ventilation]")).to_contain_text("il manque 10,00\u00a0€")
    page.fill("#rk-ventilation-2", "20")
    expect(control).to_have_class("rk-ligne-verte")
    page.fill("#rk-projet", "Projet cirque")
    photo = tmp_path / "ticket.png"
    photo.write_bytes(png())
    page.set_input_files("#rk-justificatif", str(photo))
    page.get_by_role("button", name="Enregistrer").click()
    saved("D01")
    assert page.input_value("#rk-cheque") == "4130002"  # the next cheque of the chequebook
    # 6. Museum tickets by card, typed twice by mistake (the second is deleted from the cahier).
    saisie("depense", "10/11/2026", libelle="Entrées au musée", tiers="Musée de Sceaux", mode="CB", montant="45",
           **{"compte-1": "6251"})
    saisie("depense", "10/11/2026", libelle="Entrées au musée", tiers="Musée de Sceaux", mode="CB", montant="45",
           **{"compte-1": "6251"})
    # 7. Cash deposited at the bank.
    saisie("virement", "12/11/2026", sens="caisse-banque", montant="40")
    # 8–10. A régie: handed to a new teacher by cheque, justified, the rest returned.
    page.select_option("#rk-type", "regie-versement")
    page.select_option("#rk-regie", "nouvelle")
    saisie("regie-versement", "16/11/2026", enseignant="M. Petit", mode="CHQ", montant="100")
    saisie("regie-justification", "20/11/2026", regie="Actif:54-Regies:Petit", libelle="Fournitures de la classe",
           tiers="M. Petit", montant="62,50", **{"compte-1": "6068"})
    page.select_option("#rk-type", "regie-restitution")
    page.select_option("#rk-regie", "Actif:54-Regies:Petit")
    page.fill("#rk-date", "21/11/2026")
    assert page.input_value("#rk-montant") == "37,50"  # what the régie still holds
    page.get_by_role("button", name="Enregistrer").click()
    saved("R06")
    # 11–12. Bank charges by direct debit; the town's subsidy by transfer.
    saisie("depense", "25/11/2026", libelle="Frais de tenue de compte", tiers="Banque", mode="PRLV", montant="3,50",
           **{"compte-1": "627"})
    saisie("recette", "26/11/2026", libelle="Subvention projet cirque", tiers="Mairie de Sceaux", mode="VIR",
           montant="200", **{"compte-1": "744"})

    # The cahier: the mistaken duplicate deleted, the subsidy corrected.
    go("Cahier", "cahier")
    labelled_everywhere()
    page.get_by_label("Rechercher (libellé, pièce, tiers, chèque)").fill("petit")
    expect(page.locator("[data-rk-compte]")).to_contain_text("3 opération(s) affichée(s)")
    page.get_by_label("Rechercher (libellé, pièce, tiers, chèque)").fill("")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Supprimer la pièce D03").click()
    saved("Suppression D03")
    page.get_by_role("link", name="Corriger la pièce R07").click()
    page.wait_for_selector("[data-rk-page=saisie][data-rk-ready]")
    assert page.input_value("#rk-montant") == "200,00"
    page.fill("#rk-montant", "250")
    page.fill("#rk-ventilation-1", "250")
    page.get_by_role("button", name="Enregistrer la correction").click()
    saved("Correction R07")

    # The statement of 30/11: everything but the régie's cheque, not debited yet.
    go("Pointage", "pointage")
    labelled_everywhere()
    page.fill("#rk-r-date", "30/11/2026")
    page.fill("#rk-r-solde", "1 211,50")
    page.locator("tr[data-rk-a-pointer]", has_text="Reprise des soldes").locator("input").check()
    for piece in ("R04", "D01", "D02", "R05", "D06", "R07"):
        page.get_by_label(re.compile(rf"^Pointer {piece} du ")).check()
    expect(page.locator("[data-rk-ecart-pointage]")).to_have_text("0,00\u00a0€")
    expect(page.locator("[data-rk-reste=sorties]")).to_contain_text("chèque n° 4130002")
    page.get_by_role("button", name="Enregistrer le pointage").click()
    saved("Pointage du relevé du 30/11/2026")

    # The cash count: 50 + 30 − 40 + 37,50 = 77,50 €.
    go("Arrêté de caisse", "caisse")
    labelled_everywhere()
    page.fill("#rk-c-date", "30/11/2026")
    for key, count in (("b50", "1"), ("b20", "1"), ("b5", "1"), ("p2", "1")):
        page.fill(f"#rk-c-{key}", count)
    expect(page.locator("[data-rk-verdict]")).to_contain_text("Écart de -0,50")
    page.fill("#rk-c-c50", "1")
    expect(page.locator("[data-rk-verdict]")).to_have_text("Bravo ! La caisse est juste.")
    page.get_by_role("button", name="Enregistrer l'arrêté de caisse").click()
    saved("Arrêté de caisse du 30/11/2026")

    go("Tableau de bord", "tableau")
    for title in ("Relevé bancaire pointé", "Caisse comptée", "Régies d'avance", "Bilan équilibré"):
        expect(page.locator(f"[data-rk-statut=\"{title}\"]")).to_have_class("rk-ok")

    # Saisie at phone width: nothing sticks out of the screen.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                storage_state=page.context.storage_state()).new_page()
    phone.goto(page.url.replace("TableauDeBord", "Saisie"))
    phone.wait_for_selector("[data-rk-page=saisie][data-rk-ready]")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    for selector in ("#rk-date", "#rk-montant", "#rk-compte-1", "#rk-justificatif", "[data-rk-page] button[type=submit]"):
        box = phone.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector

    check = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", "--repo", str(root), "--all"],
                           capture_output=True, text=True, env=dict(os.environ))
    assert check.returncode == 0, check.stdout + check.stderr
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%an|%s"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    by_teacher = [line for line in log if line.startswith(TEACHER + "|")]
    assert len(by_teacher) == 17, log  # 13 saisies, 1 deletion, 1 correction, 1 statement, 1 cash count
    assert len(log) == len(by_teacher) + 3  # before: the AD's repository, the coop, its opening
    assert run_status(root) == ""
    assert (Path(root) / "ledgers" / UAI / "documents/Charges/6181-Livres-abonnements/2026-11-06.D01.png").exists()


def run_status(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True).stdout
