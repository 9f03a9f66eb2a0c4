"""A spreadsheet cahier taken over into an empty coop of a real AD repository."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from retkoop_tools.checks.runner import check_coop
from retkoop_tools.cli import main
from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.migration.migrate import migrate
from retkoop_tools.migration.reader import CahierError
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Store
from tests.gitrepo import ADMIN, run_git

HERE = Path(__file__).parent
UAI = "0910001A"
OPENING = {"banque": Decimal("1000.00"), "caisse": Decimal("80.00")}


@pytest.fixture
def empty(tmp_path) -> Path:
    root = tmp_path / "ad"
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    create_coop(root, UAI, "École Jean Jaurès", "Évry", Exercice(2025))
    Store(root).commit_new_coop(UAI, ADMIN, "Nouvelle coopérative")
    return root


def log(root: Path) -> list[str]:
    return run_git(root, "log", "--format=%s").stdout.splitlines()


@pytest.mark.parametrize("name", ["cahier-2025-2026.xlsx", "cahier-2025-2026.csv"])
def test_a_cahier_becomes_a_valid_ledger_and_a_report(empty, name):
    report = migrate(Store(empty), empty, UAI, (HERE / name).read_bytes(), name, ADMIN, opening=OPENING)
    assert report.written and report.commit
    assert check_coop(empty, UAI).errors == []
    assert log(empty)[0] == f"Reprise du cahier « {name} » : 9 opération(s), soldes d'ouverture (4 ligne(s) non reprise(s))"
    reasons = {r.content.split(" | ")[0]: r.reason for r in report.rejected}
    assert reasons["D03"].startswith("régie d'avance")
    assert reasons["D04"] == ("la ventilation fait 400,00\u00a0€ pour un montant de 420,00\u00a0€ : c'est la "
                              "« ligne rouge » du cahier, corrigez-la.")
    assert reasons["D05"].startswith("Le 31/09/2025 n'existe pas dans le calendrier")
    assert reasons["Total septembre"].startswith("ligne de total")
    books = load_source(empty, UAI).books
    bank, caisse = books.bank_accounts[0], books.caisse_account
    # 1000 + 150 − 64.80 − 84.90 + 20 + 500 + 240 − 3.50 − 420 (D06); caisse 80 + 20 − 20.
    assert books.balance(bank) == Decimal("1336.80")
    assert books.balance(caisse) == Decimal("80.00")
    by_piece = {op.piece: op for op in books.operations}
    assert by_piece["D01"].cheque == "1234567" and by_piece["D01"].mode == "CHQ"
    assert by_piece["R05"].kind == "virement"  # the cash deposit, numbered after every pièce of the cahier
    assert by_piece["D07"].narration == "Frais de tenue de compte"  # D03…D06 are written in the cahier
    assert "Ligne;Raison" in report.csv().decode("utf-8-sig")


def test_rows_the_rules_refuse_are_reported_and_the_rest_is_written(empty):
    rows = [["Date", "Libellé", "Caisse entrée", "Caisse sortie", "6063 Fournitures", "7562 Participation"],
            ["05/09/2025", "Achat de colle", "", "30,00", "30,00", ""],  # the caisse would go negative
            ["08/09/2025", "Participation Famille Petit", "15,00", "", "", "15,00"]]
    content = "\r\n".join(";".join(r) for r in rows).encode("utf-8")
    report = migrate(Store(empty), empty, UAI, content, "cahier.csv", ADMIN)
    assert [c.row for c in report.converted] == [3]
    (refused,) = report.rejected
    assert refused.row == 2 and refused.reason.startswith("refusée par les règles OCCE : ")
    assert "caisse" in refused.reason.lower()
    assert check_coop(empty, UAI).errors == []


def test_nothing_is_written_when_it_cannot_start(empty, tmp_path):
    head = log(empty)
    store = Store(empty)
    with pytest.raises(CahierError, match="classeur abîmé ou incomplet"):
        data = (HERE / "cahier-2025-2026.xlsx").read_bytes()
        migrate(store, empty, UAI, data[: len(data) // 2], "abime.xlsx", ADMIN)
    with pytest.raises(CahierError, match="Ligne des titres introuvable"):
        migrate(store, empty, UAI, b"Jour;Texte;Somme\r\n01/09/2025;x;3\r\n", "autre.csv", ADMIN)
    with pytest.raises(CahierError, match="est un PDF"):
        migrate(store, empty, UAI, b"%PDF-1.4 ...", "cahier.pdf", ADMIN)
    assert log(empty) == head
    migrate(store, empty, UAI, (HERE / "cahier-2025-2026.csv").read_bytes(), "c.csv", ADMIN, opening=OPENING)
    head = log(empty)
    with pytest.raises(CahierError, match="a déjà des opérations : la reprise d'un cahier se fait dans des comptes vides"):
        migrate(store, empty, UAI, (HERE / "cahier-2025-2026.xlsx").read_bytes(), "c.xlsx", ADMIN)
    assert log(empty) == head
    assert run_git(empty, "status", "--porcelain").stdout == ""


def test_column_titles_are_configurable(empty, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Jour", "Quoi", "Crédit banque", "Débit banque", "7562 Familles"])
    sheet.append(["12/09/2025", "Participation des familles", 45, None, 45])
    buffer = io.BytesIO()
    book.save(buffer)
    columns = tmp_path / "colonnes.yaml"
    columns.write_text('date: ["Jour"]\nlibelle: ["Quoi"]\nbanque_entree: ["Crédit banque"]\n'
                       'banque_sortie: ["Débit banque"]\n', encoding="utf-8")
    report = migrate(Store(empty), empty, UAI, buffer.getvalue(), "autre-modele.xlsx", ADMIN, columns_file=columns)
    assert len(report.converted) == 1 and not report.rejected


def test_the_command_line(empty, monkeypatch, tmp_path):
    monkeypatch.chdir(empty)
    runner = CliRunner()
    cahier = str(HERE / "cahier-2025-2026.xlsx")
    trial = runner.invoke(main, ["migrer", UAI, cahier, "--banque", "1 000,00", "--caisse", "80", "--essai"])
    assert trial.exit_code == 0, trial.output
    assert "9 opération(s) reprise(s), 4 ligne(s) non reprise(s)" in trial.output and "Essai" in trial.output
    assert len(log(empty)) == 2
    bad = runner.invoke(main, ["migrer", UAI, cahier, "--banque", "mille"])
    assert bad.exit_code == 1 and "--banque : « mille » n'est pas un montant" in bad.output
    rapport = tmp_path / "rapport.csv"
    done = runner.invoke(main, ["migrer", UAI, cahier, "--banque", "1000", "--caisse", "80", "--rapport", str(rapport)])
    assert done.exit_code == 0, done.output
    assert "ligne 12 : la ventilation fait 400,00" in done.output and "Enregistré (commit" in done.output
    assert rapport.read_text(encoding="utf-8-sig").count("\n") == 5


BANQUE, CCP = "Actif:512-Banque", "Actif:514-CCP"


def coop_with(tmp_path, banques: str) -> Path:
    """An empty coop that declares its bank accounts ("514" for La Banque Postale, "512 514")."""
    root = tmp_path / "ad"
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    create_coop(root, UAI, "École de la Poste", "Évry", Exercice(2025), banques=banques)
    Store(root).commit_new_coop(UAI, ADMIN, "Nouvelle coopérative")
    return root


def bank_postings(root: Path) -> set[str]:
    books = load_source(root, UAI).books
    return {p.account for op in books.operations for p in op.entry.postings if p.account.startswith("Actif:51")}


@pytest.mark.parametrize("banques, expected", [("", BANQUE), ("514", CCP), ("512", BANQUE)])
def test_the_cahier_goes_on_the_coop_bank_account(tmp_path, banques, expected):
    root = coop_with(tmp_path, banques)
    report = migrate(Store(root), root, UAI, (HERE / "cahier-2025-2026.csv").read_bytes(), "c.csv", ADMIN,
                     opening=OPENING)
    assert report.written and check_coop(root, UAI).errors == []
    assert bank_postings(root) == {expected}
    books = load_source(root, UAI).books
    assert books.bank_accounts == [expected] and books.balance(expected) == Decimal("1336.80")
    name = {BANQUE: "Banque (512)", CCP: "Chèques postaux (514)"}[expected]
    assert f"Compte(s) bancaire(s) : {name}." in report.lines()
    assert f"Soldes d'ouverture : {name} 1\u00a0000,00\u00a0€, Caisse (530) 80,00\u00a0€." in report.lines()


def test_a_coop_with_two_bank_accounts_says_which_one_or_has_columns_for_each(tmp_path):
    root = coop_with(tmp_path, "512 514")
    cahier = (HERE / "cahier-2025-2026.csv").read_bytes()
    with pytest.raises(CahierError) as refused:
        migrate(Store(root), root, UAI, cahier, "c.csv", ADMIN, opening=OPENING)
    assert str(refused.value) == (
        f"{UAI} a deux comptes bancaires (Banque (512), Chèques postaux (514)) : dites sur lequel reprendre les "
        "colonnes « Banque » du cahier avec --compte-bancaire 512 ou 514, ou donnez au cahier une paire de "
        "colonnes par compte (« CCP entrée », « CCP sortie »).")
    with pytest.raises(CahierError, match="--compte-bancaire 515 : ce n'est pas un compte bancaire du plan comptable"):
        migrate(Store(root), root, UAI, cahier, "c.csv", ADMIN, bank="515")
    assert bank_postings(root) == set()  # nothing written
    # one pair of columns per account: « Banque » is then the other one, 512; a transfer moves both
    rows = [["N° de pièce", "Date", "Libellé", "Banque entrée", "Banque sortie", "CCP entrée", "CCP sortie",
             "Caisse entrée", "Caisse sortie", "7562 Participation", "744 Subvention commune", "627 Frais bancaires"],
            ["R01", "08/09/2025", "Participation Famille Durand", "20", "", "", "", "", "", "20", "", ""],
            ["R02", "15/09/2025", "Subvention de la mairie", "", "", "300", "", "", "", "", "300", ""],
            ["D01", "20/09/2025", "Virement vers le compte courant", "100", "", "", "100", "", "", "", "", ""],
            ["D02", "30/09/2025", "Frais de tenue du CCP", "", "", "", "2,50", "", "", "", "", "2,50"],
            ["R03", "30/09/2025", "Ligne fausse", "10", "", "10", "", "", "", "20", "", ""]]
    content = "\r\n".join(";".join(r) for r in rows).encode("utf-8")
    report = migrate(Store(root), root, UAI, content, "deux-comptes.csv", ADMIN,
                     opening={"banque": Decimal("50.00"), "514": Decimal("400.00")})
    assert report.written and check_coop(root, UAI).errors == []
    assert [(r.row, r.reason) for r in report.rejected] == [(6, "la ligne touche deux comptes bancaires sans être "
                                                               "un virement de l'un à l'autre : séparez-la en deux opérations.")]
    books = load_source(root, UAI).books
    assert books.balance(BANQUE) == Decimal("170.00")  # 50 + 20 + 100
    assert books.balance(CCP) == Decimal("597.50")  # 400 + 300 − 100 − 2.50
    transfer = next(op for op in books.operations if op.piece == "D01")
    assert transfer.kind == "virement" and transfer.banks == {BANQUE: Decimal("100.00"), CCP: Decimal("-100.00")}
    assert next(op for op in books.operations if op.piece == "R02").banks == {CCP: Decimal("300.00")}


def test_the_command_line_takes_the_bank_account_and_each_opening(tmp_path, monkeypatch):
    root = coop_with(tmp_path, "512 514")
    monkeypatch.chdir(root)
    runner = CliRunner()
    cahier = str(HERE / "cahier-2025-2026.csv")
    ambiguous = runner.invoke(main, ["migrer", UAI, cahier, "--essai"])
    assert ambiguous.exit_code == 1 and "dites sur lequel reprendre les colonnes « Banque »" in ambiguous.output
    twice = runner.invoke(main, ["migrer", UAI, cahier, "--compte-bancaire", "514", "--banque", "10",
                                 "--solde", "514", "10"])
    assert twice.exit_code == 1 and "est donné deux fois" in twice.output
    done = runner.invoke(main, ["migrer", UAI, cahier, "--compte-bancaire", "514", "--banque", "1 000,00",
                                "--solde", "512", "250,00", "--caisse", "80"])
    assert done.exit_code == 0, done.output
    assert "Compte(s) bancaire(s) : Chèques postaux (514)." in done.output
    books = load_source(root, UAI).books
    assert books.balance(CCP) == Decimal("1336.80") and books.balance(BANQUE) == Decimal("250.00")
    assert check_coop(root, UAI).errors == []
