"""What the AD looks for in a coop's books, through the real console: a generated AD whose coops
each carry one deliberate mistake (an overdraft, a remise worth more than its cheques, a régie
overspent and one never returned, an old cheque not debited, a CRF locked two months late, a
report à nouveau typed again or changed), and beside each its nearest legal neighbour (a bank
at exactly zero, a remise equal to its cheques, a régie returned, a cheque ticked or only 80
days old, a CRF handed in on the deadline, a report written by the closing)."""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.test import Client

from retkoop_tools.cloture.actions import close_exercice
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import (
    apply_changes,
    create_coop,
    exercice_changes,
    insert_position,
)
from retkoop_tools.store.gitcmd import git
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

PASSWORD = "Le contrôle des coopératives !"
ADMIN = Author("Compta AD", "compta@ad91.test")
DAY = "2026-12-15"  # the exercice to hand in is 2025-2026 (CRF due 30/09/2026)
OVERDRAWN, NEIGHBOUR, REMISE, LATE, RETYPED, CHANGED, CCP = (
    "0910011A", "0910012B", "0910013C", "0910014D", "0910015E", "0910016F", "0910017G")

OPENING = """2024-09-01 * "Reprise des soldes" "Ouverture des comptes"
  nature: "ouverture"
  {releve}Actif:{bank}  {amount} EUR
  Actif:530-Caisse  {caisse} EUR
  Capitaux:110-Report-a-nouveau  -{total} EUR
"""


def _opening(amount: str = "1000.00", caisse: str = "50.00", bank: str = "512-Banque", releve: str = "") -> str:
    return OPENING.format(amount=amount, caisse=caisse, bank=bank, total=Decimal(amount) + Decimal(caisse),
                          releve=f"releve: {releve}\n  " if releve else "")


def _op(date: str, piece: str, payee: str, postings: dict[str, str], mode: str = "", nature: str = "",
        cheque: str = "", releve: str = "", links: str = "") -> str:
    meta = [f'  piece: "{piece}"'] + ([f'  nature: "{nature}"'] if nature else []) \
        + ([f'  mode: "{mode}"'] if mode else []) + ([f'  cheque: "{cheque}"'] if cheque else []) \
        + ([f"  releve: {releve}"] if releve else [])
    lines = [f'{date} * "{payee}" "Opération {piece}"' + (f" {links}" if links else ""), *meta]
    lines += [f"  {account}  {amount} EUR" for account, amount in postings.items()]
    return "\n".join(lines) + "\n"


B, C, K = "Actif:512-Banque", "Actif:530-Caisse", "Actif:5112-Cheques-a-encaisser"

