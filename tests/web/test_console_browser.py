"""The AD's accountant in a real browser: the dashboard sorts, filters and exports."""

from __future__ import annotations

import threading

import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.web.test_browser import REPO, page, pytestmark  # noqa: F401  (fixture and skip rule)

PASSWORD = "Le tableau de bord de l'AD 91 !"


@pytest.fixture
def server(tmp_path):
    import waitress

    root = prepare_demo_ad(REPO, tmp_path / "ad")
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    accounts.add("compta@ad91.test", "ad_staff", name="Comptable AD", password=PASSWORD)
    portal = Portal(root, tmp_path / "instance", backup=False)
    portal.summaries.refresh()  # the dashboard then shows every coop at once, even on a loaded machine
    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


def test_dashboard_sorts_filters_and_downloads(server, page, tmp_path):  # noqa: F811
    page.goto(server + "/connexion")
    page.get_by_label("Identifiant").fill("compta@ad91.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Tableau de bord").click()
    page.wait_for_selector("#coops tbody tr")
    rows = page.locator("#coops tbody tr")
    assert rows.count() == 5

    def banks() -> list[float]:
        return [float(v) for v in page.locator("#coops tbody td.montant:nth-child(12)").evaluate_all(
            "cells => cells.map(c => c.dataset.valeur)")]

    page.get_by_role("button", name="Banque").click()
    ascending = banks()
    assert ascending == sorted(ascending)
    page.get_by_role("button", name="Banque").click()
    assert banks() == sorted(ascending, reverse=True)

    page.get_by_label("Chercher").fill("Massy")
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "0910002B" in visible[0].inner_text()

    with page.expect_download() as info:
        page.get_by_role("link", name="Excel").first.click()
    path = tmp_path / "etat.xlsx"
    info.value.save_as(path)
    from openpyxl import load_workbook

    assert load_workbook(path).active.max_row == 7  # header, 5 coops, totals
