"""Importing a statement through the portal: the Pointage page, Fava's import page, a browser."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from werkzeug.test import Client

from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.gitrepo import run_git
from tests.web.test_browser import page  # noqa: F401  (fixture)
from tests.web.test_browser import pytestmark as browser_mark

from .conftest import SAMPLES, UAI

PASSWORD = "Le relevé de septembre tombe juste !"
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def portal(books_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-03-31")
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    accounts.add(UAI, "mandataire", name="Mme Martin", password=PASSWORD)
    accounts.add("0910002B", "mandataire", name="M. Durand", password=PASSWORD)
    return Portal(books_repo.root, tmp_path / "instance", lru_size=3, backup=False)


def login(portal: Portal, login: str = UAI) -> Client:
    client = Client(portal)
    response = client.post("/connexion", data={"identifiant": login, "mot_de_passe": PASSWORD, "suite": "/"})
    assert response.status_code == 302
    return client


def git(repo, *args) -> str:
    return run_git(repo.root, *args).stdout


def test_the_pointage_page_reads_then_records_the_statement(portal, books_repo):
    client = login(portal)
    base = f"/coop/{UAI}/{portal.pool.slug(UAI)}/extension/Pointage"
    pointage = client.get(base + "/").get_data(as_text=True)
    assert "Importer le relevé de la banque" in pointage and "Crédit Mutuel / CIC (CSV)" in pointage
    content = (SAMPLES / "credit-agricole-2025-09.csv").read_bytes()

    def post(**fields):
        data = {"fichier": (io.BytesIO(content), "releve.csv"), **fields}
        return client.post(base + "/importer", data=data, headers=ORIGIN, content_type="multipart/form-data")

    read = post(etape="lire").get_json()
    assert read["ok"] and read["pret"]
    html = read["html"]
    assert "Relevé Crédit Agricole du 30/09/2025 (compte …8901)" in html
    assert "5 retrouvée(s) dans le cahier, 2 à créer" in html
    refs = re.findall(r'name="creer-([^"]+)"', html)
    selected = re.findall(r'<option value="(\d+)" selected>', html)
    assert len(refs) == 2 and sorted(selected) == ["6168", "771"]
    head = git(books_repo, "rev-parse", "HEAD")
    # The teacher unticks a line: refused, nothing written.
    refused = post(etape="enregistrer", **{f"creer-{refs[0]}": "1"})
    assert refused.status_code == 422
    assert "1 ligne(s) du relevé sans opération" in refused.get_json()["erreurs"]["general"]
    assert git(books_repo, "rev-parse", "HEAD") == head
    fields = {f"creer-{r}": "1" for r in refs}
    fields.update({f"compte-{r}": code for r, code in zip(refs, re.findall(
        r'name="compte-[^"]+".*?<option value="(\d+)" selected>', html, re.DOTALL))})
    fields[f"libelle-{refs[0]}"] = "Libellé corrigé par la maîtresse"
    saved = post(etape="enregistrer", **fields)
    assert saved.status_code == 200, saved.get_json()
    assert git(books_repo, "log", "-1", "--format=%an|%s").startswith("Mme Martin|Import du relevé Crédit Agricole")
    assert "Libellé corrigé par la maîtresse" in books_repo.text()
    assert git(books_repo, "status", "--porcelain") == ""
    again = post(etape="lire").get_json()
    assert "Ce relevé est déjà importé" in again["html"] and "Enregistrer le relevé" not in again["html"]
    broken = client.post(base + "/importer", data={"fichier": (io.BytesIO(b"%PDF-1.4"), "releve.pdf")},
                         headers=ORIGIN, content_type="multipart/form-data")
    assert broken.status_code == 422 and "est un PDF" in broken.get_json()["erreurs"]["fichier"]


def test_fava_import_page_extracts_and_its_save_is_recorded_by_the_store(portal, books_repo):
    client = login(portal)
    api = f"/coop/{UAI}/{portal.pool.slug(UAI)}/api"
    assert client.get(f"/coop/{UAI}/{portal.pool.slug(UAI)}/import/").status_code == 200  # Fava's page
    ofx = (SAMPLES / "releve-2025-09.ofx").read_bytes()
    uploaded = client.put(api + "/upload_import_file", data={"file": (io.BytesIO(ofx), "releve.ofx")},
                          headers=ORIGIN, content_type="multipart/form-data")
    assert uploaded.status_code == 200
    assert git(books_repo, "status", "--porcelain") == ""  # the upload is outside the books
    (found,) = client.get(api + "/imports").get_json()["data"]
    assert [i["importer_name"] for i in found["importers"]] == ["Relevé OFX"]
    entries = client.get(api + "/extract", query_string={"filename": found["name"], "importer": "Relevé OFX"}
                         ).get_json()["data"]
    assert [e["t"] for e in entries].count("Transaction") == 2 and [e["t"] for e in entries].count("Note") == 6
    # The page names the statement without the server's path (a folder outside the books).
    assert found["name"] == "releves-a-importer/releve.ofx"
    # Fava reads any path it is given: another coop's file or the books are refused.
    other = found["name"].replace("releves-a-importer/", "releves-a-importer/../0910002B/")
    for path in (str(books_repo.coop_dir / "coop.beancount"), "coop.beancount", other,
                 str(Path(books_repo.root).resolve() / ".git" / "retkoop-imports" / "0910002B" / "releve.ofx")):
        outside = client.get(api + "/extract", query_string={"filename": path, "importer": "Relevé OFX"})
        assert outside.status_code == 403
    for entry in entries:  # the teacher changes the MAIF line's account in Fava's form
        if entry["t"] == "Transaction" and "MAIF" in entry["narration"]:
            for posting in entry["postings"]:
                if posting["account"].startswith("Charges"):
                    posting["account"] = "Charges:6288-Autres-cotisations"
    saved = client.put(api + "/add_entries", json={"entries": entries}, headers=ORIGIN)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert "6 opération(s) pointée(s), 2 créée(s)" in saved.get_json()["data"]
    assert git(books_repo, "log", "-1", "--format=%an").strip() == "Mme Martin"
    assert "Charges:6288-Autres-cotisations   45.60 EUR" in books_repo.text()
    assert git(books_repo, "status", "--porcelain") == ""
    assert client.get(api + "/imports").get_json()["data"] == []  # filed in the coop's documents
    # Fava sees the new books at once.
    journal = client.get(f"/coop/{UAI}/{portal.pool.slug(UAI)}/extension/Pointage/").get_data(as_text=True)
    assert "Dernier relevé pointé : 30/09/2025, solde 1\u00a0151,00\u00a0€" in journal


@browser_mark
def test_a_teacher_imports_the_bank_file_in_the_browser(portal, books_repo, page, tmp_path):  # noqa: F811
    import waitress

    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.effective_port}"
    try:
        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill(UAI)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{base}/coop/{UAI}/{portal.pool.slug(UAI)}/extension/Pointage/")
        page.get_by_label("Fichier du relevé (OFX ou CSV)").set_input_files(str(SAMPLES / "caisse-epargne-2025-09.csv"))
        page.get_by_role("button", name="Lire le relevé").click()
        page.get_by_text("Relevé Caisse d'Épargne du 30/09/2025").wait_for()
        table = page.locator("[data-rk-a-creer]")
        assert table.locator("tbody tr[data-rk-ligne-import]").count() == 2
        maif = table.locator("tr", has_text="PRLV SEPA MAIF")
        assert maif.locator("select").input_value() == "6168"
        maif.locator("select").select_option("6288")
        page.get_by_role("button", name="Enregistrer le relevé").click()
        page.get_by_text("Enregistré : Import du relevé Caisse d'Épargne du 30/09/2025").wait_for()
        assert "Dernier relevé pointé : 30/09/2025" in page.content()
        assert "Charges:6288-Autres-cotisations   45.60 EUR" in books_repo.text()
        assert git(books_repo, "log", "-1", "--format=%an").strip() == "Mme Martin"
    finally:
        httpd.close()


@browser_mark
def test_fava_import_page_in_the_browser(portal, books_repo, page):  # noqa: F811
    import waitress

    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.effective_port}"
    try:
        page.goto(base + "/connexion")
        page.get_by_label("Identifiant").fill(UAI)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{base}/coop/{UAI}/{portal.pool.slug(UAI)}/import/")
        page.locator("input[type=file]").set_input_files(str(SAMPLES / "releve-2025-09.ofx"))
        page.get_by_role("button", name="Téléverser").click()
        page.get_by_role("button", name="Extraire").click()
        page.get_by_text("Entry 1 of 8", exact=False).wait_for()
        for _ in range(8):  # Fava's dialog: one entry after the other, then save
            if page.get_by_role("button", name="Sauvegarder").count():
                break
            page.get_by_role("button", name="Suivant").click()
        page.get_by_role("button", name="Sauvegarder").click()
        page.get_by_text("Import du relevé OFX du 30/09/2025").wait_for()
        assert git(books_repo, "log", "-1", "--format=%an|%s").startswith("Mme Martin|Import du relevé OFX")
        assert git(books_repo, "status", "--porcelain") == ""
        assert "Aucun fichier à importer" in page.content()
    finally:
        httpd.close()