BOOKS_2025: dict[str, str] = {
    # Overdrawn (-332,00 €) from 12/03/2026 to 20/03/2026; one cheque issued on 20/08/2026 and never debited.
    OVERDRAWN: _op("2026-03-12", "D01", "Autocars Dupont", {"Charges:6247-Transports": "1200.00", B: "-1200.00"},
                   mode="VIR")
    + _op("2026-03-20", "R01", "Mairie", {B: "500.00", "Produits:744-Subvention-commune": "-500.00"}, mode="VIR")
    + _op("2026-08-20", "D02", "Librairie", {"Charges:6181-Livres-abonnements": "45.00", B: "-45.00"},
          mode="CHQ", cheque="7000001")
    + _op("2025-10-02", "D03", "OCCE 91", {"Charges:6281-Cotisation-OCCE": "120.00",
                                           "Charges:6168-Assurance": "12.00", B: "-132.00"}, mode="PRLV"),
    # The legal neighbours: a bank at exactly zero, a cheque ticked, a remise equal to its cheques,
    # a régie justified and returned.
    NEIGHBOUR: _op("2026-03-12", "D01", "Autocars Dupont", {"Charges:6247-Transports": "950.00", B: "-950.00"},
                   mode="CHQ", cheque="8000001", releve="2026-03-31")
    + '2026-03-31 custom "releve" Actif:512-Banque 50.00 EUR\n\n'
    + _op("2026-03-20", "R01", "Kermesse", {B: "200.00", "Produits:708-Fetes-ventes": "-200.00"}, mode="VIR")
    + _op("2025-10-01", "R02", "Famille A", {K: "15.00", "Produits:7562-Participation-familles": "-15.00"},
          mode="CHQ", cheque="111", links="^chq-b-r02")
    + _op("2025-10-01", "R03", "Famille B", {K: "15.00", "Produits:7562-Participation-familles": "-15.00"},
          mode="CHQ", cheque="112", links="^chq-b-r03")
    + _op("2025-10-05", "R04", "Remise de chèques", {B: "30.00", K: "-30.00"}, mode="CHQ", nature="remise",
          links="^chq-b-r02 ^chq-b-r03")
    + _op("2026-03-01", "D02", "Mme Martin", {"Actif:54-Regies:Martin": "40.00", C: "-40.00"}, mode="ESP",
          nature="regie", links="^regie-martin")
    + _op("2026-03-10", "D03", "Mme Martin", {"Charges:6068-Fournitures-projets": "30.00",
                                              "Actif:54-Regies:Martin": "-30.00"}, mode="ESP", links="^regie-martin")
    + _op("2026-03-10", "R05", "Mme Martin", {C: "10.00", "Actif:54-Regies:Martin": "-10.00"}, mode="ESP",
          nature="regie", links="^regie-martin")
    + _op("2025-10-02", "D04", "OCCE 91", {"Charges:6281-Cotisation-OCCE": "80.00", B: "-80.00"}, mode="PRLV"),
    # A remise of 40 € for two 15 € cheques; a régie of 100 € justified with 180 €; a régie of
    # 300 € handed out in June and never justified.
    REMISE: _op("2025-10-01", "R01", "Famille A", {K: "15.00", "Produits:7562-Participation-familles": "-15.00"},
                mode="CHQ", cheque="211", links="^chq-c-r01")
    + _op("2025-10-01", "R02", "Famille B", {K: "15.00", "Produits:7562-Participation-familles": "-15.00"},
          mode="CHQ", cheque="212", links="^chq-c-r02")
    + _op("2025-10-05", "R03", "Remise de chèques", {B: "40.00", K: "-40.00"}, mode="CHQ", nature="remise",
          links="^chq-c-r01 ^chq-c-r02")
    + _op("2026-03-01", "D01", "Mme Petit", {"Actif:54-Regies:Petit": "100.00", C: "-100.00"}, mode="ESP",
          nature="regie", links="^regie-petit")
    + _op("2026-03-15", "D02", "Mme Petit", {"Charges:6068-Fournitures-projets": "180.00",
                                             "Actif:54-Regies:Petit": "-180.00"}, mode="ESP", links="^regie-petit")
    + _op("2026-06-10", "D03", "M. Roux", {"Actif:54-Regies:Roux": "300.00", C: "-300.00"}, mode="ESP",
          nature="regie", links="^regie-roux"),
    LATE: _op("2025-10-02", "D01", "OCCE 91", {"Charges:6281-Cotisation-OCCE": "100.00", B: "-100.00"}, mode="PRLV"),
    # The opening typed again at the rentrée, as in a spreadsheet: the report à nouveau doubles.
    RETYPED: _opening().replace("2024-09-01", "2025-09-01"),
    CHANGED: _op("2025-10-02", "D01", "OCCE 91", {"Charges:6281-Cotisation-OCCE": "60.00", B: "-60.00"}, mode="PRLV"),
    # La Banque Postale, overdrawn now.
    CCP: _op("2026-05-02", "D01", "Car", {"Charges:6247-Transports": "150.00", "Actif:514-CCP": "-150.00"},
             mode="PRLV"),
}
REGIES = {NEIGHBOUR: ("Martin",), REMISE: ("Petit", "Roux")}

