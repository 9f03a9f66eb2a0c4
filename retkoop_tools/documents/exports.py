"""The exercice's journal in open formats: XLSX, CSV for French Excel, and the FEC.

One row per line of an operation (posting), as an accountant reads a journal. The CSV opens
cleanly in a French Excel: `;` separator, UTF-8 with BOM, decimal comma, and no text cell
can be taken for a formula. The FEC is the 18-column French standard (article A47 A-1 of the
LPF): tab-separated, dates AAAAMMJJ, the à-nouveaux first, named `SIRENFECAAAAMMJJ.txt` after
the AD's SIREN (validated: 9 digits, Luhn key), in ISO 8859-15 with the characters outside it
transliterated (`ŷ` → `y`, `’` → `'`), never replaced by "?".

CompteNum must start with three digits of the French chart (PCG): a shorter code of the
chart is padded with zeros on the right, the PCG's own way of lengthening an account — the
régies `54` are written `540`, each teacher's régie as an auxiliary account (CompAuxNum).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from retkoop_tools.ad import validate_siren
from retkoop_tools.chart import Chart
from retkoop_tools.ledger.conventions import NATURE_OUVERTURE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, csv_bytes, fr_number, xlsx_bytes
from retkoop_tools.tresorier.books import KIND_LABELS, ZERO, Books, Operation

JOURNAL_COLUMNS = ("Date", "Pièce", "Type", "Tiers", "Libellé", "Compte", "Intitulé du compte",
                   "Débit", "Crédit", "Mode", "N° de chèque", "Pointé au relevé", "Projets")
FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
               "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
               "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")


@dataclass
class JournalRow:
    op: Operation
    account: str
    code: str
    label: str
    aux: str  # the sub-account's name (a régie's teacher), else ""
    debit: Decimal
    credit: Decimal


def _account_info(chart: Chart, account: str) -> tuple[str, str, str]:
    compte, is_sub = chart.lookup(account)
    if compte is None:
        return account, account, ""
    aux = account.rsplit(":", 1)[-1] if is_sub else ""
    return compte.code, compte.libelle, aux


def journal_rows(books: Books, exercice: Exercice) -> list[JournalRow]:
    rows = []
    for op in books.operations_of(exercice):
        for posting in op.entry.postings:
            if posting.units is None:
                continue
            number = posting.units.number
            code, label, aux = _account_info(books.chart, posting.account)
            rows.append(JournalRow(op, posting.account, code, label, aux,
                                   number if number > 0 else ZERO, -number if number < 0 else ZERO))
    return rows


def _journal_values(row: JournalRow) -> list:
    op = row.op
    return [op.date, op.piece, KIND_LABELS.get(op.kind, op.kind), op.payee, op.narration,
            row.code + (f" {row.aux}" if row.aux else ""), row.label, row.debit, row.credit,
            op.mode, op.cheque, op.releve if row.account == op.bank_account else None,
            " ".join(op.tags)]


def journal_csv(books: Books, exercice: Exercice) -> bytes:
    return csv_bytes(JOURNAL_COLUMNS, (_journal_values(row) for row in journal_rows(books, exercice)),
                     blank_zero=True)


def journal_xlsx(books: Books, exercice: Exercice, title: str = "") -> bytes:
    rows = [_journal_values(row) for row in journal_rows(books, exercice)]
    return xlsx_bytes([Sheet(f"Journal {exercice}", JOURNAL_COLUMNS, rows, blank_zero=True, totals=(7, 8),
                             widths=(11, 8, 18, 26, 36, 10, 34, 12, 12, 7, 12, 12, 14))], title=title)


def _journal_of(op: Operation, books: Books) -> tuple[str, str]:
    if op.nature == NATURE_OUVERTURE:
        return "AN", "A nouveaux"
    if op.bank:
        return "BQ", "Banque"
    if op.caisse:
        return "CA", "Caisse"
    return "OD", "Operations diverses"


def _fec_date(value: datetime.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


class FecError(ValueError):
    """The FEC cannot be written as the norm requires; the message, in French, says why."""


def fec_filename(siren: str, exercice: Exercice) -> str:
    """`SIRENFECAAAAMMJJ.txt`, the date being the exercice's closing day (31/08)."""
    return f"{validate_siren(siren)}FEC{exercice.end.strftime('%Y%m%d')}.txt"


_PLAIN = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "’": "'", "‘": "'", "‚": ",", "“": '"', "”": '"',
                        "„": '"', "«": '"', "»": '"', "‹": "<", "›": ">", "•": "-", "\u00a0": " ", "\u202f": " ",
                        "\t": " ", "\r": " ", "\n": " ",
                        # Latin letters without a decomposition
                        "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t",
                        "ƒ": "f"})
FEC_ENCODING = "iso-8859-15"


