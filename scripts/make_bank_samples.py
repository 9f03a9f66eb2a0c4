"""Write the sample bank statements of tests/banque/releves/ (one per bank format).

One September 2025 statement of an (anonymised) school coop, written the way each bank
exports it: encoding, separators, header lines, column titles, debit/credit conventions,
order of the lines. The books of tests/banque/conftest.py match it. Run again only when
the statement changes:  python scripts/make_bank_samples.py
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "banque" / "releves"
OPENING = Decimal("1000.00")
# date, label, amount (+ credit), extra detail, bank reference
LINES = [
    (datetime.date(2025, 9, 5), "PRLV FRAIS TENUE DE COMPTE", Decimal("-3.50"), "COTISATION MENSUELLE", "2509050001"),
    (datetime.date(2025, 9, 16), "CB LIBRAIRIE DU CENT 15/09", Decimal("-84.90"), "CARTE 4974XXXXXXXX1234", "2509160002"),
    (datetime.date(2025, 9, 22), "VIR MAIRIE D EVRY", Decimal("500.00"), "SUBVENTION PROJET JARDIN", "2509220003"),
    (datetime.date(2025, 9, 26), "REMISE CHEQUES 0000123", Decimal("55.00"), "2 CHEQUES", "2509260004"),
    (datetime.date(2025, 9, 29), "CHEQUE 1234567", Decimal("-420.00"), "", "2509290005"),
    (datetime.date(2025, 9, 30), "PRLV SEPA MAIF", Decimal("-45.60"), "CONTRAT SCOLAIRE 4521", "2509300006"),
    (datetime.date(2025, 9, 30), "VIR APE ECOLE JEAN JAURES", Decimal("150.00"), "DON POUR LA BIBLIOTHEQUE", "2509300007"),
]
CLOSING = OPENING + sum(amount for _, _, amount, _, _ in LINES)
START, END = datetime.date(2025, 9, 1), datetime.date(2025, 9, 30)


def fr(value: Decimal, sign: bool = False, group: bool = False) -> str:
    text = f"{abs(value):,.2f}" if group else f"{abs(value):.2f}"
    text = text.replace(",", " ").replace(".", ",")
    if value < 0:
        return "-" + text
    return ("+" if sign else "") + text


def d(date: datetime.date, fmt: str = "%d/%m/%Y") -> str:
    return date.strftime(fmt)


def write(name: str, rows: list[str], encoding: str = "cp1252", bom: bool = False) -> None:
    text = "\r\n".join(rows) + "\r\n"
    data = text.encode(encoding)
    (OUT / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def credit_agricole() -> None:
    rows = ["Téléchargement du 01/10/2025;", "", "COOPERATIVE SCOLAIRE OCCE 91;",
            "Compte de Dépôt carte n° 12345678901;", f"Solde au {d(END)} {fr(CLOSING, group=True)} €",
            f"Liste des opérations du compte entre le {d(START)} et le {d(END)};", "",
            "Date;Libellé;Débit Euros;Crédit Euros;"]
    for date, label, amount, detail, _ in reversed(LINES):  # newest first, as the bank does
        text = f'"{label}\n{detail}"' if detail else f'"{label}"'
        debit, credit = (fr(-amount), "") if amount < 0 else ("", fr(amount))
        rows.append(f"{d(date)};{text};{debit};{credit};")
    write("credit-agricole-2025-09.csv", rows)


def banque_postale() -> None:
    rows = ["Numéro Compte   ;0123456X020", "Type ;CCP", "Compte tenu en  ;euros", f"Date ;{d(END)}",
            f"Solde (EUROS)   ;{fr(CLOSING)}", f"Solde (FRANCS)  ;{fr((CLOSING * Decimal('6.55957')).quantize(Decimal('0.01')))}",
            "", "Date;Libellé;Montant(EUROS);Montant(FRANCS)"]
    for date, label, amount, detail, _ in reversed(LINES):
        francs = (amount * Decimal("6.55957")).quantize(Decimal("0.01"))
        rows.append(f'{d(date)};"{label} {detail}".strip();{fr(amount)};{fr(francs)}'.replace('".strip()', '"'))
    write("banque-postale-2025-09.csv", rows)


def caisse_epargne() -> None:
    rows = [f"Code de la banque : 11315;Code de l'agence : 00001;Date de début de téléchargement : {d(START)};"
            f"Date de fin de téléchargement : {d(END)};;",
            "Numéro de compte : 04123456789;Nom du compte : COOP SCOLAIRE JEAN JAURES;Devise : EUR;;;",
            f"Solde en fin de période;;;;{fr(CLOSING, group=True)}",
            "Date;Numéro d'opération;Libellé;Débit;Crédit;Détail;"]
    for date, label, amount, detail, ref in reversed(LINES):
        debit, credit = (fr(amount), "") if amount < 0 else ("", fr(amount, sign=True))
        rows.append(f"{d(date, '%d/%m/%y')};{ref};{label};{debit};{credit};{detail};")
    rows.append(f"Solde en début de période;;;;{fr(OPENING, group=True)}")
    write("caisse-epargne-2025-09.csv", rows)


def credit_mutuel() -> None:
    rows = ["Date;Date de valeur;Débit;Crédit;Libellé;Solde"]
    balance = OPENING
    for date, label, amount, detail, _ in LINES:  # oldest first, with the balance after each line
        balance += amount
        debit, credit = (fr(amount), "") if amount < 0 else ("", fr(amount))
        rows.append(f"{d(date)};{d(date)};{debit};{credit};{label} {detail}".rstrip() + f";{fr(balance)}")
    write("credit-mutuel-2025-09.csv", rows, encoding="utf-8", bom=True)


def societe_generale() -> None:
    # Current layout: account, period, number of lines, date and amount of the balance, then a
    # blank line and the title row.
    rows = [f'="00012345678";{d(START)};{d(END)};{len(LINES)};{d(END)};{fr(CLOSING, group=True)} EUR', "",
            "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise"]
    for date, label, amount, detail, _ in reversed(LINES):
        # The short label is the first characters of the detail, which repeats it in full.
        full = f"{label} {detail}".strip()
        rows.append(f"{d(date)};{label[:18]};{full};{fr(amount)};EUR")
    write("societe-generale-2025-09.csv", rows)


def societe_generale_livret() -> None:
    # Older layout (still the savings accounts'): no balance, a trailing ";".
    rows = [f'="00012345678";{d(START)};{d(END)};', "date_comptabilisation;libellé_complet_operation;"
            "montant_operation;devise;"]
    for date, label, amount, detail, _ in reversed(LINES):
        rows.append(f"{d(date)};{label} {detail}".rstrip() + f";{fr(amount)};EUR;")
    write("societe-generale-ancien-2025-09.csv", rows)


def bnp_paribas() -> None:
    # No title row: a summary line, then date;category;sub-category;label;amount (categories
    # left empty for a professional account).
    rows = [f"Compte de chèques;COOP SCOL JEAN JAURES;****6789;{d(END)};;{fr(CLOSING, group=True)}"]
    for date, label, amount, detail, _ in reversed(LINES):
        rows.append(f"{d(date)};;;{label} {detail}".rstrip() + f";{fr(amount)}")
    write("bnp-paribas-2025-09.csv", rows)


def bnp_paribas_xlsx() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Compte de chèques ****6789", f"Solde au {d(END)}", float(CLOSING)])
    sheet.append([])
    sheet.append(["Date operation", "Categorie operation", "Sous Categorie operation", "Libelle operation",
                  "Montant operation"])
    categories = {"PRLV": ("Banque", "Frais bancaires"), "CB": ("Achats", "Librairie"),
                  "VIR": ("Virements reçus", "Virement"), "REMISE": ("Chèques", "Remise"),
                  "CHEQUE": ("Chèques", "Chèque émis")}
    for date, label, amount, detail, _ in reversed(LINES):
        cat, sub = categories.get(label.split()[0], ("Divers", "Non catégorisé"))
        sheet.append([d(date, "%d-%m-%Y"), cat, sub, f"{label} {detail}".strip(), float(amount)])
    out = io.BytesIO()
    book.save(out)
    # A fixed timestamp, so that the file is the same each time it is written.
    (OUT / "bnp-paribas-2025-09.xlsx").write_bytes(_stable_zip(out.getvalue()))


def _stable_zip(content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", b"2025-10-01T08:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, (2025, 10, 1, 8, 0, 0)), data)
    return out.getvalue()


def caisse_epargne_bpce() -> None:
    # Current layout of the BPCE banks (Caisse d'Épargne, Banque Populaire): no balance.
    rows = ["Date de comptabilisation;Libelle simplifie;Libelle operation;Reference;Informations complementaires;"
            "Type operation;Categorie;Sous categorie;Debit;Credit;Date operation;Date de valeur;Pointage operation"]
    for date, label, amount, detail, ref in reversed(LINES):
        debit, credit = (fr(amount), "") if amount < 0 else ("", fr(amount, sign=True))
        kind = {"CB": "Carte bancaire", "PRLV": "Prélèvement", "VIR": "Virement reçu", "REMISE": "Remise de chèques",
                "CHEQUE": "Chèque"}.get(label.split()[0], "Autre")
        short = " ".join(label.split()[1:3])
        rows.append(f"{d(date)};{short};{label};{ref};{detail};{kind};;;{debit};{credit};{d(date)};{d(date)};0")
    write("caisse-epargne-bpce-2025-09.csv", rows)


def credit_agricole_ancien() -> None:
    # Older layout: "no" before the account number, the balance as "Solde au jj/mm/aa : x EUR".
    rows = ["Téléchargement du  01/10/2025;", "", "  ", "COOPERATIVE SCOLAIRE OCCE 91    ",
            "CCHQ       no 12345678901;", f"Solde au {d(END, '%d/%m/%y')} : {fr(CLOSING)} EUR", "",
            f"Liste des opérations du compte entre le {d(START)} et le {d(END)};", "",
            "Date;Libellé;Débit Euros;Crédit Euros;"]
    for date, label, amount, detail, _ in reversed(LINES):
        text = f'"{label} \n{detail}\n"' if detail else f'"{label} \n"'
        # Debit lines stop after the debit column.
        cells = f"{fr(-amount)};" if amount < 0 else f";{fr(amount)};"
        rows.append(f"{d(date)};{text};{cells}")
    write("credit-agricole-ancien-2025-09.csv", rows)


def fortuneo() -> None:
    rows = ["Date opération;Date valeur;libellé;Débit;Crédit;"]
    for date, label, amount, detail, _ in reversed(LINES):
        debit, credit = (fr(amount), "") if amount < 0 else ("", fr(amount))
        rows.append(f"{d(date)};{d(date)};{label} {detail}".rstrip() + f";{debit};{credit};")
    write("fortuneo-2025-09.csv", rows)


def boursorama() -> None:
    rows = ["dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;accountNum;accountLabel;"
            "accountbalance"]
    for date, label, amount, detail, _ in reversed(LINES):
        rows.append(f'{date:%Y-%m-%d};{date:%Y-%m-%d};"{label} {detail}".strip();"Divers";"Divers";;{fr(amount)};;'
                    f"00012345678;COOP SCOLAIRE;{CLOSING + 200}".replace('".strip()', '"'))
    write("boursorama-2025-09.csv", rows, encoding="utf-8", bom=True)


def ofx() -> None:
    head = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII",
            "CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", ""]
    body = ["<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>",
            "<DTSERVER>20251001080000", "<LANGUAGE>FRA", "</SONRS>", "</SIGNONMSGSRSV1>",
            "<BANKMSGSRSV1>", "<STMTTRNRS>", "<TRNUID>00000000", "<STATUS>", "<CODE>0", "<SEVERITY>INFO",
            "</STATUS>", "<STMTRS>", "<CURDEF>EUR", "<BANKACCTFROM>", "<BANKID>30004", "<BRANCHID>01234",
            "<ACCTID>00012345678", "<ACCTTYPE>CHECKING", "</BANKACCTFROM>", "<BANKTRANLIST>",
            f"<DTSTART>{START:%Y%m%d}", f"<DTEND>{END:%Y%m%d}"]
    for date, label, amount, detail, ref in LINES:
        kind = "CHECK" if label.startswith("CHEQUE") else ("DEBIT" if amount < 0 else "CREDIT")
        body += ["<STMTTRN>", f"<TRNTYPE>{kind}", f"<DTPOSTED>{date:%Y%m%d}", f"<TRNAMT>{fr(amount)}",
                 f"<FITID>{ref}"]
        if kind == "CHECK":
            body.append(f"<CHECKNUM>{label.split()[-1]}")
        body.append(f"<NAME>{label[:32]}")
        if detail:
            body.append(f"<MEMO>{detail}")
        body.append("</STMTTRN>")
    body += ["</BANKTRANLIST>", "<LEDGERBAL>", f"<BALAMT>{fr(CLOSING)}", f"<DTASOF>{END:%Y%m%d}",
             "</LEDGERBAL>", "</STMTRS>", "</STMTTRNRS>", "</BANKMSGSRSV1>", "</OFX>"]
    write("releve-2025-09.ofx", head + body)
    # La Banque Postale: the language as "FRE", some values in lower case.
    postale = [line.replace("<LANGUAGE>FRA", "<LANGUAGE>FRE").replace("<SEVERITY>INFO", "<SEVERITY>info")
               .replace("<ACCTTYPE>CHECKING", "<ACCTTYPE>checking").replace("<TRNTYPE>DEBIT", "<trntype>debit")
               .replace("<ACCTID>00012345678", "<ACCTID>0123456X020") for line in body]
    write("banque-postale-2025-09.ofx", head + postale)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for make in (credit_agricole, credit_agricole_ancien, banque_postale, caisse_epargne, caisse_epargne_bpce,
                 credit_mutuel, societe_generale, societe_generale_livret, bnp_paribas, bnp_paribas_xlsx, fortuneo,
                 boursorama, ofx):
        make()
    print(f"Relevés d'exemple écrits dans {OUT} (solde {fr(CLOSING)} € au {d(END)})")
