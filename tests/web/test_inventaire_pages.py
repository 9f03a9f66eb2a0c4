"""Inventaire and État des actions through the real portal and real Fava apps (demo AD, 20/09/2026):
who may read and write, the proposed 606 purchase confirmed, the closing reminder, the PDFs read
back, a 514 (CCP) coop, the CSV exports, the vérificateur's exercice only."""

from __future__ import annotations

import csv
import html as html_module
import io
import re
import subprocess

import pypdf
import pytest
import yaml

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import ORIGIN, OTHER, OWN, PASSWORD, REPO, USERS, PortalEnv

CCP_COOP = "0910003C"  # the demo coop whose bank is La Banque Postale (514)


@pytest.fixture(autouse=True)
def _after_the_year(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-20")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> PortalEnv:
    tmp = tmp_path_factory.mktemp("inventaire")
    root = prepare_demo_ad(REPO, tmp / "ad")
    accounts = Accounts(tmp / "instance" / "comptes.sqlite")
    for login, role, extra in USERS.values():
        accounts.add(login, role, name=f"Test {role}", password=PASSWORD, **extra)
    return PortalEnv(Portal(root, tmp / "instance", lru_size=4, backup=False), root)


@pytest.fixture(scope="module")
def clients(env):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RETKOOP_AUJOURDHUI", "2026-09-20")
        return {role: env.client(role) for role in USERS}


def git(root, *args) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True).stdout.strip()


