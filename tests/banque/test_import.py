"""A statement against real books in a real git repository: match, propose, record, re-import."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from beancount import loader
from click.testing import CliRunner

from retkoop_tools.banque.apply import Choice, apply_import
from retkoop_tools.banque.formats import load_formats
from retkoop_tools.banque.matching import plan_import
from retkoop_tools.banque.readers import read_statement
from retkoop_tools.cli import main
from tests.gitrepo import ADMIN, TEACHER

from .conftest import SAMPLES, TODAY, UAI

FILES = sorted(p.name for p in SAMPLES.iterdir())
#: Exports that do not give the closing balance (the teacher reads it on the paper statement).
WITHOUT_BALANCE = {"caisse-epargne-bpce-2025-09.csv", "societe-generale-ancien-2025-09.csv", "fortuneo-2025-09.csv",
                   "boursorama-2025-09.csv"}


def statement(name: str, content: bytes | None = None):
    return read_statement(content if content is not None else (SAMPLES / name).read_bytes(), name, load_formats())


def status(repo) -> str:
    from tests.gitrepo import run_git

    return run_git(repo.root, "status", "--porcelain").stdout


@pytest.mark.parametrize("name", FILES)
def test_each_bank_file_ticks_the_cahier_and_proposes_the_missing_lines(books_repo, name):
    books = books_repo.books(TODAY)
    plan = plan_import(books, statement(name))
    if name in WITHOUT_BALANCE:
        assert not plan.ok and any("ne donne pas le solde de fin du relevé : indiquez-le" in p for p in plan.problems)
        plan = plan_import(books, statement(name), balance=Decimal("1151.00"))  # typed in by the teacher
    assert plan.ok and plan.gap == 0
    assert {m.op.piece: m.reason for m in plan.matches} == {
        "D02": "montant et date", "D03": "montant et date", "R01": "montant et date", "R04": "remise",
        "D04": "chèque n° 1234567"}
    assert [op.kind for op in plan.openings] == ["ouverture"]  # the first statement ticks the opening
    proposed = {p.line.amount: (p.kind, p.mode, p.code) for p in plan.proposals}
    # MAIF: the account of the coop's earlier MAIF payment; the donation: a default for "DON".
    assert proposed == {Decimal("-45.60"): ("depense", "PRLV", "6168"), Decimal("150.00"): ("recette", "VIR", "771")}

    result = apply_import(books_repo.store, UAI, books, plan, TEACHER, source=(name, (SAMPLES / name).read_bytes()))
    assert result.ok, result.errors
    assert books_repo.log()[0].startswith("Mme Martin|Import du relevé")
    assert "6 opération(s) pointée(s), 2 créée(s)" in books_repo.log()[0]
    assert status(books_repo) == ""
    after = books_repo.books(TODAY)
    last = after.statements()[-1]
    assert (last.date, last.balance) == (datetime.date(2025, 9, 30), Decimal("1151.00"))
    assert after.ticked_total("Actif:512-Banque", last.date) == Decimal("1151.00")
    assert [op.piece for op in after.unticked("Actif:512-Banque")] == ["D05"]  # its cheque is not cashed yet
    maif = next(op for op in after.operations if op.entry.meta.get("libelle-banque", "").startswith("PRLV SEPA MAIF"))
    assert maif.piece == "D06" and maif.releve == last.date
    kept = books_repo.coop_dir / str(last.entry.meta["fichier"])
    assert kept.read_bytes() == (SAMPLES / name).read_bytes()

    # The same file again: nothing to do, no commit.
    again = plan_import(after, statement(name))
    assert again.already and "déjà importé" in again.problems[0]
    commits = len(books_repo.log())
    assert apply_import(books_repo.store, UAI, after, again, TEACHER).ok
    assert len(books_repo.log()) == commits


def test_a_later_statement_that_overlaps_skips_what_is_already_ticked(books_repo):
    books = books_repo.books(TODAY)
    assert apply_import(books_repo.store, UAI, books, plan_import(books, statement("releve-2025-09.ofx")), TEACHER).ok
    books_repo.store.insert_entries(UAI, """2025-10-06 * "Banque" "Frais de tenue de compte"
  piece: "D07"
  mode: "PRLV"
  Charges:627-Frais-bancaires   3.50 EUR
  Actif:512-Banque             -3.50 EUR
