"""A line to the AD, through the real portal: the mandataire signals a change of mandataire or of
the school's details, the AD sees it on its console (status, filters, exports), answers it or
validates it — the successor's account gets a one-time password shown once, the old access
closes on the date — and every step is a commit by its author."""

from __future__ import annotations

import html
import io
import re
import subprocess

import openpyxl
import pytest
import yaml

from retkoop_tools.demandes.model import DEMANDES_FILENAME, load_demandes
from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import ORIGIN, OTHER, OWN, PASSWORD, REPO, USERS, PortalEnv

SUCCESSOR = "paul.lefevre@ac-versailles.fr"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> PortalEnv:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")
        tmp = tmp_path_factory.mktemp("demandes")
        root = prepare_demo_ad(REPO, tmp / "ad")
        accounts = Accounts(tmp / "instance" / "comptes.sqlite")
        for login, role, extra in USERS.values():
            accounts.add(login, role, name=f"Test {role}", password=PASSWORD, **extra)
        accounts.add("mme.martin@ecole.test", "mandataire", name="Mme Martin", password=PASSWORD, coops=(OWN,))
        yield PortalEnv(Portal(root, tmp / "instance", lru_size=3, backup=False), root)


@pytest.fixture(autouse=True)
def _june(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-06-15")


def url(env: PortalEnv, endpoint: str = "", uai: str = OWN) -> str:
    return f"/coop/{uai}/{env.slug(uai)}/extension/Demandes/{endpoint}"


def log(env: PortalEnv, n: int = 1) -> list[str]:
    return subprocess.run(["git", "-C", str(env.root), "log", f"-{n}", "--format=%an|%ae|%s"], capture_output=True,
                          text=True, check=True).stdout.splitlines()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(client, path: str = "/ad/demandes/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def login(env: PortalEnv, identifiant: str, password: str):
    from werkzeug.test import Client

    client = Client(env.portal)
    response = client.post("/connexion", data={"identifiant": identifiant, "mot_de_passe": password, "suite": "/"})
    return client, response


CHANGE = {"type": "mandataire", "successeur": "M. Lefèvre", "email": SUCCESSOR, "a_partir_du": "01/09/2026",
          "message": "Je change d'école à la rentrée."}


def test_a_request_is_checked_field_by_field_and_nothing_is_written(env):
    client = env.client("mandataire")
    before = log(env)
    cases = [
        ({"successeur": ""}, "successeur", "Indiquez le nom du nouveau mandataire."),
        ({"successeur": "<script>x</script>"}, "successeur", "« < » et « > » sont refusés"),
        ({"email": "paul.lefevre@ac-versailles"}, "email", "n'est pas une adresse e-mail"),
        ({"email": "paul lefevre@ac-versailles.fr"}, "email", "n'est pas une adresse e-mail"),
        ({"a_partir_du": "31/09/2026"}, "a_partir_du", "Le 31/09/2026 n'existe pas dans le calendrier"),
        ({"a_partir_du": "01/06/2026"}, "a_partir_du", "Le 01/06/2026 est passé"),
        ({"message": "Moins de <5 ans"}, "message", "« < » et « > » sont refusés"),
    ]
    for change, field, message in cases:
        response = client.post(url(env, "envoyer"), data={**CHANGE, **change}, headers=ORIGIN)
        assert response.status_code == 422
        errors = response.get_json()["erreurs"]
        assert list(errors) == [field] and message in errors[field], (change, errors)
    details = client.post(url(env, "envoyer"), data={"type": "coordonnees", "email_ecole": "", "adresse": ""},
                          headers=ORIGIN).get_json()["erreurs"]
    assert details == {"email_ecole": "Indiquez le nouvel e-mail de l'école, sa nouvelle adresse, ou les deux."}
    assert log(env) == before and not (env.root / "ledgers" / OWN / DEMANDES_FILENAME).exists()
    # A vérificateur reads the coop but writes nothing, here neither.
    refused = env.client("verificateur").post(url(env, "envoyer"), data=CHANGE, headers=ORIGIN)
    assert refused.status_code == 403 and log(env) == before


def test_change_of_mandataire_from_request_to_the_successors_first_login(env, monkeypatch):
    teacher = env.client("mandataire")
    sent = teacher.post(url(env, "envoyer"), data=CHANGE, headers=ORIGIN)
    assert sent.status_code == 200 and sent.get_json()["ok"], sent.get_json()
    assert log(env) == [f"Test mandataire|{OWN}|Demande n° 1 à l'AD : Nouveau mandataire : M. Lefèvre "
                        f"({SUCCESSOR}) à partir du 01/09/2026"]
    again = teacher.post(url(env, "envoyer"), data=CHANGE, headers=ORIGIN).get_json()
    assert "La demande n° 1 (changement de mandataire) attend encore l'AD" in again["erreurs"]["general"]
    page = text(teacher.get(url(env)))
    assert "En attente de l'AD" in page and "Je change d'école à la rentrée." in page

    # The AD's console: listed with its status, filtered, exported.
    staff = env.client("ad_staff")
    listing = text(staff.get("/ad/demandes/"))
    assert f'data-demande="{OWN}-1"' in listing and "En attente de l'AD" in listing
    assert f'data-demande="{OWN}-1"' not in staff.get("/ad/demandes/?statut=validee").get_data(as_text=True)
    assert f'data-demande="{OWN}-1"' not in staff.get("/ad/demandes/?type=coordonnees").get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(staff.get("/ad/demandes/demandes.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("UAI", "École", "N°", "Type", "Objet", "Statut")
    assert rows[1][:4] == (OWN, "École élémentaire Jean Jaurès", 1, "Changement de mandataire")
    assert rows[1][5] == "En attente de l'AD"
    csv = staff.get("/ad/demandes/demandes.csv?statut=toutes").data.decode("utf-8-sig")
    assert f"{OWN};École élémentaire Jean Jaurès;1;Changement de mandataire;" in csv
    assert env.client("mandataire").get("/ad/demandes/").status_code == 403

    # The AD answers (markup refused), the teacher reads the answer and completes the request.
    detail = f"/ad/demandes/{OWN}/1"
    token = csrf(staff, detail)
    refused = staff.post(detail + "/repondre", data={"csrf": token, "texte": "<b>Non</b>"}, headers=ORIGIN)
    assert refused.status_code == 400 and "« < » et « > » sont refusés" in text(refused)
    answered = staff.post(detail + "/repondre", data={"csrf": token, "texte": "Pensez à clôturer au 31/08."},
                          headers=ORIGIN)
    assert answered.status_code == 302
    assert log(env) == ["Test ad_staff|staff@ad91.test|Demande n° 1 : réponse de l'AD"]
    page = text(teacher.get(url(env)))
    assert "Réponse de l'AD" in page and "Pensez à clôturer au 31/08." in page
    completed = teacher.post(url(env, "completer"), data={"numero": "1", "texte": "C'est noté."}, headers=ORIGIN)
    assert completed.get_json()["ok"]

    # Only an administrator validates a change of mandataire (it creates an account).
    token = csrf(staff, detail)
    assert staff.post(detail + "/valider", data={"csrf": token}, headers=ORIGIN).status_code == 403
    admin = env.client("ad_admin")
    validated = admin.post(detail + "/valider", data={"csrf": csrf(admin, detail), "texte": "Bonne rentrée !"},
                           headers=ORIGIN)
    assert validated.status_code == 200
    shown = validated.get_data(as_text=True)
    one_time = re.search(rf"<td>{re.escape(SUCCESSOR)}</td><td class=\"secret\"><code>([a-z0-9-]+)</code>", shown).group(1)
    assert "ne seront plus affichés" in shown
    assert one_time not in admin.get(detail).get_data(as_text=True)  # shown once
    assert log(env) == ["Test ad_admin|admin@ad91.test|Demande n° 1 : validée par l'AD"]
    mandats = yaml.safe_load((env.root / "ledgers" / OWN / "mandataires.yaml").read_text(encoding="utf-8"))
    assert mandats[-1]["nom"] == "M. Lefèvre" and str(mandats[-1]["depuis"]) == "2026-09-01"

    # Every step is kept with its author and date, in the record and in git.
    demande = load_demandes(env.root / "ledgers" / OWN)[0]
    assert [(e.action, e.identifiant) for e in demande.etapes] == [
        ("envoi", OWN), ("reponse", "staff@ad91.test"), ("complement", OWN), ("validation", "admin@ad91.test")]
    assert demande.statut == "validee" and all(e.le.date().isoformat() == "2026-06-15" for e in demande.etapes)
    assert "l'accès de l'ancien mandataire se ferme le 01/09/2026. Bonne rentrée !" in demande.etapes[-1].texte
    subjects = [line.split("|")[2] for line in log(env, 4)]
    assert subjects[::-1] == ["Demande n° 1 à l'AD : Nouveau mandataire : M. Lefèvre (paul.lefevre@ac-versailles.fr) à partir du 01/09/2026",
                              "Demande n° 1 : réponse de l'AD", "Demande n° 1 : complément du mandataire",
                              "Demande n° 1 : validée par l'AD"]
    page = text(teacher.get(url(env)))
    assert "Validée par l'AD" in page and "Bonne rentrée !" in page

    # The successor logs in with the one-time password and must choose their own.
    client, response = login(env, SUCCESSOR, one_time)
    assert response.status_code == 302 and response.headers["Location"].endswith("/mot-de-passe")
    page = client.get("/mot-de-passe").get_data(as_text=True)
    changed = client.post("/mot-de-passe", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
                                                 "actuel": one_time, "nouveau": "La coopé de Jean Jaurès 2026",
                                                 "confirmation": "La coopé de Jean Jaurès 2026"}, headers=ORIGIN)
    assert changed.status_code == 302
    assert client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/TableauDeBord/").status_code == 200
    assert client.get(f"/coop/{OTHER}/{env.slug(OTHER)}/extension/TableauDeBord/").status_code == 403

    # Until the date the outgoing mandataire still keeps the books; from that day, no more.
    old_coop, _ = login(env, OWN, PASSWORD)
    old_person, _ = login(env, "mme.martin@ecole.test", PASSWORD)
    dashboard = f"/coop/{OWN}/{env.slug(OWN)}/extension/TableauDeBord/"
    assert old_coop.get(dashboard).status_code == 200 and old_person.get(dashboard).status_code == 200
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-01")
    assert old_coop.get(dashboard).status_code == 403  # a live session closes too
    assert old_person.get(dashboard).status_code == 403
    assert client.get(dashboard).status_code == 200  # the successor keeps the coop
    again, response = login(env, OWN, PASSWORD)
    assert response.status_code == 401
    assert "Votre accès à la coopérative est fermé (changement de mandataire)" in text(response)
    assert env.portal.accounts.mandataires_by_coop()[OWN] == ["M. Lefèvre"]
    journal = [(action, target) for _at, _actor, action, target in env.portal.accounts.journal(10)]
    assert ("accès fermé à partir du 01/09/2026", f"{OWN} ({OWN})") in journal
    assert ("accès fermé à partir du 01/09/2026", f"mme.martin@ecole.test ({OWN})") in journal


def test_new_school_details_answered_then_validated_by_the_team(env):
    uai = OTHER
    teacher = env.client("ad_staff")  # the AD's team may write for a coop too, under its own name
    sent = teacher.post(url(env, "envoyer", uai), data={"type": "coordonnees", "email_ecole": "ce.0910002b@ac-versailles.fr",
                                                        "adresse": "3 rue des Tilleuls\n91300 Massy"}, headers=ORIGIN)
    assert sent.get_json()["ok"], sent.get_json()
    staff = env.client("ad_staff")
    listing = staff.get("/ad/demandes/?type=coordonnees").get_data(as_text=True)
    assert f'data-demande="{uai}-1"' in listing
    detail = f"/ad/demandes/{uai}/1"
    done = staff.post(detail + "/valider", data={"csrf": csrf(staff, detail)}, headers=ORIGIN)
    assert done.status_code == 302
    page = text(teacher.get(url(env, uai=uai)))
    assert "Dernières coordonnées enregistrées par l'AD" in page and "ce.0910002b@ac-versailles.fr" in page
    # A validated request no longer changes.
    again = staff.post(detail + "/repondre", data={"csrf": csrf(staff, detail), "texte": "Encore"}, headers=ORIGIN)
    assert again.status_code == 400 and "elle ne peut plus changer" in text(again)