LATE_DOSSIER = """exercice: 2025-2026
verification:
  date: 2026-11-20
  verificateurs:
  - {nom: M. Parent, qualite: "Parent d'élève"}
  - {nom: Mme Autre, qualite: "Parent d'élève"}
statut: verrouille
historique:
- {le: "2026-11-25T18:00:00", par: Mme Durand, action: cloture}
- {le: "2026-11-29T10:00:00", par: Mme Durand, action: soumission}
- {le: "2026-11-30T09:00:00", par: Compta AD, action: verrouillage}
"""
ON_TIME_DOSSIER = LATE_DOSSIER.replace("statut: verrouille", "statut: soumis").replace(
    '- {le: "2026-11-29T10:00:00", par: Mme Durand, action: soumission}\n'
    '- {le: "2026-11-30T09:00:00", par: Compta AD, action: verrouillage}\n',
    '- {le: "2026-09-30T20:00:00", par: Mme Martin, action: soumission}\n').replace("2026-11-20", "2026-09-20")
ADHESION = """exercice: 2026-2027
classes:
- {niveau: CP, enseignant: Mme Durand, eleves: 24, adultes: 1}
- {niveau: CE1, enseignant: M. Blanc, eleves: 22, adultes: 1}
options: {revue: false, biens_declares: '0', participation_volontaire: '0'}
mandataire: {nom: Mme Durand, engagement: true}
statut: validee
paiement: ''
historique: []
"""
MANDATAIRES = """- {nom: Mme Durand, depuis: 2024-09-01, email: durand@ecole.test}
- {nom: M. Blanc, depuis: 2027-01-01, email: blanc@ecole.test}
"""


def _add(path: Path, text: str) -> None:
    content = path.read_text(encoding="utf-8")
    at = insert_position(content)
    path.write_text(content[:at] + text + "\n" + content[at:], encoding="utf-8")


def _commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message,
        env={"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
             "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"})


def build_ad(root: Path) -> Path:
    """Seven coops over 2024-2025 and 2025-2026, committed as a push would bring them."""
    init_ad_repo(root, "91", "OCCE de test", ADMIN)
    ad_yaml = root / "ad.yaml"
    ad_yaml.write_text(ad_yaml.read_text(encoding="utf-8") + "adhesion:\n  '2026-2027': {eleve: 2.30, adulte: 8.20, "
                       "assurance: 0.26, revue: 6.80}\n", encoding="utf-8")
    for uai, text in BOOKS_2025.items():
        coop_dir = create_coop(root, uai, f"École {uai}", "Évry", Exercice(2024), banques="514" if uai == CCP else "",
                               email="ce.0910014d@ac-versailles.fr" if uai == LATE else "")
        apply_changes(coop_dir, exercice_changes(coop_dir, Exercice(2025)))
        if uai == CCP:
            opening = _opening("100.00", bank="514-CCP")
        elif uai == NEIGHBOUR:  # ticked on the first statement
            opening = _opening(releve="2024-09-30") + '\n2024-09-30 custom "releve" Actif:512-Banque 1000.00 EUR\n'
        else:
            opening = _opening(caisse="500.00" if uai == REMISE else "50.00")
        _add(coop_dir / "2024-2025.beancount", opening)
        _add(coop_dir / "2025-2026.beancount", text)
        for teacher in REGIES.get(uai, ()):
            with open(coop_dir / "comptes.beancount", "a", encoding="utf-8") as f:
                f.write(f"2024-09-01 open Actif:54-Regies:{teacher} EUR\n")
    late = root / "ledgers" / LATE
    (late / "crf-2025-2026.yaml").write_text(LATE_DOSSIER, encoding="utf-8")
    (late / "adhesion-2026-2027.yaml").write_text(ADHESION, encoding="utf-8")
    (late / "mandataires.yaml").write_text(MANDATAIRES, encoding="utf-8")
    (root / "ledgers" / NEIGHBOUR / "crf-2025-2026.yaml").write_text(ON_TIME_DOSSIER, encoding="utf-8")
    _commit(root, "Livres des coopératives")
    store = Store(root)
    for uai in (NEIGHBOUR, CHANGED):  # the closing writes the report à nouveau
        result = close_exercice(store, uai, Exercice(2024), ADMIN, force=True, today=datetime.date(2025, 9, 20))
        assert result.ok, result.errors
    changed = root / "ledgers" / CHANGED / "2025-2026.beancount"
    text = changed.read_text(encoding="utf-8")
    assert " balance Actif:512-Banque" in text and "1000.00 EUR" in text
    changed.write_text(text.replace("1000.00 EUR", "1010.00 EUR", 1), encoding="utf-8")
    _commit(root, "Report à nouveau modifié à la main")
    return root


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    base = tmp_path_factory.mktemp("controles")
    env = pytest.MonkeyPatch()  # module-scoped: before the per-test cache of conftest
    env.setenv("RETKOOP_CACHE_DIR", str(base / "cache"))
    root = build_ad(base / "ad")
    accounts = Accounts(base / "instance" / "comptes.sqlite")
    accounts.add("staff@ad91.test", "ad_staff", name="Comptable AD", password=PASSWORD)
    accounts.add("durand.perso@ecole.test", "mandataire", name="Mme Durand", password=PASSWORD, coops=(LATE,))
    portal = Portal(root, base / "instance", lru_size=2, backup=False)
    portal.summaries.refresh()  # the pages then find every coop computed
    # The avertissements come from the rules' second level (another module): one coop gets some.
    portal.summaries.get(LATE)["nb_avertissements"] = 3
    yield portal
    env.undo()


