"""A coop that kept its books in a spreadsheet, through the real portal: the cahier uploaded,
checked by its content, previewed (rows kept, rows refused with their reason, nothing
written), confirmed (one commit by the teacher through the store), then the Cahier shows the
rows and the CRF is produced from them as for any coop."""

from __future__ import annotations

import html
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pypdf
import pytest
from werkzeug.test import Client

from retkoop_tools.checks.runner import check_coop
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.pages.reprise import MAX_CAHIER
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import ORIGIN

FIXTURES = Path(__file__).resolve().parents[1] / "migration"
UAI, TWO = "0910042Z", "0910043A"
PASSWORD = "Le cahier passe du tableur au portail"


@pytest.fixture(autouse=True)
def _june(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")
        tmp = tmp_path_factory.mktemp("reprise")
        root = tmp / "ad"
        admin = Author("Compta AD", "compta@ad91.fr")
        init_ad_repo(root, "91", "OCCE de l'Essonne", admin)
        create_coop(root, UAI, "École du Parc", "Massy", Exercice(2025))
        Store(root).commit_new_coop(UAI, admin, "Nouvelle coopérative")
        create_coop(root, TWO, "École des Deux Comptes", "Massy", Exercice(2025), banques="512 514")
        Store(root).commit_new_coop(TWO, admin, "Nouvelle coopérative")
        accounts = Accounts(tmp / "instance" / "comptes.sqlite")
        accounts.add(UAI, "mandataire", name="M. Girard", password=PASSWORD)
        accounts.add(TWO, "mandataire", name="Mme Petit", password=PASSWORD)
        yield Portal(root, tmp / "instance", backup=False)


@pytest.fixture
def client(portal):
    client = Client(portal)
    assert client.post("/connexion", data={"identifiant": UAI, "mot_de_passe": PASSWORD, "suite": "/"}).status_code == 302
    return client


def page(portal, name: str, endpoint: str = "") -> str:
    return f"/coop/{UAI}/{portal.pool.slug(UAI)}/extension/{name}/{endpoint}"


def head(portal) -> str:
    return subprocess.run(["git", "-C", str(portal.root), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def send(client, portal, content: bytes, name: str, **fields):
    data = {"etape": "lire", "fichier": (io.BytesIO(content), name), **fields}
    return client.post(page(portal, "Reprise", "lire"), data=data, headers=ORIGIN, content_type="multipart/form-data")


def ods() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize("content, name, message", [
    (b"", "cahier.csv", "« cahier.csv » est vide."),
    (b"%PDF-1.7 ...", "cahier.xlsx", "est un PDF : il faut le classeur (XLSX) ou son export CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "cahier.xls", "est un ancien classeur Excel (.xls)"),
    (ods(), "cahier.xlsx", "est un classeur LibreOffice (.ods)"),
    (docx(), "cahier.xlsx", "est une archive, pas un classeur Excel (.xlsx) ni un CSV"),
    (b"PK\x03\x04 pas vraiment un zip", "cahier.xlsx", "est un classeur abîmé"),
    (b"\x89PNG\r\n\x1a\n\0\0\0", "cahier.csv", "n'est ni un classeur Excel (.xlsx) ni un fichier CSV"),
    (b"<html><script>alert(1)</script></html>", "cahier.csv", "n'est ni un classeur Excel (.xlsx) ni un fichier CSV"),
    (b"x" * (MAX_CAHIER + 1), "cahier.csv", "5 Mo au plus"),
    (b"Date;Montant\n01/09/2025;3\n", "cahier.csv", "Ligne des titres introuvable"),
])
def test_what_is_not_a_cahier_is_refused_in_french_by_its_content(client, portal, content, name, message):
    before = head(portal)
    response = send(client, portal, content, name)
    assert response.status_code == 422
    assert message in response.get_json()["erreurs"]["fichier"]
    assert head(portal) == before


def test_opening_balances_are_checked(client, portal):
    response = send(client, portal, (FIXTURES / "cahier-2025-2026.csv").read_bytes(), "cahier.csv", banque="mille")
    assert response.status_code == 422 and "banque" in response.get_json()["erreurs"]


@pytest.mark.parametrize("name", ["cahier-2025-2026.csv", "cahier-2025-2026.xlsx"])
def test_the_preview_shows_rows_kept_and_refused_and_writes_nothing(client, portal, name):
    before = head(portal)
    response = send(client, portal, (FIXTURES / name).read_bytes(), name, banque="1 000,00", caisse="80")
    result = response.get_json()
    assert response.status_code == 200 and result["ok"] and result["pret"]
    preview = html.unescape(result["html"])
    assert "<strong>9</strong> opération(s) reprise(s)" in " ".join(preview.split()) and "Rien n'est encore enregistré" in preview
    assert "Soldes d'ouverture : banque 1\u00a0000,00\u00a0€, caisse 80,00\u00a0€." in preview
    kept = re.search(r"data-rk-reprises>(.*?)</table>", preview, re.S).group(1)
    assert kept.count("<tr>") == 10  # the header and nine operations
    assert "Albums pour la BCD" in kept and "6181 Livres, abonnements, documentation (84,90\u00a0€)" in kept
    refused = re.search(r"data-rk-refusees>(.*?)</table>", preview, re.S).group(1)
    reasons = {content.split(" | ")[0]: reason for reason, content in
               re.findall(r'<td class="rk-nombre">\d+</td><td>([^<]+)</td><td>([^<]+)</td>', refused)}
    assert reasons["D04"].startswith("la ventilation fait 400,00\u00a0€ pour un montant de 420,00\u00a0€")
    assert reasons["D05"].startswith("Le 31/09/2025 n'existe pas dans le calendrier")
    assert reasons["D03"].startswith("régie d'avance") and reasons["Total septembre"].startswith("ligne de total")
    assert head(portal) == before
    assert "Reprise" not in subprocess.run(["git", "-C", str(portal.root), "log", "--format=%s"],
                                           capture_output=True, text=True).stdout


def test_the_preview_is_checked_by_the_occe_rules_as_the_write_would_be(client, portal):
    cahier = ("N° de pièce;Date;Libellé;Banque entrée;Banque sortie;Caisse entrée;Caisse sortie;6063 Fournitures;"
              "7562 Participation familles\n"
              "R01;08/09/2025;Participation des familles;100;;;;;100\n"
              "D01;10/09/2025;Fournitures payées en espèces;;;;30;30;\n").encode("utf-8")
    before = head(portal)
    result = send(client, portal, cahier, "cahier.csv").get_json()
    preview = html.unescape(result["html"])
    assert "<strong>1</strong> opération(s) reprise(s)" in preview
    refused = re.search(r"data-rk-refusees>(.*?)</table>", preview, re.S).group(1)
    assert "refusée par les règles OCCE : La caisse serait négative le 10/09/2025" in refused
    assert "Fournitures payées en espèces" in refused
    assert head(portal) == before


def test_a_coop_with_two_bank_accounts_says_which_the_banque_columns_are(portal):
    client = Client(portal)
    client.post("/connexion", data={"identifiant": TWO, "mot_de_passe": PASSWORD, "suite": "/"})
    url = f"/coop/{TWO}/{portal.pool.slug(TWO)}/extension/Reprise/"
    form = html.unescape(client.get(url).get_data(as_text=True))
    assert re.findall(r'<option value="(\d+)">', form.split('name="compte_bancaire"')[1].split("</select>")[0]) == ["512", "514"]
    data = {"etape": "lire", "compte_bancaire": "514",
            "fichier": (io.BytesIO((FIXTURES / "cahier-2025-2026.csv").read_bytes()), "cahier.csv")}
    result = client.post(url + "lire", data=data, headers=ORIGIN, content_type="multipart/form-data").get_json()
    assert result["ok"] and "Compte(s) bancaire(s) : Chèques postaux (514)." in html.unescape(result["html"])


def test_confirming_writes_one_commit_then_the_cahier_and_the_crf_show_the_rows(client, portal):
    content = (FIXTURES / "cahier-2025-2026.xlsx").read_bytes()
    preview = send(client, portal, content, "cahier-2025-2026.xlsx", banque="1 000,00", caisse="80").get_json()
    digest = re.search(r'name="empreinte" value="([0-9a-f]{64})"', preview["html"]).group(1)
    before = head(portal)
    # The file confirmed must be the one previewed.
    other = send(client, portal, (FIXTURES / "cahier-2025-2026.csv").read_bytes(), "cahier-2025-2026.csv",
                 banque="1 000,00", caisse="80", etape="enregistrer", empreinte=digest)
    assert other.status_code == 422 and "n'est plus celui de l'aperçu" in other.get_json()["erreurs"]["fichier"]
    assert head(portal) == before
    done = send(client, portal, content, "cahier-2025-2026.xlsx", banque="1 000,00", caisse="80", etape="enregistrer",
                empreinte=digest)
    result = done.get_json()
    assert done.status_code == 200 and result["ok"], result
    assert result["suite"].endswith("/extension/Cahier/")
    assert result["message"] == ("reprise du cahier « cahier-2025-2026.xlsx » : 9 opération(s) enregistrée(s), "
                                 "4 ligne(s) non reprise(s).")
    log = subprocess.run(["git", "-C", str(portal.root), "log", f"{before}..HEAD", "--format=%an|%ae|%s"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert log == [f"M. Girard|{UAI}|Reprise du cahier « cahier-2025-2026.xlsx » : 9 opération(s), soldes "
                   "d'ouverture (4 ligne(s) non reprise(s))"]
    assert check_coop(portal.root, UAI).errors == []
    # A second takeover would double the operations: refused, nothing written.
    twice = send(client, portal, content, "cahier-2025-2026.xlsx", etape="enregistrer", empreinte=digest)
    assert "a déjà des opérations" in twice.get_json()["erreurs"]["fichier"]
    assert len(subprocess.run(["git", "-C", str(portal.root), "log", f"{before}..HEAD", "--format=%s"],
                              capture_output=True, text=True).stdout.splitlines()) == 1

    cahier = html.unescape(client.get(page(portal, "Cahier") + "?exercice=2025-2026").get_data(as_text=True))
    for label in ("Participation volontaire Famille Durand", "Albums pour la BCD", "Subvention de la mairie",
                  "Participation des familles à la sortie", "Car pour la sortie au musée"):
        assert label in cahier
    assert len(re.findall(r"data-rk-ligne-cahier", cahier)) == 10  # nine operations and the opening

    pdf = client.get(page(portal, "FinExercice", "crf") + "?exercice=2025-2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "École du Parc" in text
    # Produits 20 + 150 + 500 + 240, charges 64,80 + 84,90 + 3,50 + 420: résultat 336,80 €.
    assert "910,00" in text and "573,20" in text and "336,80" in text
    assert "1 336,80" in text.replace("\u202f", " ").replace("\u00a0", " ")  # the bank at the end