def transliterate(text: str) -> str:
    """Latin-9 text: characters outside ISO 8859-15 are spelled with the closest Latin-9 ones
    (NFKD: `ŷ` → `y`, `ﬁ` → `fi`, `½` → `1/2`); those with no such spelling are left out."""
    out = []
    for char in str(text or "").translate(_PLAIN):
        try:
            char.encode(FEC_ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        for part in unicodedata.normalize("NFKD", char).translate(_PLAIN):
            if unicodedata.combining(part):
                continue
            try:
                part.encode(FEC_ENCODING)
                out.append(part)
            except UnicodeEncodeError:
                continue
    return "".join(out)


def _fec_text(value: str) -> str:
    """One line of Latin-9 text: no tab, no line break, typographic signs made plain."""
    return " ".join(transliterate(value).split())


def _aux_number(name: str) -> str:
    """An auxiliary account number from a sub-account's name: upper-case letters and digits."""
    return re.sub(r"[^A-Z0-9]", "", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper())


def fec_account_number(code: str, account: str) -> str:
    """CompteNum: the chart's code, padded with zeros to three digits (`54` → `540`)."""
    code = str(code).strip()
    if not re.match(r"\d", code):
        found = re.search(r":(\d+)", account)
        code = found.group(1) if found else code
    digits = re.match(r"\d*", code).group(0)
    if len(digits) < 3 and digits == code:
        code = code.ljust(3, "0")
    if not re.match(r"\d{3}", code):
        raise FecError(f"Le compte « {account} » a le code « {code} » : dans le FEC, un numéro de compte commence "
                       "par trois chiffres du plan comptable. Corrigez le plan comptable de l'AD.")
    return code


def fec_lines(books: Books, exercice: Exercice, valid: datetime.date | None = None) -> list[list[str]]:
    """The FEC's rows, header first. `valid` is the closing date (ValidDate)."""
    lines = [list(FEC_COLUMNS)]
    number = 0

    def add(journal, op_date, code, label, aux, piece, piece_date, text, debit, credit, let="", let_date=None):
        aux_number = _aux_number(aux) if aux else ""
        lines.append([journal[0], journal[1], f"{number:06d}", _fec_date(op_date), code,
                      _fec_text(label) or code, aux_number, _fec_text(aux) if aux_number else "",
                      _fec_text(piece) or f"OP{number}", _fec_date(piece_date),
                      _fec_text(text) or _fec_text(label) or "Operation", fr_number(debit), fr_number(credit),
                      let, _fec_date(let_date) if let else "", _fec_date(max(valid, op_date) if valid else op_date),
                      "", ""])

    def info(account: str) -> tuple[str, str, str]:
        code, label, aux = _account_info(books.chart, account)
        return fec_account_number(code, account), label, aux

    # À-nouveaux: what the coop owned on 31/08 of the year before, against the report à nouveau.
    previous_end = exercice.start - datetime.timedelta(days=1)
    opening = []
    for account in sorted({p.account for op in books.operations for p in op.entry.postings}):
        compte, _ = books.chart.lookup(account)
        if compte is None or not compte.is_treasury:
            continue
        amount = books.balance(account, previous_end)
        if amount:
            opening.append((account, amount))
    if opening:
        number += 1
        total = ZERO
        for account, amount in opening:
            code, label, aux = info(account)
            add(("AN", "A nouveaux"), exercice.start, code, label, aux, "AN", exercice.start,
                "Report a nouveau", max(amount, ZERO), max(-amount, ZERO))
            total += amount
        fonds = next((c for c in books.chart.comptes if c.sens == "fonds"), None)
        add(("AN", "A nouveaux"), exercice.start, fec_account_number(fonds.code if fonds else "110", "fonds"),
            fonds.libelle if fonds else "Report a nouveau", "", "AN", exercice.start,
            "Report a nouveau", max(-total, ZERO), max(total, ZERO))

    for op in books.operations_of(exercice):
        number += 1
        journal = _journal_of(op, books)
        text = " - ".join(t for t in (op.payee, op.narration) if t)
        for posting in op.entry.postings:
            if posting.units is None:
                continue
            amount = posting.units.number
            code, label, aux = info(posting.account)
            is_bank = posting.account in books.bank_accounts
            tick = op.releve if is_bank else None
            add(journal, op.date, code, label, aux, op.piece or f"OP{number}", op.date, text,
                max(amount, ZERO), max(-amount, ZERO),
                let=tick.strftime("R%Y%m%d") if tick else "", let_date=tick)
    return lines


def fec_bytes(books: Books, exercice: Exercice, valid: datetime.date | None = None) -> bytes:
    text = "\r\n".join("\t".join(line) for line in fec_lines(books, exercice, valid)) + "\r\n"
    # ISO 8859-15 (Latin-9, with €) is one of the encodings the norm accepts; every field was
    # transliterated, so nothing is lost here ("strict": a miss would be a bug, not a "?").
    return text.encode(FEC_ENCODING, errors="strict")


def export_content(books: Books, exercice: Exercice, fmt: str, ad_config: dict, uai: str) -> tuple[bytes, str]:
    """(content, file name) of the exercice's journal as `fmt`: xlsx, csv or fec."""
    if fmt == "xlsx":
        return journal_xlsx(books, exercice, f"Journal {exercice} {uai}"), f"journal-{uai}-{exercice}.xlsx"
    if fmt == "csv":
        return journal_csv(books, exercice), f"journal-{uai}-{exercice}.csv"
    name = fec_filename((ad_config or {}).get("siren"), exercice)  # first: a wrong SIREN stops the export
    closing = books.closed.get(exercice)
    valid = closing.meta.get("le") if closing is not None else None
    return fec_bytes(books, exercice, valid if isinstance(valid, datetime.date) else None), name
