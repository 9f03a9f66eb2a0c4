"""Every bank layout reads the same September statement; broken files give French messages.

The layouts are the real exports of the banks, as published (anonymised) by open-source
importer projects; the samples of releves/ are written by scripts/make_bank_samples.py with
our own invented coop's lines, never a real person's data."""

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
    "credit-agricole-ancien-2025-09.csv": ("credit-agricole", "Crédit Agricole", "…8901"),
    "banque-postale-2025-09.csv": ("banque-postale", "La Banque Postale", "…X020"),
    "banque-postale-2025-09.ofx": ("ofx", "OFX", "…X020"),
    "caisse-epargne-2025-09.csv": ("caisse-epargne", "Caisse d'Épargne", "…6789"),
    "credit-mutuel-2025-09.csv": ("credit-mutuel", "Crédit Mutuel / CIC", ""),
    "societe-generale-2025-09.csv": ("societe-generale", "Société Générale", "…5678"),
    "bnp-paribas-2025-09.csv": ("bnp-paribas", "BNP Paribas", "…6789"),
    "bnp-paribas-2025-09.xlsx": ("bnp-paribas", "BNP Paribas", "…6789"),
    "releve-2025-09.ofx": ("ofx", "OFX", "…5678"),
}
#: Layouts without a closing balance: the teacher types it in (the plan asks for it).
WITHOUT_BALANCE = {
    "caisse-epargne-bpce-2025-09.csv": ("caisse-epargne", "Caisse d'Épargne ou Banque Populaire", ""),
    "societe-generale-ancien-2025-09.csv": ("societe-generale", "Société Générale", "…5678"),
    "fortuneo-2025-09.csv": ("fortuneo", "Fortuneo", ""),
    "boursorama-2025-09.csv": ("boursorama", "Boursorama (BoursoBank)", ""),
}
AMOUNTS = sorted(Decimal(a) for a in ("-3.50", "-84.90", "500.00", "55.00", "-420.00", "-45.60", "150.00"))


@pytest.fixture(scope="module")
def formats():
    return load_formats()


@pytest.mark.parametrize("name", sorted(FILES) + sorted(WITHOUT_BALANCE))
def test_each_bank_file_reads_as_the_same_statement(formats, name):
    content = (SAMPLES / name).read_bytes()
    fmt_id, bank, hint = FILES.get(name) or WITHOUT_BALANCE[name]
    assert identify(content, formats) == fmt_id
    statement = read_statement(content, name, formats)
    assert statement.bank == bank
    assert statement.balance == (None if name in WITHOUT_BALANCE else Decimal("1151.00"))
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
    assert "ligne 9 : la ligne est incomplète (3 colonnes au lieu de 5)" in _error(formats, cut)
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


# -- the real layouts' details, as the issue quotes them ---------------------------------------
def test_societe_generale_balance_in_the_first_line_and_short_labels_not_repeated(formats):
    content = ('="0001234567";01/12/2025;18/12/2025;2;18/12/2025;3,39 EUR\r\n\r\n'
               "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise\r\n"
               "18/12/2025;CARTE X1234 17/12 ;CARTE X1234 17/12 LIBRAIRIE DU CENTRE;-4,20;EUR\r\n"
               "02/12/2025;VIR RECU 000123;VIR RECU 000123 DE: MAIRIE D EVRY;7,59;EUR\r\n").encode("cp1252")
    statement = read_statement(content, "sg.csv", formats)
    assert (statement.balance, statement.date) == (Decimal("3.39"), datetime.date(2025, 12, 18))
    assert [line.label for line in statement.lines] == ["VIR RECU 000123 DE: MAIRIE D EVRY",
                                                         "CARTE X1234 17/12 LIBRAIRIE DU CENTRE"]
    assert statement.account_hint == "…4567"


def test_credit_agricole_older_balance_line(formats):
    content = ("Téléchargement du  19/12/2019;\r\n\r\nCCHQ       no 62700001867;\r\nSolde au 18/12/19 : 13,37 EUR\r\n\r\n"
               "Date;Libellé;Débit Euros;Crédit Euros;\r\n18/12/2019;\"PAIEMENT PAR CARTE \r\nLIBRAIRIE 15/12\r\n\";3,18;\r\n"
               "18/12/2019;\"REMISE DE CHEQUE \r\n\";;30,13;\r\n").encode("cp1252")
    statement = read_statement(content, "ca.csv", formats)
    assert (statement.balance, statement.date) == (Decimal("13.37"), datetime.date(2019, 12, 18))
    assert sorted(line.amount for line in statement.lines) == [Decimal("-3.18"), Decimal("30.13")]
    assert statement.account_hint == "…1867"