""", ADMIN, "Frais d'octobre", books_repo.books(TODAY).current)
    october = ("Date;Date de valeur;Débit;Crédit;Libellé;Solde\r\n"
               "30/09/2025;30/09/2025;;150,00;VIR APE ECOLE JEAN JAURES DON POUR LA BIBLIOTHEQUE;1151,00\r\n"
               "02/10/2025;02/10/2025;-60,00;;CHEQUE 1234568;1091,00\r\n"
               "06/10/2025;06/10/2025;-3,50;;PRLV FRAIS TENUE DE COMPTE;1087,50\r\n"
               "15/10/2025;15/10/2025;-2,00;;COMMISSION VIREMENT;1085,50\r\n").encode()
    books = books_repo.books(TODAY)
    plan = plan_import(books, statement("cm.csv", october))
    assert plan.ok, plan.problems
    assert [s.reason for s in plan.skipped] == ["déjà sur le relevé du 30/09/2025"]
    assert sorted(m.op.piece for m in plan.matches) == ["D05", "D07"]
    (fee,) = plan.proposals
    assert fee.code == "627"  # "frais" is what the coop's bank fees were ventilated on
    result = apply_import(books_repo.store, UAI, books, plan, TEACHER)
    assert result.ok, result.errors
    assert books_repo.books(TODAY).statements()[-1].balance == Decimal("1085.50")


def test_what_cannot_be_recorded_writes_nothing(books_repo):
    books = books_repo.books(TODAY)
    head = books_repo.log()
    text = books_repo.text()
    plan = plan_import(books, statement("releve-2025-09.ofx"))
    ref = plan.proposals[0].line.ref
    # A line left out: the statement would not balance.
    result = apply_import(books_repo.store, UAI, books, plan, TEACHER, {ref: Choice(create=False)})
    assert "1 ligne(s) du relevé sans opération" in result.errors["general"]
    # An expense ventilated on a produit.
    result = apply_import(books_repo.store, UAI, books, plan, TEACHER,
                          {p.line.ref: Choice(code="771") for p in plan.proposals})
    assert any("est un compte de produits" in m for m in result.errors.values())
    # A cheque the bank debited for another amount than the cahier says.
    wrong = (SAMPLES / "releve-2025-09.ofx").read_bytes().replace(b"<TRNAMT>-420,00", b"<TRNAMT>-402,00")
    plan = plan_import(books, statement("r.ofx", wrong))
    assert not plan.ok
    assert any("Chèque n° 1234567 : 402,00\u00a0€ sur le relevé, 420,00\u00a0€ dans le cahier (pièce D04" in p
               for p in plan.problems)
    assert not apply_import(books_repo.store, UAI, books, plan, TEACHER).ok
    # Another account's statement, once the coop's account is known.
    assert apply_import(books_repo.store, UAI, books, plan_import(books, statement("releve-2025-09.ofx")), TEACHER).ok
    head = books_repo.log()
    text = books_repo.text()
    other = (SAMPLES / "bnp-paribas-2025-09.csv").read_bytes().replace(b"30/09/2025", b"31/10/2025")
    plan = plan_import(books_repo.books(TODAY), statement("b.csv", other))
    assert any("celui du compte …6789, mais les relevés de la coopérative sont ceux du compte …5678" in p
               for p in plan.problems)
    assert books_repo.log() == head and books_repo.text() == text and status(books_repo) == ""


def test_the_command_line(books_repo, monkeypatch):
    monkeypatch.chdir(books_repo.root)
    runner = CliRunner()
    ofx = str(SAMPLES / "releve-2025-09.ofx")
    trial = runner.invoke(main, ["import", UAI, ofx, "--essai"])
    assert trial.exit_code == 0, trial.output
    assert "Essai : rien n'est écrit." in trial.output
    assert "pointée       29/09/2025     -420,00  CHEQUE 1234567 → D04" in trial.output
    assert "Dépense sur 6168 Assurance" in trial.output
    log = books_repo.log()
    refused = runner.invoke(main, ["import", UAI, ofx, "--compte", "1=771", "--compte", "2=771"])
    assert refused.exit_code == 1 and "est un compte de produits" in refused.output
    assert books_repo.log() == log
    bad = runner.invoke(main, ["import", UAI, str(SAMPLES / "banque-postale-2025-09.csv"), "--banque", "credit-agricole"])
    assert bad.exit_code == 1 and "Erreur : « banque-postale-2025-09.csv » n'est pas un relevé Crédit Agricole" in bad.output
    done = runner.invoke(main, ["import", UAI, ofx, "--auteur", "Mme Martin <martin@ecole.fr>"])
    assert done.exit_code == 0, done.output
    assert "Import du relevé OFX du 30/09/2025 : solde 1\u00a0151,00\u00a0€" in done.output
    again = runner.invoke(main, ["import", UAI, str(SAMPLES / "credit-agricole-2025-09.csv")])
    assert again.exit_code == 0 and "déjà importé" in again.output
    assert len(books_repo.log()) == len(log) + 1
    _entries, errors, _ = loader.load_file(str(books_repo.coop_dir / "coop.beancount"))
    assert not errors


def _bad_encoding() -> bytes:
    return (SAMPLES / "credit-agricole-2025-09.csv").read_bytes().replace(b"COOPERATIVE", b"COOP\x81\x8dRATIVE")


def _truncated() -> bytes:
    content = (SAMPLES / "societe-generale-2025-09.csv").read_bytes()
    return content[: content.index(b"CB LIBRAIRIE") + 20]


@pytest.mark.parametrize("name, make, option, expected", [
    ("encodage.csv", _bad_encoding, [], "caractères illisibles à la ligne 3"),
    ("coupe.csv", _truncated, [], "la ligne est incomplète"),
    ("coupe.ofx", lambda: (SAMPLES / "releve-2025-09.ofx").read_bytes()[:900], [], "OFX incomplet ou abîmé"),
    ("postale.csv", lambda: (SAMPLES / "banque-postale-2025-09.csv").read_bytes(), ["--banque", "bnp-paribas"],
     "n'est pas un relevé BNP Paribas : il ressemble à un relevé La Banque Postale"),
])
def test_malformed_files_give_a_french_message_and_write_nothing(books_repo, monkeypatch, tmp_path, name, make,
                                                                  option, expected):
    monkeypatch.chdir(books_repo.root)
    path = tmp_path / name
    path.write_bytes(make())
    log, text = books_repo.log(), books_repo.text()
    result = CliRunner().invoke(main, ["import", UAI, str(path), *option])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and expected in result.output
    assert books_repo.log() == log and books_repo.text() == text and status(books_repo) == ""
