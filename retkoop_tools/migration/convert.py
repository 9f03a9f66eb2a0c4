"""Rows of a cahier → operations; each row converted, or rejected with its reason (French)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from beancount.core import data

from retkoop_tools.banque.readers import parse_number
from retkoop_tools.banque.statement import StatementLine
from retkoop_tools.fr import fmt_date, fmt_eur, fmt_number
from retkoop_tools.ledger.conventions import (
    CURRENCY,
    META_CHEQUE,
    META_MODE,
    META_NATURE,
    META_PIECE,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.migration.reader import Sheet, cell_date
from retkoop_tools.policy.text import plain_text
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.numbering import STYLE_CONTINUE

ZERO = Decimal("0.00")
_TOTAL = re.compile(r"\b(total|totaux|report|reporter|solde|sous-total)\b", re.IGNORECASE)
_PIECE = re.compile(r"^[A-Za-z0-9-]{1,12}$")
_LABELS = {"piece": "N° de pièce", "date": "Date", "libelle": "Libellé", "banque_entree": "Banque entrée",
           "banque_sortie": "Banque sortie", "caisse_entree": "Caisse entrée", "caisse_sortie": "Caisse sortie",
           "regie_versee": "Régie versée", "regie_restituee": "Régie restituée"}
_SIDES = {"entree": "entrée", "sortie": "sortie"}


@dataclass
class Rejected:
    row: int  # as the spreadsheet numbers it
    reason: str
    content: str


@dataclass
class Converted:
    row: int
    entry: data.Transaction

    @property
    def exercice(self) -> Exercice:
        return Exercice.of_date(self.entry.date)


@dataclass
class Conversion:
    converted: list[Converted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class _RowError(Exception):
    pass


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else fmt_number(Decimal(str(round(value, 2))))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return fmt_date(value if isinstance(value, datetime.date) else value.date())
    return re.sub(r"\s+", " ", plain_text(str(value))).strip()


def _amount(value: object, column: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    if isinstance(value, (int, float, Decimal)):
        try:
            return Decimal(str(round(float(value), 2))).quantize(Decimal("0.01"))
        except InvalidOperation:  # pragma: no cover
            raise _RowError(f"« {value} » n'est pas un montant (colonne {column}).") from None
    try:
        number = parse_number(str(value))
    except ValueError:
        raise _RowError(f"« {value} » n'est pas un montant (colonne {column}).") from None
    return number or ZERO


def convert(sheet: Sheet, books: Books, bank: str | None = None) -> Conversion:
    """Each row of the sheet, converted or rejected. `bank` is the account the generic
    « Banque » columns go on (by default the coop's own); a bank account's own columns
    (`Layout.banks`, e.g. « CCP entrée ») go on that account."""
    layout = sheet.layout
    result = Conversion()
    bank = bank or books.bank_account
    caisse = books.caisse_account
    for index, row in enumerate(sheet.rows[layout.header_row:], layout.header_row + 1):
        cells = [_text(c) for c in row]
        if not any(cells):
            continue
        content = " | ".join(c for c in cells if c)[:200]

        def get(name: str, row=row) -> object:
            col = layout.fields.get(name)
            return row[col] if col is not None and col < len(row) else None

        try:
            entry = _row_entry(books, layout, row, get, bank, caisse)
        except _RowError as exc:
            result.rejected.append(Rejected(index, str(exc), content))
            continue
        result.converted.append(Converted(index, entry))
    col = layout.fields.get("piece")
    written = {_text(row[col]).upper() for row in sheet.rows[layout.header_row:] if col is not None and col < len(row)}
    _number_pieces(result.converted, books.numbering == STYLE_CONTINUE, written - {""})
    return result


def _number_pieces(converted: list[Converted], continuous: bool, written: set[str]) -> None:
    """Rows without a pièce get the next number of their series and exercice that no row of
    the cahier uses (rejected rows included: they will be typed with their own pièce)."""
    used: dict[Exercice, set[str]] = {}
    for item in converted:
        used.setdefault(item.exercice, set(written)).add(str(item.entry.meta[META_PIECE]))
    counters: dict[tuple[Exercice, str], int] = {}
    for index, item in enumerate(converted):
        series = item.entry.meta.get("reprise")
        if series is None:
            continue
        key = (item.exercice, "" if continuous else series)
        while True:
            counters[key] = counters.get(key, 0) + 1
            piece = str(counters[key]) if continuous else f"{series}{counters[key]:02d}"
            if piece not in used[item.exercice]:
                break
        used[item.exercice].add(piece)
        meta = {k: v for k, v in item.entry.meta.items() if k != "reprise"}
        meta[META_PIECE] = piece
        meta["reprise"] = "pièce numérotée à la reprise"
        converted[index] = Converted(item.row, item.entry._replace(meta=meta))


def _row_entry(books, layout, row, get, bank, caisse) -> data.Transaction:
    label = _text(get("libelle"))
    raw_date = get("date")
    if raw_date is None or not _text(raw_date):
        if _TOTAL.search(label) or any(_TOTAL.search(_text(c)) for c in row[:3]):
            raise _RowError("ligne de total ou de report : non reprise (les soldes d'ouverture se donnent à part).")
        raise _RowError("pas de date : indiquez la date de l'opération (jj/mm/aaaa).")
    try:
        date = cell_date(raw_date)
    except ValueError as exc:
        raise _RowError(str(exc)) from None
    exercice = Exercice.of_date(date)
    if exercice not in books.open_exercices:
        raise _RowError(f"le {fmt_date(date)} n'est pas dans un exercice ouvert de la coopérative "
                        f"({', '.join(str(e) for e in books.open_exercices) or 'aucun'}).")
    if not label:
        raise _RowError("pas de libellé : écrivez ce qui a été acheté ou reçu.")
    amounts = {name: _amount(get(name), _LABELS.get(name, name)) for name in (
        "banque_entree", "banque_sortie", "caisse_entree", "caisse_sortie", "regie_versee", "regie_restituee")}
    if amounts["regie_versee"] or amounts["regie_restituee"]:
        raise _RowError("régie d'avance : le cahier ne dit pas à quel enseignant ; saisissez-la sur la page Saisie.")
    in_banks: dict[str, Decimal] = {}  # bank account → what the row moves on it
    if amounts["banque_entree"] or amounts["banque_sortie"]:
        in_banks[bank] = amounts["banque_entree"] - amounts["banque_sortie"]
    for code, sides in layout.banks.items():
        compte = books.chart.by_code[code]
        moved = {side: _amount(row[col] if col < len(row) else None, f"{compte.libelle} {_SIDES[side]}")
                 for side, col in sides.items()}
        net = moved.get("entree", ZERO) - moved.get("sortie", ZERO)
        if net:
            in_banks[compte.account] = in_banks.get(compte.account, ZERO) + net
    in_banks = {a: v for a, v in in_banks.items() if v}
    in_cash = amounts["caisse_entree"] - amounts["caisse_sortie"]
    if not in_banks and not in_cash:
        raise _RowError("aucun montant en banque ni en caisse.")
    if len(in_banks) > 1 and (in_cash or sum(in_banks.values()) != 0 or len(in_banks) > 2):
        raise _RowError("la ligne touche deux comptes bancaires sans être un virement de l'un à l'autre : "
                        "séparez-la en deux opérations.")
    bank_moved = next(iter(in_banks), None)
    in_bank = in_banks.get(bank_moved, ZERO) if len(in_banks) == 1 else ZERO
    if in_cash and caisse is None:
        raise _RowError("le plan comptable de l'AD n'a pas de compte de caisse.")
    ventilation = []
    for col, compte in layout.ventilation.items():
        value = _amount(row[col] if col < len(row) else None, f"{compte.code} {compte.libelle}")
        if value:
            ventilation.append((compte, value))
    meta: dict = {}
    cheque = _text(get("cheque"))
    postings: list[tuple[str, Decimal]] = []
    if len(in_banks) == 2:  # from one bank account to the other
        if ventilation:
            raise _RowError("un virement d'un compte bancaire à l'autre ne se ventile pas : séparez la recette "
                            "ou la dépense dans une autre ligne.")
        meta[META_NATURE] = "virement"
        meta[META_MODE] = "VIR"
        postings = sorted(in_banks.items(), key=lambda item: item[1] < 0)
        receipt = False
    elif ventilation:
        if in_bank and in_cash:
            raise _RowError("la ligne touche à la fois la banque et la caisse : séparez-la en deux opérations.")
        produits = sum((v for c, v in ventilation if c.sens == "produit"), ZERO)
        charges = sum((v for c, v in ventilation if c.sens == "charge"), ZERO)
        treasury = in_bank or in_cash
        if produits - charges != treasury:
            raise _RowError(f"la ventilation fait {fmt_eur(abs(produits - charges))} pour un montant de "
                            f"{fmt_eur(abs(treasury))} : c'est la « ligne rouge » du cahier, corrigez-la.")
        account = bank_moved if in_bank else caisse
        postings.append((account, treasury))
        postings += [(c.account, -v if c.sens == "produit" else v) for c, v in ventilation]
        if in_cash:
            meta[META_MODE] = "ESP"
        else:
            mode = _text(get("mode")).upper()
            guessed = StatementLine(date, label, treasury, "", cheque).mode
            meta[META_MODE] = next((m for m in ("CHQ", "VIR", "CB", "PRLV", "ESP") if m == mode or
                                    (m == "CHQ" and mode.startswith("CH"))), None) or guessed or "VIR"
            if meta[META_MODE] == "ESP":
                meta[META_MODE] = "VIR"  # cash cannot go through the bank account
        receipt = treasury > 0
    elif in_bank and in_bank == -in_cash:
        meta[META_NATURE] = "virement"
        meta[META_MODE] = "ESP"
        postings = [(bank_moved, in_bank), (caisse, in_cash)]
        receipt = in_bank > 0
    else:
        raise _RowError("ni ventilée ni virement interne : ajoutez le montant dans la colonne du compte "
                        "(charges 6…, produits 7…).")
    if cheque and meta.get(META_MODE) == "CHQ":
        meta[META_CHEQUE] = cheque
    piece = _text(get("piece")).upper()
    if piece and not _PIECE.match(piece):
        raise _RowError(f"« {piece} » n'est pas un numéro de pièce (lettres et chiffres : D12, R03, 27).")
    if not piece:
        meta["reprise"] = "R" if receipt else "D"  # numbered once every row is read
    tiers = _text(get("tiers"))
    return data.Transaction(
        {META_PIECE: piece, **meta}, date, "*", tiers or None, label, frozenset(), frozenset(),
        [data.Posting(a, data.Amount(v, CURRENCY), None, None, None, None) for a, v in postings])
