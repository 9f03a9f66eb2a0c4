"""Remises de chèques: a remise deposits exactly the cheques received, each of them once.

The cheques to deposit (5112 Chèques à encaisser) never hold a negative amount at the end of a
day (`cheques-a-encaisser-negatif`). A remise linked to the cheques it deposits (`^chq-…`
shared with each receipt, as the Saisie page writes it) equals their total, and a cheque is in
one remise only (`remise-cheques`).
"""

from __future__ import annotations

import collections

from beancount.core import data
from retkoop_plugins._common import (
    ZERO,
    Accounts,
    chart_or_none,
    daily_balances,
    first_days,
    fmt_date,
    fmt_eur,
    judged_until,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
    where,
)

__plugins__ = ("check_remises",)

NegativeChequesError = collections.namedtuple("NegativeChequesError", "source message entry")
NegativeChequesWarning = warning_twin(NegativeChequesError)
RemiseMismatchError = collections.namedtuple("RemiseMismatchError", "source message entry")
RemiseMismatchWarning = warning_twin(RemiseMismatchError)


def check_remises(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None:
        return entries, []
    comptes = Accounts(chart)
    moves = []
    received: dict[str, list[tuple[data.Transaction, object]]] = collections.defaultdict(list)
    remises: list[tuple[data.Transaction, object]] = []
    for entry, lines in transactions(entries, chart):
        into = out = ZERO
        for posting, number, compte in lines:
            if compte.type == "cheques":
                moves.append((entry.date, posting.account, number, entry))
                if number > 0:
                    into += number
                else:
                    out -= number
        if into and entry.links:
            for link in entry.links:
                received[link].append((entry, into))
        if out and not into and entry.links:
            remises.append((entry, out))

    errors = []
    if reglages.active("cheques-a-encaisser-negatif"):
        for account, date, _before, balance, last in first_days(daily_balances(moves), lambda b: b < ZERO, judged_until(options_map)):
            compte = comptes(account)
            errors += report(
                reglages, "cheques-a-encaisser-negatif", NegativeChequesError, last.meta,
                f"Les {compte.libelle.split(' (')[0].lower()} ({compte.code}) seraient négatifs le "
                f"{fmt_date(date)} ({fmt_eur(balance)}) : une remise dépose plus que les chèques reçus. "
                "Vérifiez le montant de la remise (le total du bordereau) et que chaque chèque remis "
                "a bien été saisi, avant la remise.",
                last,
            )
    if reglages.active("remise-cheques"):
        deposited: dict[int, data.Transaction] = {}
        judged = judged_until(options_map)
        for remise, amount in remises:
            cheques = {id(e): (e, n) for link in sorted(remise.links) for e, n in received.get(link, ())
                       if e is not remise}
            if not cheques:
                continue
            closed = judged is not None and remise.date <= judged  # judged at its closing
            for cheque, _n in cheques.values():
                first = deposited.get(id(cheque))
                if first is not None and not closed:
                    errors += report(
                        reglages, "remise-cheques", RemiseMismatchError, remise.meta,
                        f"Le chèque de la pièce {cheque.meta.get('piece', '?')} ({cheque.payee or cheque.narration}, "
                        f"{fmt_date(cheque.date)}) est déjà dans la remise du {fmt_date(first.date)} "
                        f"({where(first)}) : un chèque ne se remet qu'une fois.",
                        remise,
                    )
                elif first is None:
                    deposited[id(cheque)] = remise
            total = sum((n for _e, n in cheques.values()), ZERO)
            if total != amount and not closed:
                count = len(cheques)
                what = "le chèque qu'elle remet fait" if count == 1 else f"les {count} chèques qu'elle remet font"
                errors += report(
                    reglages, "remise-cheques", RemiseMismatchError, remise.meta,
                    f"La remise du {fmt_date(remise.date)} dépose {fmt_eur(amount)}, mais {what} "
                    f"{fmt_eur(total)} (écart {fmt_eur(amount - total)}) : le montant d'une remise est "
                    "la somme de ses chèques (voir le bordereau de remise).",
                    remise,
                )
    return entries, errors
