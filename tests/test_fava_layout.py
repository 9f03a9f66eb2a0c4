"""A coop's ledger in a real Fava app: French, fiscal year to 31/08, new entries in their exercice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fava.application import create_app

from retkoop_tools.checks.runner import check_coop
from retkoop_tools.ledger.layout import insert_position

REPO = Path(__file__).resolve().parent.parent
UAI = "0910002B"


@pytest.fixture
def demo_coop(tmp_path) -> Path:
    shutil.copy(REPO / "ad.yaml", tmp_path / "ad.yaml")
    shutil.copytree(REPO / "ledgers" / UAI, tmp_path / "ledgers" / UAI)
    return tmp_path / "ledgers" / UAI / "coop.beancount"


def _client(path: Path):
    app = create_app([str(path)], load=True)
    app.config["TESTING"] = True
    client = app.test_client()
    slug = app.config["LEDGERS"].first_slug()
    return client, slug, app


def test_fava_shows_the_coop_in_french_by_exercice(demo_coop):
    client, slug, app = _client(demo_coop)
    ledger = app.config["LEDGERS"][slug]
    assert ledger.errors == []
    assert ledger.fava_options.language == "fr"
    assert str(ledger.fava_options.fiscal_year_end) in ("08-31", "FiscalYearEnd(month=8, day=31)") or (
        ledger.fava_options.fiscal_year_end.month, ledger.fava_options.fiscal_year_end.day) == (8, 31)
    page = client.get(f"/{slug}/income_statement/?time=FY2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Produits" in html and "Charges" in html
    # Fava ships its French catalogue to the page as JSON.
    assert '"Income Statement":"Compte de r\\u00e9sultat"' in html
    assert "École maternelle Les Tilleuls (0910002B)" in html


def test_entry_added_through_fava_lands_in_its_exercice_file(demo_coop):
    client, slug, _ = _client(demo_coop)
    entry = {
        "t": "Transaction", "date": "2026-06-15", "flag": "*", "payee": "Famille Test",
        "narration": "Don", "tags": [], "links": [],
        "meta": {"piece": "9999", "mode": "VIR"},
        "postings": [{"account": "Actif:512-Banque", "amount": "12.00 EUR"},
                     {"account": "Produits:771-Dons", "amount": "-12.00 EUR"}],
    }
    response = client.put(f"/{slug}/api/add_entries", json={"entries": [entry]})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = (demo_coop.parent / "2025-2026.beancount").read_text()
    at = text.index('"Famille Test" "Don"')
    assert at < insert_position(text) and "Famille Test" not in (
        demo_coop.parent / "2024-2025.beancount").read_text()
    assert check_coop(demo_coop.parent.parent.parent, UAI).errors == []
