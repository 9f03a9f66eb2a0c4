"""Declare (mandataire), validate (AD), pay (booked in the ledger): one commit each, or nothing."""

from __future__ import annotations

import datetime

from retkoop_tools.ad import LEDGERS_DIRNAME, load_ad
from retkoop_tools.adhesion.model import (
    DECLAREE,
    PAYEE,
    VALIDEE,
    AdhesionError,
    Declaration,
    adhesion_filename,
    compute,
    load_declaration,
    tarifs,
)
from retkoop_tools.documents.source import load_source
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import CURRENCY, MODES
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, commit_result, ensure_open
from retkoop_tools.tresorier.numbering import next_cheque, next_piece
from retkoop_tools.tresorier.parsing import parse_date

PAYMENT_MODES = ("CHQ", "PRLV", "VIR")



def _current(store: Store, uai: str, exercice: Exercice, result: Result) -> Declaration | None:
    try:
        declaration = load_declaration(store.root / LEDGERS_DIRNAME / uai, exercice)
    except AdhesionError as exc:
        result.errors["general"] = str(exc)
        return None
    if declaration is None:
        result.errors["general"] = f"L'adhésion {exercice} n'est pas encore déclarée."
    return declaration


def declare(store: Store, uai: str, declaration: Declaration, author: Author) -> Result:
    result = Result()
    exercice = declaration.exercice
    with store.coop_locked(uai):
        try:
            tarifs(load_ad(store.root).config, exercice)
            previous = load_declaration(store.root / LEDGERS_DIRNAME / uai, exercice)
        except AdhesionError as exc:
            result.errors["general"] = str(exc)
            return result
        if previous is not None and previous.statut in (VALIDEE, PAYEE):
            result.errors["general"] = (f"L'adhésion {exercice} est déjà validée par l'AD : "
                                        "demandez-lui de la modifier.")
            return result
        declaration.statut = DECLAREE
        declaration.historique = (previous.historique if previous else [])
        declaration.event("modification" if previous else "declaration", author.name)
        verb = "modifiée" if previous else "déclarée"
        return commit_result(store, uai, {adhesion_filename(exercice): declaration.dump()}, author,
                       f"Adhésion {exercice} {verb} ({declaration.eleves} élèves, "
                       f"{declaration.adultes} adultes)", result)


def validate(store: Store, uai: str, exercice: Exercice, author: Author) -> Result:
    """The AD validates the declaration: the coop can download its attestation."""
    result = Result()
    with store.coop_locked(uai):
        declaration = _current(store, uai, exercice, result)
        if declaration is None:
            return result
        if declaration.statut != DECLAREE:
            result.errors["general"] = f"L'adhésion {exercice} est déjà validée."
            return result
        declaration.statut = VALIDEE
        declaration.event("validation", author.name)
        return commit_result(store, uai, {adhesion_filename(exercice): declaration.dump()}, author,
                       f"Adhésion {exercice} validée par l'AD", result)


def payment_text(declaration: Declaration, ad_config: dict, books, date: datetime.date, mode: str,
                 cheque: str, piece: str, bank: str | None = None) -> str:
    """The ledger entry of the payment: cotisations (6281), insurance (6168), review (6181)."""
    amounts = compute(declaration, tarifs(ad_config, declaration.exercice))
    bank = bank or books.bank_account
    lines = []
    for code, amount in amounts.by_code().items():
        compte = books.chart.by_code.get(code)
        if compte is None:
            raise AdhesionError(f"Le plan comptable de l'AD n'a pas de compte {code}.")
        lines.append((compte.account, amount))
    lines.append((bank, -amounts.total))
    width = max(len(a) for a, _ in lines) + 2
    payee = str(ad_config.get("nom") or "OCCE").replace('"', "'")
    text = (f'{date.isoformat()} * "{payee}" "Adhésion {declaration.exercice} : cotisations et assurance"\n'
            f'  piece: "{piece}"\n  mode: "{mode}"\n'
            + (f'  cheque: "{cheque}"\n' if cheque else "")
            + "".join(f"  {account:<{width}} {amount:>9} {CURRENCY}\n" for account, amount in lines))
    return text + "\n"


def record_payment(store: Store, uai: str, exercice: Exercice, author: Author, *, date_text: str,
                   mode: str, cheque: str = "", today: datetime.date | None = None,
                   bank: str = "") -> Result:
    """Book the payment of a validated adhésion (one expense, with its pièce number), on the
    coop's bank account `bank` (its default one when empty)."""
    result = Result()
    with store.coop_locked(uai):
        declaration = _current(store, uai, exercice, result)
        if declaration is None:
            return result
        if declaration.statut == DECLAREE:
            result.errors["general"] = "Attendez la validation de l'AD avant de payer l'adhésion."
            return result
        if declaration.statut == PAYEE:
            result.errors["general"] = f"Le paiement de l'adhésion est déjà saisi (pièce {declaration.paiement})."
            return result
        try:
            date = parse_date(date_text)
        except ValueError as exc:
            result.errors["date"] = str(exc)
        if mode not in PAYMENT_MODES:
            result.errors["mode"] = "Choisissez le mode de paiement : " + ", ".join(MODES[m] for m in PAYMENT_MODES) + "."
        if result.errors:
            return result
        source = load_source(store.root, uai, today)
        books = source.books
        file_exercice = Exercice.of_date(date)
        if not books.writable(file_exercice):
            result.errors["date"] = (f"Le {fmt_date(date)} n'est pas dans un exercice ouvert : "
                                     f"payez dans l'exercice {exercice} ou le suivant.")
            return result
        if file_exercice not in books.open_exercices:  # the rentrée: the payment opens the new year
            if not ensure_open(store, uai, books, file_exercice, author, result):
                return result
            source = load_source(store.root, uai, today)
            books = source.books
        if bank and bank not in books.bank_accounts:
            result.errors["banque"] = "Choisissez le compte bancaire du paiement dans la liste."
            return result
        cheque = (cheque or "").strip()
        if mode == "CHQ" and not cheque:
            cheque = next_cheque(books.entries, books.bank_accounts)
            if not cheque:
                result.errors["cheque"] = "Indiquez le numéro du chèque (premier chèque du carnet)."
                return result
        piece = next_piece(books.entries, file_exercice, books.numbering, receipt=False)
        ad_config = source.ad.config
        try:
            text = payment_text(declaration, ad_config, books, date, mode, cheque, piece, bank or None)
        except AdhesionError as exc:
            result.errors["general"] = str(exc)
            return result
        path = source.coop_dir / file_exercice.filename
        current = path.read_text(encoding="utf-8")
        at = insert_position(current)
        declaration.statut = PAYEE
        declaration.paiement = piece
        declaration.event("paiement", author.name, f"pièce {piece}, {MODES[mode]}")
        total = compute(declaration, tarifs(ad_config, exercice)).total
        changes = {file_exercice.filename: current[:at] + text + current[at:],
                   adhesion_filename(exercice): declaration.dump()}
        return commit_result(store, uai, changes, author,
                       f"{piece} : paiement de l'adhésion {exercice}, {fmt_eur(total)}", result)