def url(env, page: str, endpoint: str = "", uai: str = OWN) -> str:
    return f"/coop/{uai}/{env.slug(uai)}/extension/{page}/{endpoint}"


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def plain(html: str) -> str:
    """The page's text, blanks collapsed (the non-breaking spaces of amounts kept)."""
    return re.sub(r"[ \t\r\n]+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_1_pages_for_each_role(env, clients):
    for role in ("mandataire", "verificateur", "ad_staff"):
        for page in ("Inventaire", "EtatDesActions"):
            response = clients[role].get(url(env, page))
            assert response.status_code == 200, (role, page, response.get_data(as_text=True)[:300])
        inventaire = clients[role].get(url(env, "Inventaire")).get_data(as_text=True)
        assert "13/03/2026 — pièce D18 — Jeux Toulousains – Jeux de cour (inventaire) — 326,55\u00a0€" in plain(inventaire)
        assert ("Inscrire au cahier (achat 1)" in inventaire) == (role != "verificateur")
        # Fava's sidebar lists both pages, in French, after the cash count.
        assert ('"name":"ArreteDeCaisse","report_title":"Arr\\u00eat\\u00e9 de caisse"},{"has_js_module":false,'
                '"name":"Inventaire","report_title":"Inventaire"},{"has_js_module":false,"name":"EtatDesActions",'
                '"report_title":"\\u00c9tat des actions"}') in inventaire
    assert clients["mandataire"].get(url(env, "Inventaire", uai=OTHER)).status_code == 403
    before = git(env.root, "rev-parse", "HEAD")
    refused = clients["verificateur"].post(url(env, "Inventaire", "inscrire"), headers=ORIGIN,
                                           data={"proposition": "2025-2026|D18|606", "designation": "Jeux",
                                                 "date": "13/03/2026", "valeur": "326,55"})
    assert refused.status_code == 403 and git(env.root, "rev-parse", "HEAD") == before
    fin = clients["mandataire"].get(url(env, "FinExercice") + "?exercice=2025-2026").get_data(as_text=True)
    reminder = re.search(r'<li class="rk-rappel">.*?</li>', fin, re.S)
    assert reminder and "1 achat(s) de biens durables (326,55\u00a0€)" in reminder.group(0)
    assert "Forcer la clôture" not in fin and 'disabled>Clôturer' not in fin  # a reminder never blocks


def test_2_the_teacher_confirms_the_proposed_purchase(env, clients):
    teacher = clients["mandataire"]
    before = git(env.root, "rev-parse", "HEAD")
    form = {"proposition": "2025-2026|D18|606", "designation": "Jeux de cour <b>", "lieu": "Préau",
            "date": "13/03/2026", "valeur": "326,55"}
    refused = teacher.post(url(env, "Inventaire", "inscrire"), data=form, headers=ORIGIN)
    assert refused.status_code == 422
    assert list(refused.get_json()["erreurs"]) == ["designation"]
    assert git(env.root, "rev-parse", "HEAD") == before
    done = teacher.post(url(env, "Inventaire", "inscrire"), data=dict(form, designation="Jeux de cour (ballons, cerceaux)"),
                        headers=ORIGIN)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert git(env.root, "log", "-1", "--format=%an|%s") == (
        "Test mandataire|Inventaire : bien n° 1 « Jeux de cour (ballons, cerceaux) » (326,55\u00a0€), achat de la pièce D18")
    saved = yaml.safe_load((env.root / "ledgers" / OWN / "inventaire.yaml").read_text(encoding="utf-8"))
    assert saved["biens"][0]["lieu"] == "Préau" and saved["biens"][0]["origine"]["compte"] == "606"
    page = plain(teacher.get(url(env, "Inventaire")).get_data(as_text=True))
    assert "Achats à inscrire (0)" in page and "Valeur des biens présents 326,55\u00a0€" in page
    fin = teacher.get(url(env, "FinExercice") + "?exercice=2025-2026").get_data(as_text=True)
    assert '<li class="rk-rappel">' not in fin and (
        "Chaque achat de biens durables de l'exercice est inscrit ou écarté." in plain(fin))
    # A good typed by hand after 31/08: the mandataire sees it, the vérificateur of 2025-2026 does not.
    gift = teacher.post(url(env, "Inventaire", "ajouter"), headers=ORIGIN,
                        data={"designation": "Tablette (don de la mairie)", "lieu": "Bureau", "date": "15/09/2026",
                              "valeur": "180"})
    assert gift.status_code == 200, gift.get_data(as_text=True)
    assert "Tablette (don de la mairie)" in teacher.get(url(env, "Inventaire")).get_data(as_text=True)
    verif = clients["verificateur"].get(url(env, "Inventaire") + "?exercice=2026-2027").get_data(as_text=True)
    assert "Jeux de cour (ballons, cerceaux)" in verif and "Tablette" not in verif
    assert "Cahier d'inventaire au 31/08/2026" in verif

    pdf = clients["verificateur"].get(url(env, "Inventaire", "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Cahier d'inventaire 2025-2026" in text and "Tablette" not in text
    assert "1 13/03/2026 Jeux de cour (ballons, cerceaux) Préau pièce D18 (606) 326,55 €" in text
    crf = pdf_text(clients["ad_staff"].get(url(env, "FinExercice", "crf") + "?exercice=2025-2026").data)
    annex = crf[crf.index("Annexe – Cahier d'inventaire"):]
    assert "Biens présents au 31/08/2026 : 1 326,55 €" in annex and "Tablette" not in annex
    # The new year's adhésion starts from the cahier's value (326,55 + 180,00) for the insurance.
    adhesion = teacher.get(url(env, "Adhesion")).get_data(as_text=True)
    assert re.search(r'name="biens" value="506,55"', adhesion)
    assert "Cahier d'inventaire : 2 bien(s) présent(s), 506,55\u00a0€ (repris ci-dessus)" in plain(adhesion)


def test_3_a_ccp_coop_enters_its_purchase_too(env, clients):
    staff = clients["ad_staff"]
    page = plain(staff.get(url(env, "Inventaire", uai=CCP_COOP)).get_data(as_text=True))
    assert "pièce D18 — Jeux Toulousains – Jeux de cour (inventaire) — 349,99\u00a0€" in page
    done = staff.post(url(env, "Inventaire", "inscrire", CCP_COOP), headers=ORIGIN,
                      data={"proposition": "2025-2026|D18|606", "designation": "Jeux de cour", "lieu": "Cour",
                            "date": "13/03/2026", "valeur": "349,99"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert git(env.root, "log", "-1", "--format=%an|%s") == (
        "Test ad_staff|Inventaire : bien n° 1 « Jeux de cour » (349,99\u00a0€), achat de la pièce D18")
    crf = pdf_text(staff.get(url(env, "FinExercice", "crf", CCP_COOP) + "?exercice=2025-2026").data)
    assert "Solde du relevé bancaire" in crf  # its reconciliation is on the CCP: the CRF stands
    assert "Biens présents au 31/08/2026 : 1 349,99 €" in crf
    assert not (env.root / "ledgers" / OWN / "inventaire.yaml").read_text(encoding="utf-8").count("349.99")


def test_4_etat_des_actions_page_and_csv(env, clients):
    teacher = clients["mandataire"]
    page = teacher.get(url(env, "EtatDesActions") + "?exercice=2025-2026").get_data(as_text=True)
    rows = re.findall(r'<tr data-rk-projet="([^"]+)">', page)
    assert rows == ["kermesse", "noel", "photos", "sortie-musee", "Hors projet"]
    assert 'data-rk-triable' in page and 'data-rk-tri="4"' in page
    exported = teacher.get(url(env, "EtatDesActions", "csv") + "?exercice=2025-2026")
    assert exported.status_code == 200 and exported.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == ["Projet", "Opérations", "Charges", "Produits", "Résultat"]
    assert table[1] == ["kermesse", "7", "85,90", "700,50", "614,60"]
    # The total is the CRF's fonctionnement: 4 277,04 of charges, 6 712,00 of produits.
    assert table[-1] == ["Total", "236", "4277,04", "6712,00", "2434,96"]
    crf = pdf_text(teacher.get(url(env, "FinExercice", "crf") + "?exercice=2025-2026").data)
    assert "Total des charges 4 277,04 €" in crf and "Total des produits 6 712,00 €" in crf
    assert "Total (égal au compte de fonctionnement) 4 277,04 € 6 712,00 € 2 434,96 €" in crf
    detail = teacher.get(url(env, "EtatDesActions", "csv") + "?exercice=2025-2026&detail=comptes")
    lines = detail.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Projet;Sens;Ligne du CRF;Compte;Intitulé du compte;Montant"
    assert "sortie-musee;Charge;Charges des activités éducatives;6247;Transports collectifs (sorties);480,00" in lines
    # The vérificateur of 2025-2026 asking for 2024-2025 still gets their own exercice.
    theirs = clients["verificateur"].get(url(env, "EtatDesActions", "csv") + "?exercice=2024-2025")
    assert theirs.data == exported.data
    assert teacher.get(url(env, "EtatDesActions") + "?exercice=1999-2000").status_code == 404
