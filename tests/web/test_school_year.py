"""The school year with a frozen clock, through the real portal, the CLI and the console.

One coop keeps 2025-2026 (statement and cash count at 31/08/2026, ready to close). The clock
is set to 10/07/2026 (end of year), 15/09/2026 (rentrée: both exercices open), 01/10/2026
(CRF late) and 01/12/2026 (December). On each date the Tableau de bord and `retkoop ad etat`
give the same verdict for every item they both judge.
"""

from __future__ import annotations

import html as html_module
import json
import re
import subprocess
from decimal import Decimal

import pytest
from beancount import loader
from click.testing import CliRunner
from werkzeug.test import Client

from retkoop_tools.chart import load_chart
from retkoop_tools.cli import main
from retkoop_tools.cloture.actions import reopen_exercice
from retkoop_tools.cloture.report import is_provisional
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.calendrier import SHARED_KEYS
from retkoop_tools.tresorier.rentree import (
    OpeningNotFinalError,
    opening_balances,
    standalone_text,
)
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

UAI = "0920002B"
PASSWORD = "La rentrée des classes est là"
ADMIN = Author("Compta AD", "compta@ad92.fr")
ORIGIN = {"Origin": "http://localhost"}
YEAR = """2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  releve: 2026-08-31
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR

2026-03-10 * "Familles" "Participation à la sortie au musée"
  piece: "R01"
  mode: "VIR"
  releve: 2026-08-31
  Actif:512-Banque                  300.00 EUR
  Produits:7562-Participation-familles  -300.00 EUR

2026-06-30 custom "arrete-caisse" Actif:530-Caisse
  b50: 1

2026-08-31 custom "releve" Actif:512-Banque 1300.00 EUR

2026-08-31 custom "arrete-caisse" Actif:530-Caisse
  b50: 1
"""


def git(root, *args) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True).stdout.strip()


