"""Pointage: operations ticked on a bank statement add up to the statement's balance.

A statement is `custom "releve" <compte bancaire> <solde> EUR`, dated on the statement's
closing day, with an optional `document:` (its PDF in the coop's documents). An operation
appearing on it carries `releve: <date of the statement>`, on the transaction or on its bank
posting. The operations ticked up to a statement must add up exactly to its balance.
"""

from __future__ import annotations

import collections
import datetime
from decimal import Decimal

from beancount.core import data

from retkoop_plugins._common import (
    ZERO,
    chart_or_none,
    coop_dir,
    custom_values,
    fmt_date,
    fmt_eur,
    is_amount_in_eur,
    where,
)
from retkoop_tools.ledger.conventions import CUSTOM_RELEVE, META_DOCUMENT, META_RELEVE

__plugins__ = ("check_pointage",)

InvalidStatementError = collections.namedtuple("InvalidStatementError", "source message entry")
UnknownStatementError = collections.namedtuple("UnknownStatementError", "source message entry")
TickError = collections.namedtuple("TickError", "source message entry")
StatementBalanceError = collections.namedtuple("StatementBalanceError", "source message entry")


def check_pointage(entries, options_map):
    chart = chart_or_none(options_map)
    if chart is None:
        return entries, []
    bank_accounts = {c.account for c in chart.accounts_of_type("banque")}
    errors = []

    statements: dict[tuple[str, datetime.date], data.Custom] = {}
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_RELEVE:
            error = _check_statement(entry, bank_accounts, statements, options_map)
            if error:
                errors.append(error)

    ticked: dict[str, list[tuple[datetime.date, Decimal]]] = collections.defaultdict(list)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            errors.extend(_collect_ticks(entry, bank_accounts, statements, ticked))

    for (account, date), statement in sorted(statements.items(), key=lambda kv: kv[0][1]):
        total = sum((n for d, n in ticked[account] if d <= date), ZERO)
        balance = custom_values(statement)[1].number
        if total != balance:
            errors.append(
                StatementBalanceError(
                    statement.meta,
                    f"Relevé du {fmt_date(date)} ({account}) : solde du relevé "
                    f"{fmt_eur(balance)}, opérations pointées {fmt_eur(total)} "
                    f"(écart {fmt_eur(balance - total)}). Pointez les opérations qui figurent "
                    "sur le relevé, et elles seules.",
                    statement,
                )
            )
    return entries, errors


def _check_statement(entry, bank_accounts, statements, options_map):
    values = custom_values(entry)
    if len(values) != 2 or not isinstance(values[0], str) or not is_amount_in_eur(values[1]):
        return InvalidStatementError(
            entry.meta,
            'Relevé mal écrit : attendu custom "releve" Actif:512-Banque 1234.56 EUR '
            "(le compte, puis le solde en fin de relevé).",
            entry,
        )
    account = values[0]
    if account not in bank_accounts:
        return InvalidStatementError(
            entry.meta,
            f"Relevé sur {account} : un relevé bancaire porte sur un compte de banque "
            f"({', '.join(sorted(bank_accounts))}).",
            entry,
        )
    key = (account, entry.date)
    if key in statements:
        return InvalidStatementError(
            entry.meta,
            f"Deux relevés du {fmt_date(entry.date)} pour {account} "
            f"(l'autre : {where(statements[key])}).",
            entry,
        )
    statements[key] = entry
    document = entry.meta.get(META_DOCUMENT)
    if document is not None:
        if not isinstance(document, str) or not (coop_dir(options_map) / document).is_file():
            return InvalidStatementError(
                entry.meta,
                f"Le document du relevé « {document} » est introuvable dans le dossier de la "
                "coopérative.",
                entry,
            )
    return None


def _collect_ticks(entry, bank_accounts, statements, ticked):
    errors = []
    txn_tick = entry.meta.get(META_RELEVE)
    if txn_tick is not None and not isinstance(txn_tick, datetime.date):
        return [
            TickError(
                entry.meta,
                f"« releve: {txn_tick} » : le pointage s'écrit avec la date du relevé, sans "
                "guillemets (releve: 2026-03-31).",
                entry,
            )
        ]
    touched_bank = False
    for posting in entry.postings:
        if posting.account not in bank_accounts or posting.units is None:
            continue
        touched_bank = True
        post_tick = (posting.meta or {}).get(META_RELEVE)
        if post_tick is not None and txn_tick is not None and post_tick != txn_tick:
            errors.append(
                TickError(
                    entry.meta,
                    f"Opération pointée sur deux relevés ({fmt_date(txn_tick)} et "
                    f"{fmt_date(post_tick)}) : une opération ne figure que sur un relevé.",
                    entry,
                )
            )
            continue
        tick = post_tick if post_tick is not None else txn_tick
        if tick is None:
            continue
        if not isinstance(tick, datetime.date):
            errors.append(
                TickError(entry.meta, f"« releve: {tick} » doit être une date (2026-03-31).", entry)
            )
            continue
        if (posting.account, tick) not in statements:
            errors.append(
                UnknownStatementError(
                    entry.meta,
                    f"Opération pointée sur le relevé du {fmt_date(tick)}, mais il n'y a pas de "
                    f"relevé à cette date pour {posting.account}.",
                    entry,
                )
            )
            continue
        if entry.date > tick:
            errors.append(
                TickError(
                    entry.meta,
                    f"Opération du {fmt_date(entry.date)} pointée sur le relevé du "
                    f"{fmt_date(tick)}, antérieur à l'opération : vérifiez la date ou le relevé.",
                    entry,
                )
            )
            continue
        ticked[posting.account].append((tick, posting.units.number))
    if txn_tick is not None and not touched_bank:
        errors.append(
            TickError(
                entry.meta,
                "Seules les opérations passées en banque se pointent sur un relevé.",
                entry,
            )
        )
    return errors
