"""The rentrée: the new exercice opened while the previous one is still open, and its opening.

From 1 September the mandataire records the new year's first operations while last year
waits for its summer statements and its closing. The new exercice's file is created by our
own code (a SYSTEM-scope write, as closing does), with a provisional report à nouveau: the
ledger is continuous, so its opening balances are the previous exercice's as they stand, and
a correction there carries over by itself. The closing writes the final figures in the same
block (`balance` assertions dated 1 September), which is what lets an exercice be loaded on
its own later (`standalone_entries`): its file plus one opening transaction built from them.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.chart import Chart
from retkoop_tools.cloture.report import is_provisional, provisional_block, with_report
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import CURRENCY, META_NATURE, NATURE_OUVERTURE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import (
    COMPTES_FILENAME,
    LayoutError,
    exercice_changes,
    exercices_of,
)
from retkoop_tools.policy.writes import Scope, closed_exercices
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, commit_result
from retkoop_tools.tresorier.books import OUVERTURE, Books
from retkoop_tools.tresorier.parsing import parse_amount, parse_date


class OpeningNotFinalError(ValueError):
    """The exercice's opening is still provisional: it cannot be loaded without the previous one."""


def opening_changes(coop_dir: Path, exercice: Exercice) -> dict[str, str]:
    """The files that open `exercice` (its file and coop.beancount's include), with the
    provisional report à nouveau when the previous exercice is not closed yet."""
    changes = exercice_changes(coop_dir, exercice)
    previous = exercice.previous()
    if previous in exercices_of(coop_dir) and str(previous) not in closed_exercices(coop_dir):
        changes[exercice.filename] = with_report(changes[exercice.filename], provisional_block(previous))
    return changes


def refusal(coop_dir: Path, exercice: Exercice, today: datetime.date) -> str | None:
    """Why `exercice` may not be opened today (in French), or None."""
    existing = exercices_of(coop_dir)
    if exercice in existing:
        return f"L'exercice {exercice} est déjà ouvert."
    if today < exercice.start:
        return (f"L'exercice {exercice} commence le {fmt_date(exercice.start)} : "
                "il s'ouvre à partir de cette date.")
    if existing and exercice != existing[-1].next():
        return (f"L'exercice qui suit {existing[-1]} est {existing[-1].next()} : "
                f"demandez à l'AD d'ouvrir les exercices manquants avant {exercice}.")
    return None


def open_exercice(store: Store, uai: str, exercice: Exercice, author: Author,
                  today: datetime.date) -> Result:
    """Open the current exercice from the treasurer's pages (one commit, or nothing)."""
    result = Result()
    coop_dir = store.root / LEDGERS_DIRNAME / uai
    with store.prepare(uai):
        problem = refusal(coop_dir, exercice, today)
        if problem:
            result.errors["general"] = problem
            return result
        try:
            changes = opening_changes(coop_dir, exercice)
        except LayoutError as exc:
            result.errors["general"] = str(exc)
            return result
        provisional = is_provisional(changes[exercice.filename]) and exercice.previous() in exercices_of(coop_dir)
        commit_result(store, uai, changes, author, f"Ouverture de l'exercice {exercice}", result, Scope.SYSTEM)
    if result.ok:
        result.message = (f"Exercice {exercice} ouvert"
                          + (f" : ses soldes d'ouverture sont ceux de {exercice.previous()}, provisoires "
                             "jusqu'à sa clôture." if provisional else "."))
    return result


# -- a coop that starts its books during the year ---------------------------------------------
_ENTRY_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}\s", re.MULTILINE)


def opening_exercice(books: Books) -> Exercice | None:
    """The exercice whose opening balances the mandataire may still give: the coop's first
    exercice, open, while the coop has no opening balances (None otherwise)."""
    if not books.exercices or any(op.kind == OUVERTURE for op in books.operations):
        return None
    first = books.exercices[0]
    return first if first in books.open_exercices else None