@pytest.fixture
def ad(tmp_path, monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-07-10")
    root = tmp_path / "ad"
    init_ad_repo(root, "92", "OCCE des Hauts-de-Seine", ADMIN)
    store = Store(root)
    create_coop(root, UAI, "École des Tilleuls", "Antony", Exercice(2025))
    store.commit_new_coop(UAI, ADMIN, "Nouvelle coopérative")
    store.insert_entries(UAI, YEAR, ADMIN, "Reprise et année 2025-2026", Exercice(2025))
    Accounts(tmp_path / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Mme Roux", password=PASSWORD)
    portal = Portal(root, tmp_path / "instance", backup=False)
    client = Client(portal)
    response = client.post("/connexion", data={"identifiant": UAI, "mot_de_passe": PASSWORD, "suite": "/"})
    assert response.status_code == 302
    return root, store, client, portal


def page_url(portal, page: str, endpoint: str = "") -> str:
    return f"/coop/{UAI}/{portal.pool.slug(UAI)}/extension/{page}/{endpoint}"


def dashboard(client, portal) -> str:
    response = client.get(page_url(portal, "TableauDeBord"))
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return html_module.unescape(response.get_data(as_text=True))


def page_verdicts(html: str) -> dict[str, str]:
    return {key: state for state, key in re.findall(r'data-rk-etat="([^"]+)" data-rk-cle="([^"]+)"', html)}


def console(root, day: str) -> dict:
    result = CliRunner().invoke(main, ["ad", "etat", "--json", "--date", day, "--repo", str(root)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return next(row for row in rows if row["uai"] == UAI)


def assert_agree(root, day: str, html: str) -> dict[str, str]:
    """Every shared item on the page has the console's verdict; the ones the page leaves out
    (another period's, done) are done for the console too."""
    shown, row = page_verdicts(html), console(root, day)
    judged = row["echeancier"]
    for key in SHARED_KEYS:
        if key in shown:
            assert judged.get(key) == shown[key], (day, key, shown, judged)
        elif key in judged:
            assert judged[key] == "fait", (day, key, shown, judged)
    return row


def saisie(client, portal, **fields):
    form = {"type": "recette", "mode": "VIR", "libelle": "Participation des familles", "montant": "20,00",
            "compte": "7562", "ventilation": "20,00", **fields}
    return client.post(page_url(portal, "Saisie", "enregistrer"), data=form, headers=ORIGIN)


def test_the_school_year(ad, monkeypatch):
    root, store, client, portal = ad
    coop_dir = root / "ledgers" / UAI

    # -- July: end of the school year --------------------------------------------------------
    html = dashboard(client, portal)
    assert "— exercice 2025-2026" in html and "(et " not in html
    assert "Maintenant — En fin d'année scolaire (juin – août)" in html
    assert "Livres à jour avant les vacances" in html and "Mandataire de l'an prochain" in html
    assert 'data-rk-cle="cloture"' not in html  # no earlier exercice to close
    saisie_page = html_module.unescape(client.get(page_url(portal, "Saisie")).get_data(as_text=True))
    assert 'value="10/07/2026"' in saisie_page
    assert_agree(root, "2026-07-10", html)

    # -- 15 September: the rentrée, both exercices open --------------------------------------
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-15")
    html = dashboard(client, portal)
    assert "— exercice 2026-2027" in html and "(et 2025-2026, ouvert jusqu'à sa clôture)" in html
    assert "Maintenant — En début d'année scolaire (septembre – octobre)" in html
    verdicts = page_verdicts(html)
    assert verdicts["releves-ete"] == "fait"  # the statement at 31/08 is ticked
    assert verdicts["cloture"] == verdicts["crf"] == verdicts["cra"] == verdicts["adhesion"] == "a-venir"
    assert "À faire avant le 30/09/2026" in html and "À faire avant le 15/10/2026" in html
    assert verdicts["ouverture"] == "a-venir" and "Ouvrir l'exercice 2026-2027" in html
    assert page_verdicts(html)["changements"] == "rappel"  # tell the AD about changes
    assert "Nouveau mandataire, adresse ou e-mail de l'école : prévenez l'AD" in html
    assert_agree(root, "2026-09-15", html)
    saisie_page = html_module.unescape(client.get(page_url(portal, "Saisie")).get_data(as_text=True))
    assert 'value="15/09/2026"' in saisie_page and 'value="D01"' in saisie_page  # the new year's first pièce

    # Dates refused, each with why and what to do.
    future = saisie(client, portal, date="16/09/2026", piece="R01").get_json()["erreurs"]["date"]
    assert future == "Le 16/09/2026 est dans le futur : une opération se saisit une fois faite."
    before = saisie(client, portal, date="15/03/2025", piece="R01").get_json()["erreurs"]["date"]
    assert "avant le premier exercice de la coopérative (2025-2026)" in before
    assert not (coop_dir / "2026-2027.beancount").exists()

    # The first receipt of the new year opens it (our SYSTEM write), then is recorded.
    head = git(root, "rev-parse", "HEAD")
    answer = saisie(client, portal, date="15/09/2026", piece="R01")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["message"].startswith(
        "Exercice 2026-2027 ouvert : ses soldes d'ouverture sont ceux de 2025-2026, provisoires")
    log = git(root, "log", "--format=%an|%s", f"{head}..HEAD").splitlines()
    assert len(log) == 2 and log[1] == "Mme Roux|Ouverture de l'exercice 2026-2027", log
    assert log[0].startswith("Mme Roux|Saisie") and "15/09/2026" in log[0], log
    new_text = (coop_dir / "2026-2027.beancount").read_text(encoding="utf-8")
    assert "Report à nouveau provisoire" in new_text and is_provisional(new_text)
    assert 'include "2026-2027.beancount"' in (coop_dir / "coop.beancount").read_text(encoding="utf-8")
    with pytest.raises(OpeningNotFinalError):
        opening_balances(new_text, Exercice(2026))

    # A correction in the old year (an August expense found late) carries over.
    late = saisie(client, portal, type="depense", date="28/08/2026", piece="D01", mode="CB",
                  libelle="Peinture", montant="40,00", compte="6063", ventilation="40,00")
    assert late.status_code == 200, late.get_json()
    html = dashboard(client, portal)
    assert 'data-rk-solde="Banque"><span>Banque</span><strong>1\u00a0280,00\u00a0€' in html  # 1300 − 40 + 20

    # -- 1 October: the CRF is late ----------------------------------------------------------
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-10-01")
    html = dashboard(client, portal)
    verdicts = page_verdicts(html)
    assert verdicts["cloture"] == verdicts["crf"] == verdicts["cra"] == "en-retard"
    assert verdicts["adhesion"] == "a-venir"
    assert "L'échéance du 30/09/2026 est passée." in html and 'class="rk-ko"' in html
    row = assert_agree(root, "2026-10-01", html)
    assert "CRF 2025-2026 attendu le 30/09/2026" in row["retards_liste"]

    # The closing keeps its conditions and writes the final report à nouveau.
    closed = client.post(page_url(portal, "FinExercice", "cloturer") + "?exercice=2025-2026", headers=ORIGIN)
    assert closed.status_code == 200, closed.get_data(as_text=True)
    new_text = (coop_dir / "2026-2027.beancount").read_text(encoding="utf-8")
    assert not is_provisional(new_text) and "Report à nouveau provisoire" not in new_text
    assert opening_balances(new_text, Exercice(2026)) == [("Actif:512-Banque", Decimal("1260.00")),
                                                         ("Actif:530-Caisse", Decimal("50.00"))]
    # 2026-2027 now loads on its own, from its opening entries, to the same balances.
    alone = root / "alone.beancount"
    alone.write_text(standalone_text(coop_dir, Exercice(2026), load_chart(root)), encoding="utf-8")
    entries, errors, _ = loader.load_file(str(alone))
    assert not errors, [e.message for e in errors]
    bank = sum(p.units.number for e in entries if hasattr(e, "postings") for p in e.postings
               if p.account == "Actif:512-Banque")
    assert bank == Decimal("1280.00")
    html = dashboard(client, portal)
    assert page_verdicts(html)["cloture"] == "fait" and page_verdicts(html)["crf"] == "en-retard"
    assert "(et 2025-2026" not in html
    assert_agree(root, "2026-10-01", html)

    # A reopening by the AD puts the provisional opening back; the books stay without error.
    reopened = reopen_exercice(store, UAI, Exercice(2025), ADMIN, "Subvention à reventiler")
    assert reopened.ok, reopened.errors
    assert is_provisional((coop_dir / "2026-2027.beancount").read_text(encoding="utf-8"))
    _entries, errors, _ = loader.load_file(str(coop_dir / "coop.beancount"))
    assert not errors, [e.message for e in errors]

    # -- December ----------------------------------------------------------------------------
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-12-01")
    html = dashboard(client, portal)
    assert "— exercice 2026-2027" in html
    assert "Maintenant — Tout au long de l'année" in html
    verdicts = page_verdicts(html)
    assert verdicts["cloture"] == verdicts["crf"] == verdicts["adhesion"] == "en-retard"
    assert verdicts["releve"] == "en-retard"  # the last statement is of 31/08
    assert "Relevé bancaire pointé" in html
    assert 'value="01/12/2026"' in client.get(page_url(portal, "Saisie")).get_data(as_text=True)
    row = assert_agree(root, "2026-12-01", html)
    assert "Adhésion 2026-2027 attendue le 15/10/2026" in row["retards_liste"]


def test_the_cli_follows_the_clock(ad, monkeypatch):
    root, _store, _client, _portal = ad
    runner = CliRunner()
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", "2026-09-02")
    shown = runner.invoke(main, ["exercice", "courant", UAI, "--repo", str(root)])
    assert shown.exit_code == 0, shown.output
    assert "Exercice en cours : 2026-2027 (pas encore ouvert)" in shown.output
    assert "Exercices ouverts : 2025-2026" in shown.output
    opened = runner.invoke(main, ["exercice", "ouvrir", UAI, "--repo", str(root)])  # today's exercice
    assert opened.exit_code == 0, opened.output
    assert "2026-2027.beancount" in opened.output
    text = (root / "ledgers" / UAI / "2026-2027.beancount").read_text(encoding="utf-8")
    assert is_provisional(text) and "Report à nouveau provisoire" in text
    shown = runner.invoke(main, ["exercice", "courant", UAI, "--repo", str(root)])
    assert "Exercice en cours : 2026-2027 (ouvert)" in shown.output
    assert "Exercices ouverts : 2025-2026, 2026-2027" in shown.output