@pytest.fixture(scope="module")
def staff(portal) -> Client:
    client = Client(portal)
    response = client.post("/connexion", data={"identifiant": "staff@ad91.test", "mot_de_passe": PASSWORD, "suite": "/"})
    assert response.status_code == 302
    return client


def rows(staff: Client, day: str = DAY, filtre: str = "tous") -> dict[str, dict]:
    response = staff.get(f"/ad/etat.json?date={day}&filtre={filtre}")
    assert response.status_code == 200
    return {r["uai"]: r for r in response.get_json()}


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_the_books_load_as_intended(portal):
    summaries = portal.summaries.all()
    assert len(summaries) == 7
    # The legal neighbours and the coop late with its CRF have clean books; the report changed by
    # hand fails Beancount's balance assertion. (The other mistakes are the rules' to report, as
    # errors or avertissements depending on the AD: the console shows them either way.)
    for uai in (NEIGHBOUR, LATE):
        assert summaries[uai]["nb_erreurs"] == 0, summaries[uai]["erreurs"]
    assert any("Actif:512-Banque" in e["message"] for e in summaries[CHANGED]["erreurs"])


def test_overdrafts_now_and_during_the_exercice(staff):
    found = rows(staff, filtre="decouvert")
    assert set(found) == {OVERDRAWN, CCP}
    assert plain(found[OVERDRAWN]["decouvert"]) == "Banque – compte courant à -332,00 € le 12/03/2026"
    assert "aujourd'hui" in found[CCP]["decouvert"] and "-50,00 €" in plain(found[CCP]["decouvert"])
    everyone = rows(staff)
    assert everyone[NEIGHBOUR]["decouvert"] == ""  # at exactly 0,00 € on 12/03/2026
    html = plain(staff.get(f"/ad/?date={DAY}&filtre=decouvert").get_data(as_text=True))
    assert html.count("<tr class=") == 2 and "Découvert bancaire (jusqu&#39;à -332,00 €)" in html
    assert "Banque – compte courant à -332,00 € le 12/03/2026" in html


def test_negative_remise_and_regies(staff):
    negatives = rows(staff, filtre="negatifs")
    assert set(negatives) == {REMISE}
    text = plain(negatives[REMISE]["negatifs"])
    assert "Chèques à encaisser à -10,00 € le 05/10/2025" in text
    assert "Régie Petit à -80,00 € le 15/03/2026" in text
    assert "Chèques à encaisser à -10,00 € aujourd'hui" in text
    open_regies = rows(staff, filtre="regies")
    assert set(open_regies) == {REMISE}  # the neighbour's régie was justified and returned
    assert plain(open_regies[REMISE]["regies_ouvertes"]) == "Roux 300,00 €"
    assert "Régie non restituée au 31/08/2026 : Roux (300,00 €)" in [plain(a) for a in open_regies[REMISE]["alertes"]]


