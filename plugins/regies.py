"""Régies d'avance: never spent beyond what was handed out, within the AD's limit, settled by 31/08.

A teacher's régie (54 Régies d'avance, one sub-account each) never holds a negative amount at
the end of a day (`regie-depassee`) nor more than the AD's limit (`regie-plafond`, 150 € by
default); once the next exercice is open, a régie still holding money at 31/08 of the previous
one was neither justified nor returned in its exercice (`regie-non-soldee`).
"""

from __future__ import annotations

import bisect
import collections
import datetime
from decimal import Decimal

from beancount.core import data
from retkoop_plugins._common import (
    ZERO,
    chart_or_none,
    closed_totals,
    daily_balances,
    first_days,
    fmt_date,
    fmt_eur,
    judged_until,
    located,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)

from retkoop_tools.ledger.conventions import CUSTOM_CLOTURE
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_regies",)

RegieOverspentError = collections.namedtuple("RegieOverspentError", "source message entry")
RegieOverspentWarning = warning_twin(RegieOverspentError)
RegieLimitError = collections.namedtuple("RegieLimitError", "source message entry")
RegieLimitWarning = warning_twin(RegieLimitError)
RegieNotSettledError = collections.namedtuple("RegieNotSettledError", "source message entry")
RegieNotSettledWarning = warning_twin(RegieNotSettledError)


def _teacher(account: str) -> str:
    return account.rsplit(":", 1)[-1].replace("-", " ")


def _finished_exercices(entries, options_map) -> set[Exercice]:
    """Exercices over as far as the books tell (no clock): closed, or followed by an open one."""
    files = {e for e in (Exercice.from_filename(p) for p in options_map.get("include", [])) if e}
    finished = {e for e in files if e.next() in files}
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_CLOTURE:
            finished.add(Exercice.of_date(entry.date))
    return finished


def check_regies(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None:
        return entries, []
    moves = []
    for entry, lines in transactions(entries, chart):
        for posting, number, compte in lines:
            if compte.type == "regie":
                moves.append((entry.date, posting.account, number, entry))
    if not moves:
        return entries, []
    days = list(daily_balances(moves))

    errors = []
    if reglages.active("regie-depassee"):
        for account, date, before, balance, last in first_days(days, lambda b: b < ZERO, judged_until(options_map)):
            errors += report(
                reglages, "regie-depassee", RegieOverspentError, last.meta,
                f"La régie de {_teacher(account)} serait négative le {fmt_date(date)} ({fmt_eur(balance)}) : "
                f"les dépenses justifiées dépassent la somme confiée ({fmt_eur(max(before, ZERO))} restaient). "
                "Vérifiez les montants des tickets ; si l'enseignant a avancé la différence, "
                "remboursez-le par une opération à part.",
                last,
            )
    if reglages.active("regie-plafond"):
        limit = reglages.valeur("regie-plafond", "plafond")
        for account, date, _before, balance, last in first_days(days, lambda b: b > limit, judged_until(options_map)):
            errors += report(
                reglages, "regie-plafond", RegieLimitError, last.meta,
                f"La régie de {_teacher(account)} atteint {fmt_eur(balance)} le {fmt_date(date)}, plus que "
                f"le plafond de {fmt_eur(limit)} fixé par l'AD : confiez moins à la fois (et faites "
                "justifier la régie avant d'en verser une autre), ou payez la dépense directement par "
                "la coopérative.",
                last,
            )
    if reglages.active("regie-non-soldee"):
        by_account: dict[str, list[tuple]] = collections.defaultdict(list)
        for item in days:
            by_account[item[0]].append(item)
        judged = judged_until(options_map)
        closed = sorted(closed_totals(options_map).items())
        for exercice, totals in closed:  # left out of the load
            for account, regie in sorted(totals.get("regies", {}).items()):
                balance = Decimal(regie["solde"])
                if balance:
                    errors += report(
                        reglages, "regie-non-soldee", RegieNotSettledError,
                        located(options_map, regie["versement"]),
                        _not_settled(account, exercice, balance, datetime.date.fromisoformat(regie["versement"][2])),
                        None,
                    )
        for exercice in sorted(_finished_exercices(entries, options_map)):
            if judged is not None and exercice.end <= judged:
                continue
            for account, items in sorted(by_account.items()):
                dates = [item[1] for item in items]
                index = bisect.bisect_right(dates, exercice.end)
                if not index or items[index - 1][3] == ZERO:
                    continue
                balance = items[index - 1][3]
                meta, date, entry = _last_versement(items[:index], judged, closed[-1][1] if closed else None,
                                                    account, options_map)
                errors += report(
                    reglages, "regie-non-soldee", RegieNotSettledError, meta,
                    _not_settled(account, exercice, balance, date),
                    entry,
                )
    return entries, errors


def _last_versement(items: list[tuple], judged, totals: dict | None, account: str, options_map):
    """The last day money was handed out (else the last day) of a régie's days up to an
    exercice's end: `(meta, date, entry)`. In a standalone load the days up to `judged` are sums
    (the à-nouveaux): those of the closed exercices come from their totals."""
    kept = (totals or {}).get("regies", {}).get(account) if judged is not None else None
    if kept is not None:
        items = [i for i in items if i[1] > judged]
    handed = [i for i in items if i[3] > i[2]]  # the days money was handed out
    if not handed and kept is not None and (kept["versement"][3] or not items):
        where_ = kept["versement"]
        return located(options_map, where_), datetime.date.fromisoformat(where_[2]), None
    last = (handed or items)[-1]
    return last[4].meta, last[1], last[4]


def _not_settled(account: str, exercice: Exercice, balance, last_date: datetime.date) -> str:
    return (f"La régie de {_teacher(account)} n'est ni justifiée ni restituée au "
            f"{fmt_date(exercice.end)} ({fmt_eur(balance)} en cours, dernier versement le "
            f"{fmt_date(last_date)}) : saisissez dans l'exercice {exercice} les dépenses justifiées "
            "et le reliquat restitué.")
