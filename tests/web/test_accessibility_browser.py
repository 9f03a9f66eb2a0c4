"""What a teacher's browser gets: French everywhere, and no serious accessibility fault.

axe-core (the one bundled by the PyPI package `axe-playwright-python`, pinned in the `test`
extras) runs in Debian's Chromium on the login page, the treasurer's pages and the Fava
pages a teacher opens (Journal, Documents, Importer, and the Compte de résultat's charts): no violation of impact "serious" or
"critical" is allowed, every page says `lang="fr"`. Then Fava's own texts are read on screen:
the Journal's filters and types, month names and amounts on charts, the sidebar's buttons.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .test_browser import CHROMIUM, pytestmark  # noqa: F401  (skip rule shared with the other browser tests)

REPO = Path(__file__).resolve().parents[2]
UAI = "0910005E"  # the demo's smallest coop: its pages are drawn and checked fastest
PASSWORD = "Une phrase de passe assez longue !"
#: Impacts that fail the test (axe-core also reports "moderate" and "minor").
FAILING = ("serious", "critical")
OUR_PAGES = ("TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse", "FinExercice", "Adhesion",
             "Inventaire", "EtatDesActions", "Reprise", "Demandes", "Guide")
#: Fava's pages, and what shows they are drawn. The Journal shows one month: a year is 22 000
#: elements, which axe-core takes half a minute to walk.
FAVA_PAGES = {"journal/?time=2026-03": ".journal li", "documents/": "table", "import/": "input[type=file]",
              # Beyond the list: the charts' comboboxes, bars and treemap links.
              "income_statement/": "svg .stacks a"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import waitress

    base = tmp_path_factory.mktemp("a11y")
    root = prepare_demo_ad(REPO, base / "ad")
    Accounts(base / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
    portal = Portal(root, base / "instance", backup=False)
    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
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


@pytest.fixture(scope="module")
def page(server, browser):
    """A teacher's page, logged in once for the module."""
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20000)
    page.goto(f"{server}/connexion")
    yield page
    page.close()


#: Rows of long tables repeat one template: axe-core checks the first 30 (all would take a minute).
REPEATED_ROWS = ["tbody > tr:nth-child(n+31)", ".journal > li:nth-child(n+31)"]


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"exclude": [[sel] for sel in REPEATED_ROWS]}).response
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:5]]}"
            for v in results["violations"] if v["impact"] in FAILING]


def test_every_page_a_teacher_opens_is_french_and_accessible(server, page, tmp_path):
    faults: dict[str, list[str]] = {}

    def check(name: str) -> None:
        assert page.evaluate("document.documentElement.lang") == "fr", name
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        found = serious_violations(page)
        if found:
            faults[name] = found

    page.goto(f"{server}/connexion")
    check("connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    base = page.url.split("/extension/")[0]
    for name in OUR_PAGES:
        page.goto(f"{base}/extension/{name}/")
        page.wait_for_selector("[data-rk-page][data-rk-ready]")
        check(name)
    for name, ready in FAVA_PAGES.items():
        page.goto(f"{base}/{name}")
        page.wait_for_selector(ready)
        check(name.split("/")[0])
    assert faults == {}


def test_favas_own_texts_are_french_on_screen(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/coop/{UAI}/")
    if "/connexion" in page.url:
        page.get_by_label("Identifiant").fill(UAI)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    base = page.url.split("/extension/")[0]

    page.goto(f"{base}/journal/")
    page.wait_for_selector(".journal li")
    filters = page.locator("form.flex-row button").all_inner_texts()
    for french in ("Ouverture", "Clôture", "Opération", "Solde", "Note", "Document", "Requête", "Divers"):
        assert french in filters
    assert not {"Open", "Close", "Transaction", "Balance", "Pad", "Query", "Custom"} & set(filters)
    types = set(page.locator(".journal > li > p > .flag").all_inner_texts())
    assert "Divers" in types and not {"cus", "Bal", "Open"} & types
    badges = set(page.locator(".journal .metadata-indicator").all_inner_texts())
    assert "piece" in badges and "pi" not in badges
    expect(page.locator("button[title='Afficher les raccourcis clavier']")).to_have_count(1)
    # An entry's detail: its editor's fold markers and buttons (CodeMirror's phrases, Fava's catalog).
    page.locator(".journal li.transaction .datecell a").first.click()
    page.wait_for_selector(".cm-editor .cm-foldGutter span[title]", state="attached")  # shown on hover
    titles = set(page.locator(".cm-foldGutter span[title]").evaluate_all("spans => spans.map(s => s.title)"))
    assert titles and titles <= {"Déplier la ligne", "Replier la ligne"}, titles
    expect(page.get_by_role("button", name="Dupliquer")).to_be_visible()
    page.keyboard.press("Escape")

    page.goto(f"{base}/options/")
    expect(page.locator("article")).to_contain_text("Système")
    expect(page.locator("article")).to_contain_text("Sombre")
    expect(page.locator("article")).to_contain_text("Clair")

    page.goto(f"{base}/income_statement/")
    page.wait_for_selector("svg g.tick text")
    ticks = page.locator("svg g.tick text").evaluate_all("texts => texts.map(t => t.textContent)")
    assert {"sept. 2025", "janv. 2026"} <= set(ticks), ticks  # French months (d3's locale)
    amounts = [t.replace("\u00a0", " ") for t in ticks if re.match(r"^[-−]?\d", t)]
    assert [t for t in amounts if re.fullmatch(r"[-−]?\d+(,\d+)? k", t)], ticks  # "1,5 k", not "1.50k"
    assert not [t for t in ticks if re.search(r"Jan|Sep|Nov|\d\.\d+k", t)], ticks
    page.goto(f"{base}/holdings/")  # "Comptes": the columns of Fava's query
    page.wait_for_selector("article table thead th")  # Fava runs its query first
    headers = page.locator("article table thead th").all_inner_texts()
    assert {"Compte", "Valeur comptable"} <= set(headers) and not {"account", "units", "book_value", "market_value"} & set(headers)
    page.goto(f"{base}/statistics/")
    page.wait_for_selector("article table tfoot")
    expect(page.locator("article")).to_contain_text("Écritures par type")
    cells = set(page.locator("article table td").all_inner_texts())
    assert {"Opération", "Ouverture", "Divers"} <= cells and not {"Transaction", "Open", "Custom"} & cells

    page.goto(f"{base}/account/Actif:512-Banque/")
    page.wait_for_selector(".last-activity")
    expect(page.locator(".last-activity")).to_have_text(re.compile(r"^\(Dernière opération : \d\d\/\d\d\/20\d\d\)$"))
