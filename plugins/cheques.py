"""Chèques émis: a cheque the coop issued shows on a bank statement within the AD's delay.

A cheque issued (mode CHQ, out of a bank account) that no statement has ticked, while a
statement of that account dated more than the AD's delay after it (`cheque-non-debite`, three
months by default) is ticked, has not been cashed: the payee is to be reminded, or the cheque
cancelled. The books' own statements tell, never today's date.
"""

from __future__ import annotations

import bisect
import calendar
import collections
import datetime

from beancount.core import data
from retkoop_plugins._common import (
    chart_or_none,
    fmt_date,
    fmt_eur,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)

from retkoop_tools.ledger.conventions import (
    CUSTOM_RELEVE,
    META_CHEQUE,
    META_MODE,
    META_RELEVE,
)

__plugins__ = ("check_cheques",)

StaleChequeError = collections.namedtuple("StaleChequeError", "source message entry")
StaleChequeWarning = warning_twin(StaleChequeError)


def months_after(date: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    year, index = divmod(date.month - 1 + months, 12)
    year, month = date.year + year, index + 1
    return datetime.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def check_cheques(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None or not reglages.active("cheque-non-debite"):
        return entries, []
    statements: dict[str, list[datetime.date]] = collections.defaultdict(list)
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_RELEVE and entry.values:
            statements[str(getattr(entry.values[0], "value", entry.values[0]))].append(entry.date)
    if not statements:
        return entries, []
    for dates in statements.values():
        dates.sort()
    months = int(reglages.valeur("cheque-non-debite", "mois"))
    errors = []
    for entry, lines in transactions(entries, chart):
        if entry.meta.get(META_MODE) != "CHQ" or entry.meta.get(META_RELEVE) is not None:
            continue
        for posting, number, compte in lines:
            if compte.type != "banque" or number >= 0 or (posting.meta or {}).get(META_RELEVE) is not None:
                continue
            dates = statements.get(posting.account)
            if not dates:
                continue
            due = months_after(entry.date, months)
            later = dates[bisect.bisect_left(dates, due):]
            if not later:
                continue
            number_text = entry.meta.get(META_CHEQUE)
            errors += report(
                reglages, "cheque-non-debite", StaleChequeError, entry.meta,
                f"Le chèque {f'n° {number_text} ' if number_text else ''}de {fmt_eur(-number)} émis le "
                f"{fmt_date(entry.date)} ({entry.payee or entry.narration}) n'est toujours pas débité au relevé "
                f"du {fmt_date(later[-1])}, plus de {months} mois après : relancez le bénéficiaire ; s'il est "
                "perdu, faites-le opposer et annulez-le par une opération inverse.",
                entry,
            )
    return entries, errors