def test_cheques_not_debited_for_more_than_three_months(staff):
    # The cheque of 20/08/2026: 80 days on 08/11, exactly three months on 20/11, more on 21/11.
    assert OVERDRAWN not in rows(staff, "2026-11-08", "cheques")
    assert OVERDRAWN not in rows(staff, "2026-11-20", "cheques")
    late = rows(staff, "2026-11-21", "cheques")
    assert set(late) == {OVERDRAWN}  # the neighbour's older cheque is ticked on a statement
    row = late[OVERDRAWN]
    assert (row["cheques_nb"], row["cheques_montant"]) == (1, "45.00")
    assert row["cheques"] == [{"date": "2026-08-20", "montant": "45.00", "numero": "7000001", "piece": "D02",
                               "libelle": "Librairie – Opération D02"}]
    csv_text = staff.get(f"/ad/etat.csv?date={DAY}&filtre=cheques").get_data().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(csv_text), delimiter=";"))
    assert [(r["UAI"], r["Chèques non débités > 3 mois"], r["Montant de ces chèques"]) for r in table] == [
        (OVERDRAWN, "1", "45,00")]


def test_crf_handed_in_late_still_shows_late(staff):
    everyone = rows(staff)
    late, on_time = everyone[LATE], everyone[NEIGHBOUR]
    assert (late["crf_code"], late["crf_remis_le"], late["crf_verrouille_le"], late["crf_retard"]) == (
        "verrouille", "2026-11-29", "2026-11-30", 60)
    assert "CRF 2025-2026 remis le 29/11/2026, 60 jours après l'échéance du 30/09/2026" in late["retards_liste"]
    assert late["niveau"] == "retard"
    assert (on_time["crf_remis_le"], on_time["crf_retard"]) == ("2026-09-30", None)  # on the deadline day
    assert not any("CRF" in r for r in on_time["retards_liste"])
    assert everyone[OVERDRAWN]["crf_retard"] == 76  # not handed in: late since 30/09
    assert LATE in rows(staff, filtre="crf-retard") and NEIGHBOUR not in rows(staff, filtre="crf-retard")
    html = plain(staff.get(f"/ad/?date={DAY}").get_data(as_text=True))
    assert "29/11/2026" in html and "60 j de retard" in html and "verrouillé le 30/11/2026" in html


def test_adhesion_amount_headcount_and_emails(staff):
    row = rows(staff)[LATE]
    # 46 pupils × 2,30 + 2 adults × 8,20 + 48 members × 0,26 (ad.yaml, 2026-2027)
    assert (row["adhesion_montant"], row["eleves"], row["adultes"]) == ("134.68", 46, 2)
    # Today's mandataire (not the one from 2027), her personal account, then the school.
    assert row["emails"] == ["durand@ecole.test", "durand.perso@ecole.test", "ce.0910014d@ac-versailles.fr"]
    html = staff.get(f"/ad/?date={DAY}").get_data(as_text=True)
    assert 'href="mailto:durand@ecole.test"' in html and "blanc@ecole.test" not in html
    assert "134,68" in plain(html) and "46 élèves, 2 adultes" in html
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(staff.get(f"/ad/etat.xlsx?date={DAY}").get_data())).active
    headers = [c.value for c in sheet[1]]
    line = {h: c.value for h, c in zip(headers, sheet[1 + 1 + sorted(BOOKS_2025).index(LATE)])}
    assert line["UAI"] == LATE and line["Montant de l'adhésion"] == pytest.approx(134.68)
    assert line["CRF remis le"] == datetime.datetime(2026, 11, 29) and line["Retard du CRF (jours)"] == 60


def test_avertissements_column_and_filter(staff):
    found = rows(staff, filtre="avertissements")
    assert found[LATE]["avertissements"] == 3 and all(r["avertissements"] > 0 for r in found.values())
    assert {uai for uai, r in rows(staff).items() if r["avertissements"]} == set(found)
    assert "3 avertissement(s)" in found[LATE]["alertes"]


