"""The AD console through the real portal: who may open it, what it shows, what it exports,
the history of a coop, and the mandataire change at the rentrée."""

from __future__ import annotations

import io
import re

import pytest

from tests.web.conftest import ORIGIN, OTHER, OWN, PASSWORD
from tests.web.test_writes import ENTRY

CONSOLE_PAGES = ["/ad/", "/ad/etat.csv", "/ad/etat.xlsx", "/ad/etat.json", "/ad/comptes-agreges",
                 "/ad/comptes-agreges.pdf?exercice=2024-2025", "/ad/comptes-agreges.xlsx", "/ad/echantillon",
                 "/ad/echantillon.csv?graine=1", "/ad/export-national.csv", "/ad/export-national.parquet",
                 f"/ad/coop/{OWN}/historique", f"/ad/coop/{OWN}/vers/errors/", "/ad/progression.json"]


@pytest.fixture(autouse=True)
def _summaries_computed(request):
    if "env" in request.fixturenames:
        request.getfixturevalue("env").console_ready()


def plain(text: str) -> str:
    """Amounts are written with non-breaking spaces: compare with plain ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("role", ["mandataire", "verificateur"])
def test_coop_roles_never_reach_the_console(env, role):
    client = env.client(role)
    for path in CONSOLE_PAGES:
        assert client.get(path).status_code == 403, path


def test_anonymous_is_sent_to_the_login(env):
    response = env.client().get("/ad/etat.csv")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_dashboard_rows_filters_and_exports(env):
    client = env.client("ad_staff")
    page = plain(client.get("/ad/?date=2026-11-23").get_data(as_text=True))
    assert page.count('<tr class="retard">') == 5
    assert "CRF 2025-2026 attendu le 30/09/2026" in page and "7 115,80" in page
    assert "Test mandataire" in page  # the mandataire's account name
    before = client.get("/ad/?date=2026-09-10&filtre=retard").get_data(as_text=True)
    assert '<tr class="retard">' not in before  # nothing is late before the deadlines
    csv = client.get("/ad/etat.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 6 and lines[1].startswith(f"{OWN};")
    rows = client.get("/ad/etat.json").get_json()
    assert {r["uai"] for r in rows} == {"0910001A", "0910002B", "0910003C", "0910004D", "0910005E"}
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/ad/etat.xlsx").get_data())).active
    assert sheet.max_row == 1 + 5 + 1 and sheet["A1"].value == "UAI"


def test_aggregated_accounts_drill_down_and_documents(env):
    client = env.client("ad_admin")
    page = plain(client.get("/ad/comptes-agreges?exercice=2024-2025").get_data(as_text=True))
    assert "9 953,23" in page and "Résultat de l&#39;AD = somme des résultats" in page
    detail = client.get("/ad/comptes-agreges?exercice=2024-2025&ligne=subventions").get_data(as_text=True)
    amounts = re.findall(r'data-valeur="([0-9.-]+)"', detail)
    assert len(amounts) == 5
    total = re.search(r"Total \(5 coopératives\)</th><th class=\"montant\">([^<]+)<", detail).group(1)
    from decimal import Decimal

    assert f"{sum(Decimal(a) for a in amounts):.2f}".replace(".", ",") in total.replace("\u202f", "").replace(
        "\xa0", "").replace(" ", "")
    assert client.get("/ad/comptes-agreges?exercice=2024-2025&ligne=nope").status_code == 404
    assert client.get("/ad/comptes-agreges?exercice=2024-2026").status_code == 400
    pdf = client.get("/ad/comptes-agreges.pdf?exercice=2024-2025")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.get_data()[:5] == b"%PDF-"


def test_sample_is_the_same_for_the_same_seed(env):
    client = env.client("ad_staff")
    first = client.get("/ad/echantillon?exercice=2025-2026&taux=40&graine=777").get_data(as_text=True)
    second = client.get("/ad/echantillon?exercice=2025-2026&taux=40&graine=777").get_data(as_text=True)
    drawn = re.findall(r'<td><a href="/coop/(\w+)/">', first)
    assert len(drawn) >= 2 and drawn == re.findall(r'<td><a href="/coop/(\w+)/">', second)
    wrong = client.get("/ad/echantillon?exercice=2025-2026&taux=abc&graine=777")
    assert wrong.status_code == 400 and "pourcentage entier" in wrong.get_data(as_text=True)
    csv = client.get("/ad/echantillon.csv?exercice=2025-2026&taux=40&graine=777").get_data().decode("utf-8-sig")
    assert [line.split(";")[0] for line in csv.splitlines()[1:]] == drawn


def test_history_filters_and_commit_page(env):
    staff = env.client("ad_staff")
    # A write by the mandataire through Fava's API, to find in the history.
    entry = dict(ENTRY, payee="Librairie", narration="Livres", meta={"piece": "W077", "mode": "VIR"})
    response = env.client("mandataire").put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries",
                                            json={"entries": [entry]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)

    page = staff.get(f"/ad/coop/{OWN}/historique?auteur=Test+mandataire").get_data(as_text=True)
    commits = re.findall(rf'/ad/coop/{OWN}/commit/([0-9a-f]{{40}})', page)
    assert len(commits) == 1 and "Librairie" in page
    assert f"/ad/coop/{OWN}/commit/" not in staff.get(
        f"/ad/coop/{OWN}/historique?auteur=Test+mandataire&au=2020-01-01").get_data(as_text=True)
    assert "Librairie" not in staff.get(f"/ad/coop/{OWN}/historique?exercice=2024-2025&auteur=Test+mandataire"
                                         ).get_data(as_text=True)
    commit = staff.get(f"/ad/coop/{OWN}/commit/{commits[0]}").get_data(as_text=True)
    assert "Test mandataire" in commit and "W077" in commit and 'class="plus"' in commit
    # The same commit asked for under another coop: it did not touch it.
    assert staff.get(f"/ad/coop/{OTHER}/commit/{commits[0]}").status_code == 404
    assert staff.get(f"/ad/coop/{OWN}/commit/not-a-sha").status_code == 404
    assert staff.get(f"/ad/coop/{OWN}/historique?du=hier").status_code == 400


def test_mandataire_change_closes_the_old_access(env):
    admin = env.client("ad_admin")
    outgoing = env.client("mandataire")
    assert outgoing.get(f"/coop/{OWN}/").status_code in (200, 302)
    csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/admin/comptes").get_data(as_text=True)).group(1)
    refused = admin.post("/admin/mandataire", data={"csrf": csrf, "uai": OWN, "nom": ""}, headers=ORIGIN)
    assert refused.status_code == 400 and "nom du nouveau mandataire" in refused.get_data(as_text=True)
    done = admin.post("/admin/mandataire", data={"csrf": csrf, "uai": OWN, "nom": "M. Durand",
                                                  "email": "durand@ecole.test"}, headers=ORIGIN)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "M. Durand" in page
    secrets_ = dict(re.findall(r"<td>([^<]+)</td><td class=\"secret\"><code>([^<]+)</code>", page))
    assert set(secrets_) == {OWN, "durand@ecole.test"}
    # The outgoing session is closed, the old password no longer works.
    assert outgoing.get(f"/coop/{OWN}/").status_code == 302
    old = env.client().post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD, "suite": "/"})
    assert old.status_code == 401
    new = env.client().post("/connexion", data={"identifiant": "durand@ecole.test",
                                                "mot_de_passe": secrets_["durand@ecole.test"], "suite": "/"})
    assert new.status_code == 302 and new.headers["Location"].endswith("/mot-de-passe")
    journal = env.portal.accounts.journal(5)
    assert any(actor == "admin@ad91.test" and action == "changement de mandataire" and "M. Durand" in target
               for _, actor, action, target in journal)
    # The dashboard now names the new mandataire.
    assert "M. Durand" in env.client("ad_staff").get("/ad/").get_data(as_text=True)
    # Staff cannot change accounts.
    staff = env.client("ad_staff")
    token = re.search(r'name="csrf" value="([^"]+)"', staff.get("/ad/").get_data(as_text=True)).group(1)
    assert staff.post("/admin/mandataire", data={"csrf": token, "uai": OWN, "nom": "X Y Z"},
                      headers=ORIGIN).status_code == 403
