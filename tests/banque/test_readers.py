"""Every bank format reads the same September statement; broken files give French messages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from retkoop_tools.banque.formats import load_formats, parse_format
from retkoop_tools.banque.readers import identify, parse_number, read_statement
from retkoop_tools.banque.statement import StatementError

from .conftest import SAMPLES

FILES = {
    "credit-agricole-2025-09.csv": ("credit-agricole", "Crédit Agricole", "…8901"),
    "banque-postale-2025-09.csv": ("banque-postale", "La Banque Postale", "…X020"),
    "caisse-epargne-2025-09.csv": ("caisse-epargne", "Caisse d'Épargne", "…6789"),
    "credit-mutuel-2025-09.csv": ("credit-mutuel", "Crédit Mutuel", ""),
    "societe-generale-2025-09.csv": ("societe-generale", "Société Générale", "…5678"),
    "bnp-paribas-2025-09.csv": ("bnp-paribas", "BNP Paribas", "…6789"),
    "releve-2025-09.ofx": ("ofx", "OFX", "…5678"),
}
AMOUNTS = sorted(Decimal(a) for a in ("-3.50", "-84.90", "500.00", "55.00", "-420.00", "-45.60", "150.00"))


@pytest.fixture(scope="module")
def formats():
    return load_formats()


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_bank_file_reads_as_the_same_statement(formats, name):
    content = (SAMPLES / name).read_bytes()
    fmt_id, bank, hint = FILES[name]
    assert identify(content, formats) == fmt_id
    statement = read_statement(content, name, formats)
    assert statement.bank == bank
    assert statement.balance == Decimal("1151.00")
    assert statement.date == datetime.date(2025, 9, 30)
    assert statement.account_hint == hint
    assert sorted(line.amount for line in statement.lines) == AMOUNTS
    assert [line.date for line in statement.lines] == sorted(line.date for line in statement.lines)
    cheque = next(line for line in statement.lines if line.amount == Decimal("-420.00"))
    assert cheque.cheque == "1234567"
    remise = next(line for line in statement.lines if line.amount == Decimal("55.00"))
    assert remise.is_remise
    maif = next(line for line in statement.lines if "MAIF" in line.label)
    assert maif.mode == "PRLV" and "CONTRAT SCOLAIRE" in maif.label  # label columns joined
    assert len({line.ref for line in statement.lines}) == 7


def test_a_second_export_of_the_same_lines_gives_the_same_references(formats):
    content = (SAMPLES / "credit-agricole-2025-09.csv").read_bytes()
    first = read_statement(content, "a.csv", formats)
    again = read_statement(content.replace(b"01/10/2025", b"02/10/2025"), "b.csv", formats)
    assert [line.ref for line in first.lines] == [line.ref for line in again.lines]


@pytest.mark.parametrize("text, value", [("1 234,56", "1234.56"), ("-420,00", "-420.00"), ("+15,00 €", "15.00"),
                                         ("1.234,56", "1234.56"), ("-3.50", "-3.50"), ("1\u00a0151,00", "1151.00")])
def test_french_numbers(text, value):
    assert parse_number(text) == Decimal(value)


def _error(formats, content: bytes, name: str = "releve.csv", bank: str | None = None) -> str:
    with pytest.raises(StatementError) as exc:
        read_statement(content, name, formats, bank)
    return str(exc.value)


def test_wrong_encoding(formats):
    content = (SAMPLES / "credit-agricole-2025-09.csv").read_bytes().replace(b"COOPERATIVE", b"COOP\x81\x8dRATIVE")
    message = _error(formats, content)
    assert "caractères illisibles à la ligne 3" in message and "ni UTF-8" in message
    utf16 = (SAMPLES / "credit-mutuel-2025-09.csv").read_bytes().decode("utf-8-sig").encode("utf-16-le")
    assert "n'est pas un texte lisible" in _error(formats, utf16)


def test_truncated_files(formats):
    content = (SAMPLES / "societe-generale-2025-09.csv").read_bytes()
    cut = content[: content.index(b"CB LIBRAIRIE") + 20]
    assert "ligne 10 : la ligne est incomplète (2 colonnes au lieu de 5)" in _error(formats, cut)
    ofx = (SAMPLES / "releve-2025-09.ofx").read_bytes()
    assert "OFX incomplet ou abîmé" in _error(formats, ofx[: len(ofx) // 2], "releve.ofx")
    date_cut = content[: content.index(b"29/09/2025") + 4]
    assert "« 29/0 » n'est pas une date" in _error(formats, date_cut)


def test_wrong_bank_and_unknown_files(formats):
    postale = (SAMPLES / "banque-postale-2025-09.csv").read_bytes()
    message = _error(formats, postale, bank="credit-agricole")
    assert "n'est pas un relevé Crédit Agricole : il ressemble à un relevé La Banque Postale" in message
    unknown = "Date;Opération;Somme\r\n01/09/2025;VIR;10,00\r\n".encode()
    assert "ne ressemble à aucun relevé connu" in _error(formats, unknown)
    assert "est un PDF" in _error(formats, b"%PDF-1.7\n...", "releve.pdf")
    assert "est vide" in _error(formats, b"  \r\n")
    assert "est un relevé OFX, pas un export CSV" in _error(
        formats, (SAMPLES / "releve-2025-09.ofx").read_bytes(), "r.ofx", "credit-mutuel")


def test_a_new_bank_is_a_few_lines_of_configuration(tmp_path):
    (tmp_path / "banques.yaml").write_text(
        'ma-banque:\n  nom: "Banque Locale"\n  entete: ["Jour", "Texte", "Somme"]\n  date: Jour\n'
        '  libelle: [Texte]\n  montant: Somme\n  solde:\n    motif: \'Solde final ; (?P<montant>[-\\d ,]+)\'\n',
        encoding="utf-8")
    formats = load_formats(tmp_path)
    content = "Solde final ; 1 010,00\r\nJour;Texte;Somme\r\n03/09/2025;VIR MAIRIE;10,00\r\n".encode("cp1252")
    statement = read_statement(content, "locale.csv", formats)
    assert (statement.bank, statement.balance, statement.lines[0].amount) == ("Banque Locale", Decimal("1010.00"),
                                                                              Decimal("10.00"))
    with pytest.raises(StatementError, match="la colonne « Montant » n'est pas dans « entete »"):
        parse_format("x", {"nom": "X", "entete": ["Date"], "date": "Date", "libelle": ["Date"], "montant": "Montant"},
                     "banques.yaml")
