"""Make the screenshots of the mandataire's guide again, from the real pages of a demo portal.

    .venv/bin/python scripts/guide_captures.py [--date 2025-11-20] [--sortie retkoop_tools/web/static/guide]

Builds the demo AD for the date in a temporary folder (as `retkoop demo DOSSIER --date` does),
adds an empty coop for the takeover of a spreadsheet cahier, sends one request to the AD and its
answer, serves the portal (waitress, in this process), then drives Debian's Chromium
(Playwright) through the pages a mandataire uses and writes one PNG per page, reduced to a
palette of 256 colours to stay small. The guide shows those that exist (`pages/guide.py`).
Run it after a change to a page the guide shows, look at the images, and commit them. For the
browser's own widgets in French, install Debian's `chromium-l10n` beside `chromium`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = Path("/usr/bin/chromium")
UAI, EMPTY = "0910001A", "0910099Z"
PASSWORD = "Captures du guide, pas un vrai mot de passe"
WIDTH, HEIGHT = 1200, 760


def build(workdir: Path, day: datetime.date) -> tuple[Path, Path]:
    from retkoop_tools.demandes import actions
    from retkoop_tools.demo.present import build_demo
    from retkoop_tools.ledger.exercice import Exercice
    from retkoop_tools.ledger.layout import create_coop
    from retkoop_tools.store.store import Author, Store
    from retkoop_tools.web.accounts import Accounts

    root, instance = workdir / "ad", workdir / "instance"
    build_demo(root, day)
    store = Store(root)
    admin = Author("Compta AD 91", "compta@ad91.demo")
    create_coop(root, EMPTY, "École du Parc", "Massy", Exercice.of_date(day))
    store.commit_new_coop(EMPTY, admin, "Nouvelle coopérative")
    accounts = Accounts(instance / "comptes.sqlite")
    accounts.add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
    accounts.add(EMPTY, "mandataire", name="M. Girard", password=PASSWORD)
    teacher = Author("Mme Martin", UAI)
    result = actions.send(store, UAI, "mandataire", {
        "successeur": "M. Lefèvre", "email": "paul.lefevre@ac-versailles.fr",
        "a_partir_du": f"01/09/{day.year if day.month < 9 else day.year + 1}",
        "message": "Je change d'école à la rentrée ; M. Lefèvre, directeur, reprend la coopérative."}, teacher, day)
    assert result.ok, result.errors
    result = actions.answer(store, UAI, 1, "Bien reçu. Pensez à clôturer l'exercice au 31/08 avant votre départ ; "
                            "nous validerons en juin.", Author("Compta AD 91", "compta@ad91.demo"))
    assert result.ok, result.errors
    return root, instance


def capture(base: str, out: Path, next_year: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        # Chromium's own widgets (« Choisir un fichier ») follow LANGUAGE, with Debian's chromium-l10n.
        french = {**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8", "LC_ALL": "fr_FR.UTF-8"}
        browser = p.chromium.launch(executable_path=str(CHROMIUM), env=french, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--hide-scrollbars", "--font-render-hinting=none", "--lang=fr-FR"])
        page = browser.new_page(locale="fr-FR", viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(20000)

        def login(who: str) -> None:
            page.context.clear_cookies()
            page.goto(f"{base}/connexion")
            page.get_by_label("Identifiant", exact=False).first.fill(who)
            page.get_by_label("Mot de passe").fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")

        def go(name: str, page_key: str) -> None:
            page.goto(page.url.split("/extension/")[0] + f"/extension/{name}/")
            page.wait_for_selector(f"[data-rk-page={page_key}][data-rk-ready]")

        def shot(name: str, full: bool = False) -> None:
            page.wait_for_timeout(150)
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            written.append(path)

        login(UAI)
        page.goto(f"{base}/coop/{UAI}/")
        page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
        shot("tableau")
        go("Saisie", "saisie")
        page.select_option("#rk-type", "depense")
        page.fill("#rk-libelle", "Albums pour la bibliothèque de la classe")
        page.fill("#rk-tiers", "Librairie du Centre")
        page.select_option("#rk-mode", "CHQ")
        page.fill("#rk-montant", "84,90")
        ventilation = page.locator("[data-rk-ligne] select").first
        code = ventilation.locator("option", has_text="6181").first.get_attribute("value")
        ventilation.select_option(code)
        page.locator("[data-rk-controle]").wait_for()
        shot("saisie")
        go("Cahier", "cahier")
        shot("cahier")
        go("Pointage", "pointage")
        shot("pointage")
        go("ArreteDeCaisse", "caisse")
        shot("caisse")
        go("FinExercice", "fin")
        shot("fin")
        # The declaration form, as at the rentrée: next year's, the classes carried over from this one.
        page.goto(page.url.split("/extension/")[0] + f"/extension/Adhesion/?exercice={next_year}")
        page.wait_for_selector("[data-rk-page=adhesion][data-rk-ready]")
        page.locator("form[data-rk-declaration]").scroll_into_view_if_needed()
        shot("adhesion")
        go("Demandes", "demandes")
        page.locator("[data-rk-demande='1']").scroll_into_view_if_needed()
        shot("demandes")

        login(EMPTY)
        page.goto(f"{base}/coop/{EMPTY}/")
        page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
        go("Reprise", "reprise")
        page.set_input_files("#rk-r-fichier", str(REPO / "tests" / "migration" / "cahier-2025-2026.xlsx"))
        page.fill("#rk-r-banque", "1 000,00")
        page.fill("#rk-r-caisse", "80,00")
        page.get_by_role("button", name="Lire le cahier").click()
        page.wait_for_selector("[data-rk-apercu-reprise]")
        page.locator("[data-rk-apercu-reprise] h4").scroll_into_view_if_needed()
        shot("reprise")
        browser.close()
    return written


def reduce(path: Path) -> None:
    """A palette of 256 colours: screenshots of forms lose nothing visible, and weigh a third."""
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    import waitress

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", default="2025-11-20", help="Jour de la démonstration (aaaa-mm-jj).")
    parser.add_argument("--sortie", type=Path, default=REPO / "retkoop_tools" / "web" / "static" / "guide")
    args = parser.parse_args()
    day = datetime.date.fromisoformat(args.date)
    os.environ["RETKOOP_AUJOURDHUI"] = day.isoformat()
    os.environ.setdefault("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
    args.sortie.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="retkoop-guide-") as tmp:
        os.environ["RETKOOP_CACHE_DIR"] = str(Path(tmp) / "cache")
        root, instance = build(Path(tmp), day)
        from retkoop_tools.web.portal import Portal

        portal = Portal(root, instance, backup=False)
        server = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        try:
            from retkoop_tools.ledger.exercice import Exercice

            written = capture(f"http://127.0.0.1:{server.effective_port}", args.sortie, str(Exercice.of_date(day).next()))
        finally:
            server.close()
    for path in written:
        reduce(path)
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} ({path.stat().st_size // 1024} Ko)")


if __name__ == "__main__":
    main()