def test_bnp_without_a_title_row_and_its_excel_export(formats):
    csv_statement = read_statement((SAMPLES / "bnp-paribas-2025-09.csv").read_bytes(), "b.csv", formats)
    xlsx_statement = read_statement((SAMPLES / "bnp-paribas-2025-09.xlsx").read_bytes(), "b.xlsx", formats)
    assert [(line.date, line.label, line.amount) for line in csv_statement.lines] == [
        (line.date, line.label, line.amount) for line in xlsx_statement.lines]
    assert read_statement((SAMPLES / "bnp-paribas-2025-09.xlsx").read_bytes(), "b.xlsx", formats,
                          "bnp-paribas").balance == Decimal("1151.00")
    # A workbook of another shape: a French refusal, never a traceback.
    import io

    import openpyxl
    book = openpyxl.Workbook()
    book.active.append(["Jour", "Somme"])
    out = io.BytesIO()
    book.save(out)
    message = _error(formats, out.getvalue(), "autre.xlsx")
    assert "est un classeur Excel qui ne ressemble à aucun export connu (classeurs lus : BNP Paribas)" in message
    assert "première ligne : « Jour;Somme »" in message


def test_la_banque_postale_ofx_with_fre_lowercase_values_and_no_ledgerbal(formats):
    content = (SAMPLES / "banque-postale-2025-09.ofx").read_bytes()
    assert b"<LANGUAGE>FRE" in content and b"<trntype>debit" in content
    assert read_statement(content, "lbp.ofx", formats).balance == Decimal("1151.00")
    import re
    without = re.sub(rb"<LEDGERBAL>.*?</LEDGERBAL>\r\n", b"", content, flags=re.S)
    assert b"LEDGERBAL" not in without
    statement = read_statement(without, "lbp.ofx", formats)
    assert statement.balance is None and statement.date == datetime.date(2025, 9, 30) and len(statement.lines) == 7
    # A value that does matter (the currency): refused in French, naming the tag.
    wrong = content.replace(b"<CURDEF>EUR", b"<CURDEF>EURO")
    message = _error(formats, wrong, "lbp.ofx")
    assert "est bien un relevé OFX, mais la balise <CURDEF> contient « EURO », que la norme OFX n'admet pas" in message
    assert "Can't" not in message and "téléchargez-le à nouveau" not in message


def test_a_refusal_names_what_was_recognised_and_what_was_not(formats):
    current = (SAMPLES / "caisse-epargne-bpce-2025-09.csv").read_bytes().replace(b";Pointage operation", b";Pointage")
    message = _error(formats, current)
    assert "ressemble à un relevé Caisse d'Épargne (export CSV actuel) sans en avoir la forme" in message
    assert "reconnu, ligne 1 : Date de comptabilisation, Libelle simplifie" in message
    assert "non reconnu : Pointage operation" in message and "variante" in message
    forced = _error(formats, (SAMPLES / "fortuneo-2025-09.csv").read_bytes().replace(b"libell\xe9", b"texte"),
                    bank="fortuneo")
    assert "n'a pas la forme d'un relevé Fortuneo : reconnu, ligne 1 : Date opération, Date valeur, Débit, Crédit" in forced
    assert "non reconnu : libellé" in forced
    old_excel = _error(formats, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "releve.xls")
    assert "classeur Excel ancien (.xls)" in old_excel


def test_a_bank_zip_holding_its_csv_is_read(formats):
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("HistoriqueOperations_000123_du_01_09_2025_au_30_09_2025.csv",
                         (SAMPLES / "fortuneo-2025-09.csv").read_bytes())
    statement = read_statement(out.getvalue(), "export.zip", formats)
    assert statement.bank == "Fortuneo" and len(statement.lines) == 7
    assert identify(out.getvalue(), formats) == "fortuneo"


def test_an_ad_describes_a_file_without_title_row_with_its_balance_in_the_last_line(tmp_path):
    (tmp_path / "banques.yaml").write_text(
        "lcl:\n  nom: \"LCL\"\n  variantes:\n    - variante: \"export CSV\"\n"
        "      colonnes: [Date, Montant, Type, Vide, Libellé]\n"
        "      reconnaissance: '^\\d{2}/\\d{2}/\\d{4};-?\\d+,\\d{2};'\n"
        "      date: Date\n      libelle: [Libellé]\n      montant: Montant\n"
        "      solde:\n        ligne: derniere\n        motif: '^(?P<date>\\d{2}/\\d{2}/\\d{4});(?P<montant>-?\\d+,\\d{2});;'\n",
        encoding="utf-8")
    formats = load_formats(tmp_path)
    content = ("05/09/2025;-3,50;Prélèvement;;FRAIS TENUE DE COMPTE\r\n22/09/2025;500,00;Virement;;VIR MAIRIE\r\n"
               "30/09/2025;1496,50;;\r\n").encode("cp1252")
    statement = read_statement(content, "lcl.csv", formats)
    assert (statement.bank, statement.balance, statement.date) == ("LCL", Decimal("1496.50"), datetime.date(2025, 9, 30))
    assert [line.amount for line in statement.lines] == [Decimal("-3.50"), Decimal("500.00")]
    with pytest.raises(StatementError, match="un fichier sans ligne de titres se reconnaît à « reconnaissance »"):
        parse_format("x", {"nom": "X", "colonnes": ["Date", "Montant"], "date": "Date", "libelle": ["Montant"],
                           "montant": "Montant"}, "banques.yaml")
    with pytest.raises(StatementError, match="« fichier » vaut csv ou xlsx, pas « ods »"):
        parse_format("x", {"nom": "X", "fichier": "ods", "entete": ["Date", "M"], "date": "Date", "libelle": ["M"],
                           "montant": "M"}, "banques.yaml")