def test_report_a_nouveau_against_the_previous_closing(staff):
    wrong = rows(staff, filtre="report")
    assert set(wrong) == {RETYPED, CHANGED}
    assert "(écart 1 050,00 €)" in plain(wrong[RETYPED]["report"])  # bank and caisse counted twice
    assert "écriture d'ouverture ressaisie (2025-2026.beancount:" in wrong[RETYPED]["report"]
    assert "reporté 1 010,00 € au lieu de 1 000,00 €" in plain(wrong[CHANGED]["report"])
    everyone = rows(staff)
    assert everyone[NEIGHBOUR]["report"] == "OK" and everyone[NEIGHBOUR]["report_ok"] is True
    html = plain(staff.get("/ad/comptes-agreges?exercice=2025-2026").get_data(as_text=True))
    assert "Report à nouveau de chaque coopérative = clôture de l&#39;exercice précédent" in html
    assert f"À revoir pour : {RETYPED}" in html
    listing = staff.get("/ad/comptes-agreges/reports.csv?exercice=2025-2026").get_data().decode("utf-8-sig")
    table = {r["UAI"]: r for r in csv.DictReader(io.StringIO(listing), delimiter=";")}
    assert set(table) == set(BOOKS_2025)
    assert (table[RETYPED]["Écart"], table[RETYPED]["Résultat"]) == ("1050,00", "À VOIR")
    assert (table[NEIGHBOUR]["Écart"], table[NEIGHBOUR]["Résultat"]) == ("0,00", "OK")
    first_year = staff.get("/ad/comptes-agreges/reports.csv?exercice=2024-2025").get_data().decode("utf-8-sig")
    assert all(r["Résultat"] == "—" for r in csv.DictReader(io.StringIO(first_year), delimiter=";"))


def test_aggregated_accounts_by_account(staff, portal):
    html = plain(staff.get("/ad/comptes-agreges?exercice=2025-2026&vue=comptes").get_data(as_text=True))
    assert 'id="comptes"' in html and "Cotisation OCCE" in html
    detail = staff.get("/ad/comptes-agreges?exercice=2025-2026&compte=6281").get_data(as_text=True)
    assert "Total (7 coopératives)" in detail and "360,00" in plain(detail)  # 120 + 80 + 100 + 60
    assert staff.get("/ad/comptes-agreges?exercice=2025-2026&compte=9999").status_code == 404
    listing = staff.get("/ad/comptes-agreges/comptes.csv?exercice=2025-2026").get_data().decode("utf-8-sig")
    by_code = {r["Compte"]: r for r in csv.DictReader(io.StringIO(listing), delimiter=";")}
    assert (by_code["6281"]["Montant"], by_code["6281"]["Coopératives concernées"]) == ("360,00", "4")
    assert by_code["6168"]["Montant"] == "12,00" and by_code["744"]["Montant"] == "500,00"
    # The accounts add up to the CRF lines.
    lines = staff.get("/ad/comptes-agreges.xlsx?exercice=2025-2026").get_data()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(lines))
    assert {"Par compte", "Comptes par coopérative", "Report à nouveau"} <= set(book.sheetnames)
    cotisations = next(r for r in book["Comptes agrégés 2025-2026"].iter_rows(values_only=True)
                       if r[1] == "Cotisations versées")
    assert cotisations[2] == pytest.approx(372.00)  # 6281 + 6168
    control = {r[0]: r[1] for r in book["Contrôles"].iter_rows(values_only=True)}
    assert control["Les comptes de chaque coopérative font ses lignes du CRF"] == "OK"
    one = staff.get("/ad/comptes-agreges/detail.csv?exercice=2025-2026&compte=6281").get_data().decode("utf-8-sig")
    amounts = {r["UAI"]: r["Montant"] for r in csv.DictReader(io.StringIO(one), delimiter=";")}
    assert amounts[OVERDRAWN] == "120,00" and amounts[REMISE] == "0,00"
    sheet = load_workbook(io.BytesIO(staff.get("/ad/comptes-agreges/comptes.xlsx?exercice=2025-2026").get_data()))
    assert sheet.sheetnames == ["Par compte 2025-2026", "Comptes par coopérative"]
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(staff.get("/ad/comptes-agreges.pdf?exercice=2025-2026").get_data()))
    text = plain("".join(p.extract_text() for p in pdf.pages))
    assert "2. Par compte" in text and "Cotisation OCCE" in text and "360,00" in text
    assert "Reports à nouveau à revoir" in text and RETYPED in text


