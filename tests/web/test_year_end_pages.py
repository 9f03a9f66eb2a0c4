"""Fin d'exercice and Adhésion through the real portal and real Fava apps (demo AD, 20/09/2026)."""

from __future__ import annotations

import csv
import datetime
import html
import io
import subprocess
import sys
from zoneinfo import ZoneInfo

import pypdf
import pytest
import yaml

from .conftest import ORIGIN, OTHER, OWN

PAGES = ("FinExercice", "Adhesion")


@pytest.fixture(autouse=True)
def _after_the_year(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-20")


def git(root, *args) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True).stdout.strip()


def url(env, page: str, endpoint: str = "", uai: str = OWN) -> str:
    return f"/coop/{uai}/{env.slug(uai)}/extension/{page}/{endpoint}"


@pytest.mark.parametrize("role", ["mandataire", "verificateur", "ad_staff"])
def test_pages_render_for_those_who_may_read(env, role):
    client = env.client(role)
    for name in PAGES:
        response = client.get(url(env, name))
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:500])
        assert "data-rk-page=" in response.get_data(as_text=True)
    fin = client.get(url(env, "FinExercice")).get_data(as_text=True)
    assert "Fin d'exercice 2025-2026" in fin
    assert ("Clôturer l'exercice 2025-2026" in fin) == (role != "verificateur")
    assert ("Forcer la clôture" in fin) is False  # every condition holds in the demo


def test_the_teacher_closes_the_ad_reopens_with_a_reason(env):
    teacher, staff = env.client("mandataire"), env.client("ad_staff")
    before = git(env.root, "rev-parse", "HEAD")
    assert env.client("verificateur").post(url(env, "FinExercice", "cloturer"), headers=ORIGIN).status_code == 403
    assert env.client("mandataire").post(url(env, "FinExercice", "cloturer", OTHER), headers=ORIGIN).status_code == 403
    assert git(env.root, "rev-parse", "HEAD") == before
    closed = teacher.post(url(env, "FinExercice", "cloturer") + "?exercice=2025-2026", headers=ORIGIN)
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert git(env.root, "log", "-1", "--format=%an|%s") == "Test mandataire|Clôture de l'exercice 2025-2026"
    assert git(env.root, "tag", "-l", f"{OWN}/2025-2026") == f"{OWN}/2025-2026"
    page = teacher.get(url(env, "FinExercice") + "?exercice=2025-2026").get_data(as_text=True)
    assert "Exercice clôturé" in page and "Rouvrir" not in page
    refused = teacher.post(url(env, "FinExercice", "rouvrir") + "?exercice=2025-2026", data={"motif": "x"},
                           headers=ORIGIN)
    assert refused.status_code == 422 and "Seule l'AD" in refused.get_json()["erreurs"]["general"]
    reopened = staff.post(url(env, "FinExercice", "rouvrir") + "?exercice=2025-2026",
                          data={"motif": "Subvention à reventiler"}, headers=ORIGIN)
    assert reopened.status_code == 200, reopened.get_data(as_text=True)
    assert git(env.root, "log", "-1", "--format=%an|%s") == (
        "Test ad_staff|Exercice 2025-2026 rouvert par Test ad_staff : Subvention à reventiler")
    assert not git(env.root, "tag", "-l", f"{OWN}/2025-2026")


def test_documents_download_for_the_verificateur_too(env):
    verif = env.client("verificateur")
    pdf = verif.get(url(env, "FinExercice", "crf") + "?exercice=2025-2026")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Compte rendu financier 2025-2026" in text and "0910001A" in text
    # The vérificateur of 2025-2026 asking for 2024-2025 still gets their own exercice.
    other_year = verif.get(url(env, "FinExercice", "crf") + "?exercice=2024-2025")
    assert "Compte rendu financier 2025-2026" in " ".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(other_year.data)).pages)
    exported = verif.get(url(env, "FinExercice", "export") + "?format=csv")
    assert exported.status_code == 200 and exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Date" and all(r[0].endswith(("2025", "2026")) for r in rows[1:])
    assert env.client("mandataire").get(url(env, "FinExercice", "crf", OTHER)).status_code == 403


