"""Soldes: a bank or CCP account is never overdrawn, and the caisse does not pile up cash.

At the end of every day, each bank account of the chart (512 Banque, 514 CCP) must hold a
positive or zero balance: a coop may not be overdrawn (`banque-negative`); while a coop whose
books start during the year has not given its opening balances yet, this is an avertissement
only. Above the AD's limit (`caisse-plafond`, 1 000 € by default) the caisse's cash should go to
the bank.
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
    judged_until,
    fmt_date,
    fmt_eur,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)

from retkoop_tools.checks.regles import AVERTISSEMENT
from retkoop_tools.ledger.conventions import (
    CUSTOM_CLOTURE,
    META_NATURE,
    NATURE_OUVERTURE,
)
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_soldes",)

BankOverdraftError = collections.namedtuple("BankOverdraftError", "source message entry")
BankOverdraftWarning = warning_twin(BankOverdraftError)
CaisseLimitError = collections.namedtuple("CaisseLimitError", "source message entry")
CaisseLimitWarning = warning_twin(CaisseLimitError)


def _awaiting_opening(entries, options_map) -> bool:
    """Whether the coop may still give its opening balances (`tresorier.rentree`): no opening
    entry yet, and its first exercice not closed (closed exercices left out of a standalone
    load: the first is closed)."""
    if judged_until(options_map) is not None:
        return False
    if any(isinstance(e, data.Transaction) and e.meta.get(META_NATURE) == NATURE_OUVERTURE for e in entries):
        return False
    files = sorted(e for e in (Exercice.from_filename(p) for p in options_map.get("include", [])) if e)
    closed = {Exercice.of_date(e.date) for e in entries if isinstance(e, data.Custom) and e.type == CUSTOM_CLOTURE}
    return bool(files) and files[0] not in closed


def check_soldes(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None:
        return entries, []
    watch_bank, watch_caisse = reglages.active("banque-negative"), reglages.active("caisse-plafond")
    if not (watch_bank or watch_caisse):
        return entries, []
    comptes = Accounts(chart)
    bank_moves, caisse_moves = [], []
    for entry, lines in transactions(entries, chart):
        for posting, number, compte in lines:
            if compte.type == "banque":
                bank_moves.append((entry.date, posting.account, number, entry))
            elif compte.type == "caisse":
                caisse_moves.append((entry.date, posting.account, number, entry))

    errors = []
    if watch_bank:
        awaiting = _awaiting_opening(entries, options_map)
        for account, date, _before, balance, last in first_days(daily_balances(bank_moves), lambda b: b < ZERO,
                                                                               judged_until(options_map)):
            compte = comptes(account)
            where_from = ("Les soldes de départ de la coopérative ne sont pas encore donnés : donnez-les sur "
                          "le Tableau de bord (« Soldes de départ »)." if awaiting else
                          "Une recette a-t-elle été oubliée ou saisie à une date plus tardive, ou ce paiement "
                          "est-il à la mauvaise date ou du mauvais montant ?")
            errors += report(
                reglages, "banque-negative", BankOverdraftError, last.meta,
                f"Le compte {compte.libelle} ({compte.code}) serait à découvert le {fmt_date(date)} "
                f"({fmt_eur(balance)}) : une coopérative ne peut pas être à découvert. {where_from}",
                last, at_most=AVERTISSEMENT if awaiting else None,
            )
    if watch_caisse:
        limit = reglages.valeur("caisse-plafond", "plafond")
        for _account, date, _before, balance, last in first_days(daily_balances(caisse_moves),
                                                               lambda b: b > limit, judged_until(options_map)):
            errors += report(
                reglages, "caisse-plafond", CaisseLimitError, last.meta,
                f"La caisse contient {fmt_eur(balance)} le {fmt_date(date)}, plus que le plafond de "
                f"{fmt_eur(limit)} fixé par l'AD : déposez les espèces à la banque (virement interne "
                "caisse → banque) au plus tôt.",
                last,
            )
    return entries, errors
