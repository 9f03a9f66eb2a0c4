"""A La Banque Postale statement is read against the coop's own bank account (512, 514 or both)."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from werkzeug.test import Client

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.gitrepo import ADMIN, OPENING_TEXT

from .conftest import BOOKS, SAMPLES, UAI

BANQUE, CCP = "Actif:512-Banque", "Actif:514-CCP"
PASSWORD = "Le relevé de la Poste tombe juste !"
ORIGIN = {"Origin": "http://localhost"}
#: the coop's bank accounts → (opening, the account September's operations are on)
CASES = {
    "512": (OPENING_TEXT, BANQUE),
    "514": (OPENING_TEXT.replace(BANQUE, CCP + "   "), CCP),
    "both": (OPENING_TEXT.replace("  Capitaux:110-Report-a-nouveau   -1050.00 EUR",
                                  f"  {CCP}                    1000.00 EUR\n"
                                  "  Capitaux:110-Report-a-nouveau   -2050.00 EUR"), CCP),
}


@pytest.fixture(params=CASES)
def coop(request, tmp_path, monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-03-31")
    opening, bank = CASES[request.param]
    root = tmp_path / "ad"
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    store = Store(root)
    create_coop(root, UAI, f"École {UAI}", "Évry", Exercice(2025))
    store.commit_new_coop(UAI, ADMIN, "Nouvelle coopérative")
    store.insert_entries(UAI, opening, ADMIN, "Reprise des soldes", Exercice(2025))
    store.insert_entries(UAI, BOOKS.replace(BANQUE, bank), ADMIN, "Cahier de septembre", Exercice(2025))
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    accounts.add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
    portal = Portal(root, tmp_path / "instance", lru_size=3, backup=False)
    client = Client(portal)
    assert client.post("/connexion", data={"identifiant": UAI, "mot_de_passe": PASSWORD, "suite": "/"}).status_code == 302
    return client, f"/coop/{UAI}/{portal.pool.slug(UAI)}/extension/Pointage", root, request.param


def test_the_la_banque_postale_csv_ticks_the_coop_bank(coop):
    client, base, root, case = coop
    bank = CASES[case][1]
    content = (SAMPLES / "banque-postale-2025-09.csv").read_bytes()

    def post(**fields):
        data = {"fichier": (io.BytesIO(content), "releve.csv"), **fields}
        return client.post(base + "/importer", data=data, headers=ORIGIN, content_type="multipart/form-data")

    read = post(etape="lire").get_json()  # no account given: the one the statement belongs to
    assert read["ok"] and read["pret"], read
    assert "5 retrouvée(s) dans le cahier, 2 à créer" in read["html"]
    refs = re.findall(r'name="creer-([^"]+)"', read["html"])
    fields = {f"creer-{r}": "1" for r in refs}
    fields.update({f"compte-{r}": code for r, code in zip(refs, re.findall(
        r'name="compte-[^"]+".*?<option value="(\d+)" selected>', read["html"], re.DOTALL))})
    saved = post(etape="enregistrer", **fields)
    assert saved.status_code == 200, saved.get_json()
    text = (root / "ledgers" / UAI / "2025-2026.beancount").read_text(encoding="utf-8")
    assert f'custom "releve" {bank} 1151.00 EUR' in text
    other = BANQUE if bank == CCP else CCP
    assert f'custom "releve" {other}' not in text
    assert re.findall(r"\n  (Actif:51[24]-\w+) +-45.60 EUR", text) == [bank]  # the line created (MAIF)
    if case == "both":  # the opening moves both accounts: only its CCP posting is ticked
        opening = next(b for b in text.split("\n\n") if 'nature: "ouverture"' in b)
        assert re.search(r"Actif:514-CCP +1000.00 EUR\n    releve: 2025-09-30\n", opening), opening
        assert "\n  releve:" not in opening


def test_the_command_line_imports_on_the_coop_bank(coop, monkeypatch):
    from click.testing import CliRunner

    from retkoop_tools.cli import main

    _client, _base, root, case = coop
    bank = CASES[case][1]
    monkeypatch.chdir(root)
    runner = CliRunner()
    csv = str(SAMPLES / "banque-postale-2025-09.csv")
    trial = runner.invoke(main, ["import", UAI, csv, "--essai"])
    assert trial.exit_code == 0, trial.output
    assert trial.output.count("  pointée ") == 6, trial.output  # 5 lines and the opening balance
    unused = {"512": "514", "514": "512"}.get(case)
    if unused:
        refused = runner.invoke(main, ["import", UAI, csv, "--essai", "--compte-bancaire", unused])
        assert "Actif:5" in refused.output and "n'est pas un compte bancaire de la coopérative" in refused.output
    code = bank.split(":")[1][:3]
    chosen = runner.invoke(main, ["import", UAI, csv, "--essai", "--compte-bancaire", code])
    assert chosen.exit_code == 0 and chosen.output == trial.output


def test_fava_import_page_reads_the_la_banque_postale_file_against_the_coop_bank(coop):
    """Fava's own import page, in the portal: the file is read against the coop's account (514 for
    a CCP coop), lines already on a ticked statement are not proposed again, the others are
    matched to the cahier; saving records the statement on that account."""
    from retkoop_tools.documents.source import load_source

    client, base, root, case = coop
    bank = CASES[case][1]
    api = base.rsplit("/extension/", 1)[0] + "/api"
    assert client.get(base.rsplit("/extension/", 1)[0] + "/import/").status_code == 200  # Fava's page
    # The first half of September is already ticked by hand, on the coop's bank account.
    books = load_source(root, UAI).books
    fees = next(op for op in books.operations if op.piece == "D02")
    opening = next(op for op in books.unticked(bank) if op.kind == "ouverture")
    ticked = client.post(base + "/enregistrer", headers=ORIGIN, data={
        "compte": bank, "date": "15/09/2025", "solde": "996,50", "operations": [opening.id, fees.id]})
    assert ticked.status_code == 200, ticked.get_json()

    csv = (SAMPLES / "banque-postale-2025-09.csv").read_bytes()
    uploaded = client.put(api + "/upload_import_file", data={"file": (io.BytesIO(csv), "releve-lbp.csv")},
                          headers=ORIGIN, content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)
    (found,) = client.get(api + "/imports").get_json()["data"]
    assert [i["importer_name"] for i in found["importers"]] == ["Relevé CSV de la banque"]
    entries = client.get(api + "/extract", query_string={"filename": found["name"],
                                                         "importer": "Relevé CSV de la banque"}).get_json()["data"]
    created = [e for e in entries if e["t"] == "Transaction"]
    notes = [e for e in entries if e["t"] == "Note"]
    # two lines to create, on the coop's bank account; the others matched, on the same account
    assert sorted((p["account"], p["amount"]) for e in created for p in e["postings"]
                  if p["account"].startswith("Actif:5")) == [(bank, "-45.60 EUR"), (bank, "150.00 EUR")]
    assert all(e["meta"]["releve"] == "2025-09-30" for e in created)
    assert {n["account"] for n in notes} == {bank}
    pointed = [n["comment"] for n in notes if n["comment"].startswith("Pointée")]
    assert len(pointed) == 4 and not any("D02" in c for c in pointed)  # the fees are on the 15/09 statement
    assert any("= D03 du 15/09/2025" in c for c in pointed) and any("= R04 du 25/09/2025" in c for c in pointed)
    assert not any("FRAIS TENUE" in str(e) for e in entries)  # neither proposed again nor ticked twice
    (summary,) = [n["comment"] for n in notes if n["comment"].startswith("Relevé")]
    assert summary == "Relevé La Banque Postale du 30/09/2025 : solde 1\u00a0151,00\u00a0€ — 4 opération(s) à pointer, 2 à créer"
    saved = client.put(api + "/add_entries", json={"entries": entries}, headers=ORIGIN)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert "4 opération(s) pointée(s), 2 créée(s)" in saved.get_json()["data"]
    text = (root / "ledgers" / UAI / "2025-2026.beancount").read_text(encoding="utf-8")
    assert f'custom "releve" {bank} 1151.00 EUR' in text
    assert re.findall(r"\n  (Actif:51[24]-\w+) +-45.60 EUR", text) == [bank]
    other = BANQUE if bank == CCP else CCP
    assert f'custom "releve" {other}' not in text
    books = load_source(root, UAI).books
    assert [s.balance for s in books.statements(bank)] == [Decimal("996.50"), Decimal("1151.00")]
    assert [op.piece for op in books.unticked(bank) if op.date <= datetime.date(2025, 9, 30)] == ["D05"]
    # The same file again: nothing to create, nothing to tick.
    client.put(api + "/upload_import_file", data={"file": (io.BytesIO(csv), "releve-lbp.csv")},
               headers=ORIGIN, content_type="multipart/form-data")
    (again,) = client.get(api + "/imports").get_json()["data"]
    extracted = client.get(api + "/extract", query_string={"filename": again["name"],
                                                           "importer": "Relevé CSV de la banque"}).get_json()["data"]
    assert [e for e in extracted if e["t"] == "Transaction"] == []