def test_adhesion_declared_validated_and_paid(env):
    teacher, staff = env.client("mandataire"), env.client("ad_staff")
    before = git(env.root, "rev-parse", "HEAD")
    form = {"niveau": ["CP", "CE1"], "enseignant": ["Mme Martin", "M. Lefèvre"], "eleves": ["24", "26"],
            "adultes": ["1", "2"], "revue": "oui", "biens": "2 500", "participation": "", "mandataire": "Mme Martin"}
    refused = teacher.post(url(env, "Adhesion", "declarer"), data=form, headers=ORIGIN)
    assert refused.status_code == 422
    assert refused.get_json()["erreurs"] == {
        "engagement": "Cochez l'engagement du mandataire pour déclarer l'adhésion."}
    assert git(env.root, "rev-parse", "HEAD") == before
    declared = teacher.post(url(env, "Adhesion", "declarer"), data=dict(form, engagement="oui"), headers=ORIGIN)
    assert declared.status_code == 200, declared.get_data(as_text=True)
    saved = yaml.safe_load((env.root / "ledgers" / OWN / "adhesion-2026-2027.yaml").read_text(encoding="utf-8"))
    assert saved["statut"] == "declaree" and [c["eleves"] for c in saved["classes"]] == [24, 26]
    page = teacher.get(url(env, "Adhesion")).get_data(as_text=True)
    # 2026-2027 rates: 50 × 2,30 + 3 × 8,20 + 53 × 0,26 + 6,80 + 500 × 0,688 % = 115 + 24,60 + 13,78 + 6,80 + 3,44
    assert "163,62\u00a0€" in page
    assert "500,00\u00a0€ × 0,688\u00a0%" in page and "0,00688" not in page
    bulletin = teacher.get(url(env, "Adhesion", "pdf") + "?document=bulletin")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(bulletin.data)).pages)
    assert "500,00 € × 0,688 %" in text.replace("\u00a0", " ") and "0,00688" not in text
    assert "à l'École élémentaire Jean Jaurès" in " ".join(text.split()) and "école École" not in text
    assert teacher.get(url(env, "Adhesion", "pdf") + "?document=attestation").status_code == 409
    # Its link opened in the browser before the validation: a French page, not « 409 Conflict ».
    early = teacher.get(url(env, "Adhesion", "pdf") + "?document=attestation",
                        headers={"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
    body = html.unescape(early.get_data(as_text=True))
    assert early.status_code == 409 and early.content_type.startswith("text/html")
    assert "L'attestation se télécharge une fois l'adhésion validée par l'AD." in body and "Conflict" not in body
    assert teacher.post(url(env, "Adhesion", "valider"), headers=ORIGIN).status_code == 422
    assert staff.post(url(env, "Adhesion", "valider"), headers=ORIGIN).status_code == 200
    attestation = teacher.get(url(env, "Adhesion", "pdf") + "?document=attestation")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(attestation.data)).pages).split())
    assert "Attestation d'adhésion 2026-2027" in text and "53 coopérateurs" in text
    assert "l'École élémentaire Jean Jaurès" in text and "école École" not in text
    # Validated at that time in France, whatever the server's time zone.
    saved = yaml.safe_load((env.root / "ledgers" / OWN / "adhesion-2026-2027.yaml").read_text(encoding="utf-8"))
    validated = next(e["le"] for e in saved["historique"] if e["action"] == "validation")
    when = datetime.datetime.fromisoformat(str(validated)).astimezone(ZoneInfo("Europe/Paris"))
    assert f"validée par l'AD le {when:%d/%m/%Y à %H:%M}" in text
    # At the rentrée the payment opens 2026-2027 itself, 2025-2026 still open for its closing.
    assert not (env.root / "ledgers" / OWN / "2026-2027.beancount").exists()
    paid = teacher.post(url(env, "Adhesion", "payer"), data={"date": "25/09/2026", "mode": "PRLV"}, headers=ORIGIN)
    assert paid.status_code == 200, paid.get_data(as_text=True)
    assert teacher.post(url(env, "FinExercice", "cloturer") + "?exercice=2025-2026", headers=ORIGIN).status_code == 200
    ledger = (env.root / "ledgers" / OWN / "2026-2027.beancount").read_text(encoding="utf-8")
    assert 'piece: "D01"' in ledger and "Charges:6281-Cotisation-OCCE" in ledger and "-163.62 EUR" in ledger
    check = subprocess.run([sys.executable, "-m", "retkoop_tools", "check", OWN, "--repo", str(env.root)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_demo_ad_exports_its_fec(env):
    response = env.client("mandataire").get(url(env, "FinExercice", "export") + "?format=fec&exercice=2024-2025")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "123456782FEC20250831.txt" in response.headers["Content-Disposition"]
    assert response.get_data().decode("iso-8859-15").startswith("JournalCode\tJournalLib\t")


def test_the_fec_download_says_in_french_when_the_siren_is_missing(env):
    import re as _re

    ad_yaml = env.root / "ad.yaml"
    ad_yaml.write_text(_re.sub(r"(?m)^siren:.*\n", "", ad_yaml.read_text(encoding="utf-8")), encoding="utf-8")
    response = env.client("mandataire").get(url(env, "FinExercice", "export") + "?format=fec&exercice=2024-2025")
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "SIREN" in text and "Traceback" not in text
    # Opened in the browser, the endpoint's own French page is kept (not a generic message).
    opened = env.client("mandataire").get(url(env, "FinExercice", "export") + "?format=fec&exercice=2024-2025",
                                          headers={"Sec-Fetch-Mode": "navigate"})
    assert opened.status_code == 409 and "SIREN" in opened.get_data(as_text=True)