def record_opening_balances(store: Store, uai: str, books: Books, *, date_text: str, amounts: dict[str, str],
                            author: Author) -> Result:
    """The bank and cash balances of a coop whose books start during the year (created mid-year,
    or leaving its paper cahier): one opening entry against the report à nouveau, dated the day
    the books start, before every operation. One commit, or the French reason it is refused."""
    result = Result()
    errors = result.errors
    exercice = opening_exercice(books)
    if exercice is None:
        if any(op.kind == OUVERTURE for op in books.operations):
            errors["general"] = "Les soldes de départ de la coopérative sont déjà enregistrés : ils ne se donnent qu'une fois."
        else:
            errors["general"] = ("Les soldes d'ouverture de cet exercice sont ceux de la clôture du précédent : "
                                 "il n'y a rien à saisir.")
        return result
    try:
        date = parse_date(date_text)
    except ValueError as exc:
        errors["date"] = str(exc)
        date = None
    if date is not None:
        if not exercice.contains(date):
            errors["date"] = (f"Le {fmt_date(date)} n'est pas dans l'exercice {exercice} "
                              f"({fmt_date(exercice.start)} – {fmt_date(exercice.end)}).")
        elif date > books.today:
            errors["date"] = f"Le {fmt_date(date)} est dans le futur : les soldes se donnent au jour où les comptes commencent."
        else:
            earlier = [op for op in books.operations_of(exercice) if op.date < date]
            if earlier:
                first = earlier[0]
                errors["date"] = (f"Des opérations sont déjà saisies avant le {fmt_date(date)} (la première : "
                                  f"{first.piece or first.label} du {fmt_date(first.date)}) : les soldes de départ "
                                  "se donnent à une date qui précède toutes les opérations.")
            elif any(s.date < date for s in books.statements()) or any(c.date < date for c in books.cash_counts()):
                errors["date"] = (f"Un relevé ou un arrêté de caisse est déjà saisi avant le {fmt_date(date)} : "
                                  "les soldes de départ se donnent à une date qui les précède.")
    accounts = [*books.bank_accounts, *([books.caisse_account] if books.caisse_account else [])]
    values: list[tuple[str, Decimal]] = []
    for account in accounts:
        text = (amounts.get(account) or "").strip()
        if not text:
            continue
        try:
            value = parse_amount(text, allow_zero=True)
        except ValueError as exc:
            errors[account] = str(exc)
            continue
        if value:
            values.append((account, value))
    if errors or date is None:
        return result
    if not values:
        errors["general"] = ("Indiquez le solde de la banque ou de la caisse au début des comptes : "
                             "une coopérative qui démarre sans argent n'a rien à reprendre.")
        return result
    fonds = books.chart.by_code.get("110") or next(c for c in books.chart.comptes if c.rubrique.key == "fonds")
    total = sum((v for _, v in values), Decimal(0))
    lines = [f'{date.isoformat()} * "Reprise des soldes" "Soldes au début des comptes, le {fmt_date(date)}"',
             f'  {META_NATURE}: "{NATURE_OUVERTURE}"']
    lines += [f"  {account}  {value:.2f} {CURRENCY}" for account, value in values]
    lines.append(f"  {fonds.account}  {-total:.2f} {CURRENCY}")
    path = store.root / LEDGERS_DIRNAME / uai / exercice.filename
    text = path.read_text(encoding="utf-8")
    first_entry = _ENTRY_LINE.search(text)  # before every operation of the day
    at = first_entry.start() if first_entry else len(text)
    changes = {exercice.filename: text[:at] + "\n".join(lines) + "\n\n" + text[at:]}
    described = ", ".join(f"{books.bank_label(a) if a in books.bank_accounts else 'Caisse'} {fmt_eur(v)}"
                          for a, v in values)
    return commit_result(store, uai, changes, author, f"Soldes de départ au {fmt_date(date)} : {described}", result)


# -- an exercice on its own --------------------------------------------------------------------
def opening_balances(text: str, exercice: Exercice) -> list[tuple[str, Decimal]]:
    """The final report à nouveau of an exercice file: (account, amount) at its start.
    OpeningNotFinalError while the previous exercice is not closed."""
    if is_provisional(text):
        raise OpeningNotFinalError(
            f"L'ouverture de l'exercice {exercice} est provisoire : clôturez {exercice.previous()} d'abord.")
    entries, _errors, _options = parser.parse_string(text)
    return [(e.account, e.amount.number) for e in entries
            if isinstance(e, data.Balance) and e.date == exercice.start]


def opening_transaction(balances: list[tuple[str, Decimal]], exercice: Exercice, chart: Chart) -> str:
    """One transaction dated the day before the exercice, bringing the report à nouveau
    (dated like the opening entries of beancount's `summarize`)."""
    fonds = sorted((c for c in chart.comptes if c.rubrique.key == "fonds"), key=lambda c: c.code)[0]
    day = exercice.start - datetime.timedelta(days=1)
    lines = [f'{day.isoformat()} * "Report à nouveau" "Soldes au {fmt_date(day)}"',
             f'  {META_NATURE}: "ouverture"']
    total = Decimal(0)
    for account, amount in balances:
        lines.append(f"  {account}  {amount} {CURRENCY}")
        total += amount
    lines.append(f"  {fonds.account}  {-total} {CURRENCY}")
    return "\n".join(lines) + "\n"


def standalone_text(coop_dir: Path, exercice: Exercice, chart: Chart) -> str:
    """A Beancount text that loads `exercice` alone: the coop's accounts, the opening
    transaction from its report à nouveau, then its own file (no earlier exercice)."""
    from retkoop_tools.ledger.layout import ROOT_OPTIONS

    text = (Path(coop_dir) / exercice.filename).read_text(encoding="utf-8")
    opening = opening_transaction(opening_balances(text, exercice), exercice, chart)
    return (ROOT_OPTIONS + 'option "operating_currency" "EUR"\n'
            f'include "{(Path(coop_dir) / COMPTES_FILENAME).resolve()}"\n\n'
            + opening + "\n"
            f'include "{(Path(coop_dir) / exercice.filename).resolve()}"\n')
