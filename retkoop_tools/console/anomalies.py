"""What the AD looks for when it checks a coop's books, reduced to data for the console.

Computed from the same load as the rest of the coop's summary (`summary.py`), never from
today's date: how old a cheque is, or how late a CRF is, is decided when the console shows
it (`status.py`). Every value is JSON-able (amounts as strings, dates in ISO).

- treasury accounts that went negative during an exercice: a bank or CCP overdrawn, more
  cheques deposited than received (Chèques à encaisser), a régie overspent;
- régies still held by a teacher at the end of the exercice (not returned by 31/08);
- cheques issued and not yet ticked on a statement (their age is judged at display time);
- the report à nouveau of an exercice against the closing of the one before;
- when the CRF was handed in and locked, from the history of its file.
"""

from __future__ import annotations

import bisect
import datetime
from decimal import Decimal
from typing import Any

from beancount.core import data

from retkoop_tools.documents.dossier import SOUMIS, VERROUILLE, Dossier
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import OUVERTURE, REMISE, ZERO, Books

#: At most this many unticked cheques are kept per coop (the oldest: those the AD looks at).
MAX_CHEQUES = 200
#: The kinds of treasury accounts watched for a negative balance, as the console names them.
WATCHED = {"banque": "Banque", "cheques": "Chèques à encaisser", "regie": "Régie"}


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def watched_accounts(books: Books) -> list[tuple[str, str, str]]:
    """(account, kind, label) of the coop's bank accounts, its cheques account and its régies."""
    result = []
    for account in books.bank_accounts:
        compte, _ = books.chart.lookup(account)
        result.append((account, "banque", compte.libelle if compte is not None else account))
    if books.cheques_account:
        result.append((books.cheques_account, "cheques", WATCHED["cheques"]))
    for account in books.regie_accounts:
        teacher = account.rsplit(":", 1)[-1].replace("-", " ")
        result.append((account, "regie", f"Régie {teacher}"))
    return result


def _lowest(books: Books, account: str, exercice: Exercice) -> tuple[Decimal, datetime.date | None, datetime.date | None]:
    """(lowest end-of-day balance, its first date, first date it was negative) within `exercice`."""
    dates, running = books._running_balances.get(account, ((), ()))
    before = bisect.bisect_left(dates, exercice.start)
    lowest = running[before - 1] if before else ZERO
    lowest_on = exercice.start
    first_negative = exercice.start if lowest < 0 else None
    end = bisect.bisect_right(dates, exercice.end)
    i = before
    while i < end:
        day = dates[i]
        while i + 1 < end and dates[i + 1] == day:  # the balance at the end of that day
            i += 1
        balance = running[i]
        if balance < lowest:
            lowest, lowest_on = balance, day
        if balance < 0 and first_negative is None:
            first_negative = day
        i += 1
    return lowest, lowest_on, first_negative


def negative_balances(books: Books, exercice: Exercice) -> list[dict[str, Any]]:
    """The watched accounts whose balance was below zero at the end of some day of `exercice`."""
    result = []
    for account, kind, label in watched_accounts(books):
        lowest, lowest_on, first = _lowest(books, account, exercice)
        if lowest < 0:
            result.append({"compte": account, "type": kind, "libelle": label, "min": str(lowest),
                           "date_min": _iso(lowest_on), "premier": _iso(first),
                           "fin": str(books.balance(account, exercice.end))})
    return result


def negative_now(books: Books) -> list[dict[str, Any]]:
    """The watched accounts below zero after the last operation recorded."""
    result = []
    for account, kind, label in watched_accounts(books):
        balance = books.balance(account)
        if balance < 0:
            result.append({"compte": account, "type": kind, "libelle": label, "solde": str(balance)})
    return result


def open_regies(books: Books, exercice: Exercice) -> list[dict[str, Any]]:
    """Régies with money still held by the teacher at the end of `exercice` (an overspent
    régie, below zero, is a negative balance: `negative_balances`)."""
    result = []
    for account in books.regie_accounts:
        balance = books.balance(account, exercice.end)
        if balance > 0:
            result.append({"compte": account, "enseignant": account.rsplit(":", 1)[-1].replace("-", " "),
                           "solde": str(balance)})
    return result


def unticked_cheques(books: Books) -> list[dict[str, Any]]:
    """Cheques the coop issued that no statement shows yet, oldest first."""
    found = []
    for op in books.operations:
        if op.kind == REMISE or not (op.mode == "CHQ" or op.cheque):
            continue
        for account, amount in op.banks.items():
            if amount < 0 and op.releve_on(account) is None:
                found.append((op.date, op.lineno, {
                    "date": op.date.isoformat(), "montant": str(-amount), "numero": op.cheque,
                    "piece": op.piece, "libelle": op.label[:80], "compte": account}))
    found.sort(key=lambda item: (item[0], item[1]))
    return [item for _, _, item in found[:MAX_CHEQUES]]


def opening_control(books: Books, exercice: Exercice, crf: dict[str, Any] | None,
                    previous_crf: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report à nouveau of `exercice` against the closing of the previous one, when both
    are in the books: totals (CRF's report à nouveau vs the previous bilan's actif), the
    `balance` assertions the closing wrote (per account), and opening entries typed again."""
    previous = exercice.previous()
    if previous not in books.exercices or crf is None or previous_crf is None:
        return None
    ouverture, cloture = Decimal(crf["report"]), Decimal(previous_crf["actif"])
    filename = exercice.filename
    asserted = {e.account: e.amount.number for e in books.entries
                if isinstance(e, data.Balance) and e.date == exercice.start
                and str(e.meta.get("filename", "")).endswith(filename)}
    comptes = []
    if asserted:  # the closing wrote the final report à nouveau: every account must match
        labels = {account: label for account, _kind, label in watched_accounts(books)}
        if books.caisse_account:
            labels[books.caisse_account] = "Caisse"
        for account in asserted:
            labels.setdefault(account, account.rsplit(":", 1)[-1])
        for account, label in labels.items():
            closing = books.balance(account, previous.end)
            opening = asserted.get(account)
            if (opening if opening is not None else ZERO) != closing:
                comptes.append({"compte": account, "libelle": label,
                                "ouverture": str(opening) if opening is not None else None,
                                "cloture": str(closing)})
    saisies = [{"date": op.date.isoformat(), "fichier": op.filename.rsplit("/", 1)[-1], "ligne": op.lineno,
                "montant": str(op.amount)}
               for op in sorted((op for op in books.operations if op.kind == OUVERTURE and exercice.contains(op.date)),
                                key=lambda op: (op.date, op.lineno))]
    return {"ouverture": str(ouverture), "cloture": str(cloture), "ecart": str(ouverture - cloture),
            "definitif": bool(asserted), "comptes": comptes, "saisies": saisies}


def _day(event_time: str) -> str | None:
    try:
        return datetime.date.fromisoformat(event_time[:10]).isoformat()
    except ValueError:
        return None


def handed_in(dossier: Dossier) -> dict[str, Any]:
    """When the CRF that stands was handed in (its last submission) and locked, from its history."""
    last = {}
    for event in dossier.historique:
        last[event.action] = _day(event.le)
    remis = None
    if dossier.statut in (SOUMIS, VERROUILLE):
        remis = last.get("soumission") or last.get("verrouillage")
    return {"remis_le": remis, "verrouille_le": last.get("verrouillage") if dossier.statut == VERROUILLE else None}
