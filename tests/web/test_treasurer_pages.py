"""The treasurer's pages through the real portal and real Fava apps (Flask test client)."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import ORIGIN, OTHER, OWN

PAGES = ("TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse")


@pytest.fixture(autouse=True)
def _june(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")


def head(root) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def expense(**changes) -> dict:
    data = {"type": "depense", "date": "10/06/2026", "piece": "D28", "libelle": "Achat de peinture", "tiers": "Librairie",
            "mode": "CHQ", "cheque": "4130019", "montant": "45,20", "compte": ["6063", "6068"], "ventilation": ["40", "5,20"]}
    data.update(changes)
    return data


def test_the_dashboard_is_the_coop_default_page(env):
    client = env.client("mandataire")
    response = client.get(f"/coop/{OWN}/{env.slug(OWN)}/")
    assert response.headers["Location"].endswith("/extension/TableauDeBord/")
    page = client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/TableauDeBord/").get_data(as_text=True)
    assert "Relevé bancaire pointé" in page and "7\u00a0115,80\u00a0€" in page  # the bank balance
    for name in PAGES:  # all five in Fava's sidebar data
        assert f'"name": "{name}"' in page or f'"name":"{name}"' in page


@pytest.mark.parametrize("role", ["mandataire", "verificateur", "ad_staff"])
def test_every_page_renders_for_those_who_may_read(env, role):
    client = env.client(role)
    for name in PAGES:
        response = client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/{name}/")
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:500])
        assert 'data-rk-page=' in response.get_data(as_text=True)


def test_saving_from_the_saisie_commits_as_the_teacher_and_fava_sees_it(env):
    client = env.client("mandataire")
    url = f"/coop/{OWN}/{env.slug(OWN)}/extension/Saisie/enregistrer"
    before = head(env.root)
    refused = client.post(url, data=expense(ventilation=["40", "5"]), headers=ORIGIN)
    assert refused.status_code == 422
    assert refused.get_json()["erreurs"] == {
        "ventilation": "La ventilation fait 45,00\u00a0€ pour un montant de 45,20\u00a0€ : il manque 0,20\u00a0€."}
    assert head(env.root) == before
    saved = client.post(url, data=expense(), headers=ORIGIN)
    assert saved.status_code == 200 and saved.get_json()["ok"]
    log = subprocess.run(["git", "-C", str(env.root), "log", "-1", "--format=%an|%ae|%s"], capture_output=True,
                         text=True).stdout.strip()
    assert log == "Test mandataire|0910001A|Saisie D28 du 10/06/2026 : Librairie, 45,20\u00a0€"
    cahier = client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/Cahier/").get_data(as_text=True)
    assert "D28" in cahier and "Achat de peinture" in cahier


def test_read_only_roles_and_other_coops_cannot_write(env):
    path = f"/coop/{OWN}/{env.slug(OWN)}/extension/Saisie/enregistrer"
    before = head(env.root)
    verif = env.client("verificateur").post(path, data=expense(), headers=ORIGIN)
    assert verif.status_code == 403
    assert verif.get_json()["error"] == "Votre compte est en lecture seule : aucune modification possible."
    page = env.client("verificateur").get(f"/coop/{OWN}/{env.slug(OWN)}/extension/Saisie/").get_data(as_text=True)
    assert "Votre compte est en lecture seule" in page
    other = env.client("mandataire").post(f"/coop/{OTHER}/{env.slug(OTHER)}/extension/Saisie/enregistrer",
                                          data=expense(), headers=ORIGIN)
    assert other.status_code == 403
    forged = env.client("mandataire").post(path, data=expense(), headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert head(env.root) == before


def test_cash_count_balance_endpoint(env):
    client = env.client("mandataire")
    base = f"/coop/{OWN}/{env.slug(OWN)}/extension/ArreteDeCaisse"
    assert client.get(f"{base}/solde?date=31/08/2026").get_json() == {
        "ok": True, "solde": "170.34",
        "deja": "La caisse a déjà été comptée le 31/08/2026 (170,34\u00a0€ comptés) : un arrêté par jour."}
    assert client.get(f"{base}/solde?date=30/08/2026").get_json()["deja"] == ""
    assert client.get(f"{base}/solde?date=demain").get_json()["ok"] is False


def test_the_verificateur_reads_the_cahier_of_their_exercice_only(env):
    client = env.client("verificateur")  # checks 2025-2026
    base = f"/coop/{OWN}/{env.slug(OWN)}/extension/Cahier/"
    page = client.get(base + "?exercice=2024-2025").get_data(as_text=True)
    assert "exercice 2025-2026" in page and "exercice 2024-2025" not in page
    mandataire = env.client("mandataire").get(base + "?exercice=2024-2025").get_data(as_text=True)
    assert "Cahier de comptabilité — exercice 2024-2025" in mandataire


def test_correcting_a_remise_shows_its_cheques_ticked(env):
    import re

    client = env.client("mandataire")
    cahier = client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/Cahier/").get_data(as_text=True)
    link = re.search(r'href="([^"]+modifier=[^"]+)" aria-label="Corriger la pièce R09"', cahier).group(1)
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Corriger l&#39;opération R09" in page or "Corriger l'opération R09" in page
    assert page.count('name="cheques"') == 4 and page.count(" checked>") == 4  # the 4 cheques of that remise
    ids = re.findall(r'name="cheques" value="([^"]+)"', page)
    remplace = re.search(r'name="remplace" value="([^"]+)"', page).group(1)
    saved = client.post(f"/coop/{OWN}/{env.slug(OWN)}/extension/Saisie/enregistrer", headers=ORIGIN, data={
        "type": "remise", "date": "12/09/2025", "piece": "R09", "cheques": ids, "remplace": remplace})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["message"].startswith("Correction R09 du 12/09/2025 : ")