def test_sample_weighed_by_risk_is_reproducible(staff):
    url = f"/ad/echantillon?exercice=2025-2026&critere=risque&taux=30&graine=4242&date={DAY}"
    first, again = staff.get(url).get_data(as_text=True), staff.get(url).get_data(as_text=True)
    import re

    drawn = re.findall(r'<td><a href="/coop/(\w+)/">', first)
    assert len(drawn) == 3 and drawn == re.findall(r'<td><a href="/coop/(\w+)/">', again)
    assert "Poids de risque" in first and "Tirage pondéré par le risque au 15/12/2026" in first
    exported = staff.get(url.replace("/ad/echantillon?", "/ad/echantillon.csv?")).get_data().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(exported), delimiter=";"))
    assert [r["UAI"] for r in table] == drawn and all(r["Strate"] == "risque" for r in table)
    assert staff.get(url.replace("risque", "hasard")).status_code == 400


# -- the command line --------------------------------------------------------------------------
def retkoop(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", *args], capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_echantillon_never_writes_into_the_ad_repository_by_default(portal, tmp_path):
    root = portal.root
    before = set(root.rglob("*"))
    shown = retkoop("ad", "echantillon", "2025-2026", "--graine", "99", "--critere", "risque", "--date", DAY,
                    "--taux", "30", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert "Graine 99 : 3 coopératives sur 7 (critère risque, au 15/12/2026)" in shown.stdout
    as_csv = retkoop("ad", "echantillon", "2025-2026", "--graine", "99", "--critere", "risque", "--date", DAY,
                     "--taux", "30", "--csv", cwd=root)
    assert as_csv.stdout.startswith("UAI;École;Commune;Strate") and "Graine 99" in as_csv.stderr
    assert [line.split(";")[0] for line in as_csv.stdout.splitlines()[1:]] == [
        line.split()[0] for line in shown.stdout.splitlines()[1:]]
    refused = retkoop("ad", "echantillon", "2025-2026", "--graine", "99", "-o", "echantillon.csv", cwd=root)
    assert refused.returncode == 1 and "est dans le dépôt de l'AD" in refused.stderr
    assert retkoop("ad", "echantillon", "2025-2026", "--xlsx", cwd=root).returncode == 1  # where to?
    assert set(root.rglob("*")) == before
    assert git(root, "status", "--porcelain").strip() == ""
    outside = tmp_path / "echantillon.xlsx"
    written = retkoop("ad", "echantillon", "2025-2026", "--graine", "99", "-o", str(outside), cwd=root)
    assert written.returncode == 0 and outside.read_bytes()[:2] == b"PK"
    inside = retkoop("ad", "echantillon", "2025-2026", "--graine", "99", "-o", "tirage.csv", "--dans-le-depot",
                     cwd=root)
    assert inside.returncode == 0 and (root / "tirage.csv").read_text(encoding="utf-8-sig").startswith("UAI;")
    (root / "tirage.csv").unlink()


# -- in a real browser -----------------------------------------------------------------------
from tests.web.test_browser import page, pytestmark  # noqa: E402,F401  (fixture and skip rule)


@pytest.fixture
def server(portal):
    import waitress

    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()


def test_a_filter_of_the_dashboard_in_chromium(server, page):  # noqa: F811
    page.goto(server + "/connexion")
    page.get_by_label("Identifiant").fill("staff@ad91.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(server + f"/ad/?date={DAY}")
    page.wait_for_selector("#coops tbody tr")
    assert page.locator("#coops tbody tr").count() == 7
    page.get_by_role("link", name="Chèques non débités").click()
    page.wait_for_url("**filtre=cheques**")
    shown = page.locator("#coops tbody tr")
    assert shown.count() == 1 and OVERDRAWN in shown.first.inner_text()
    assert "1 chèque(s), 45,00" in plain(shown.first.inner_text())
    page.get_by_role("link", name="Découvert bancaire").click()
    page.wait_for_url("**filtre=decouvert**")
    assert sorted(page.locator("#coops tbody tr td:first-child").all_inner_texts()) == [
        f"{OVERDRAWN}\nhistorique", f"{CCP}\nhistorique"]
