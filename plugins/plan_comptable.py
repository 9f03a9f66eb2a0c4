"""Plan comptable: only the accounts of the AD's chart, only euros, never a parent account.

Every account opened must be an account of the AD's chart, or a sub-account of one that is
detailed (one régie per teacher); every amount is in EUR; nothing is written on an account
that is detailed into sub-accounts. The AD's rule settings (`regles:` in ad.yaml) are checked
here too, once for all the rules.
"""

from __future__ import annotations

import collections

from beancount.core import data
from retkoop_plugins._common import chart_or_error, reglages_or_error

from retkoop_tools.checks.messages import CURRENCY_MESSAGE
from retkoop_tools.ledger.conventions import CURRENCY

__plugins__ = ("check_plan_comptable",)

ChartFileError = collections.namedtuple("ChartFileError", "source message entry")
RulesSettingsError = collections.namedtuple("RulesSettingsError", "source message entry")
UnknownAccountError = collections.namedtuple("UnknownAccountError", "source message entry")
CurrencyError = collections.namedtuple("CurrencyError", "source message entry")
ParentAccountError = collections.namedtuple("ParentAccountError", "source message entry")


def check_plan_comptable(entries, options_map):
    _reglages, errors = reglages_or_error(options_map, RulesSettingsError)
    chart, chart_errors = chart_or_error(options_map, ChartFileError)
    errors += chart_errors
    if chart is None:
        return entries, errors

    for entry in entries:
        if isinstance(entry, data.Open):
            compte, is_sub = chart.lookup(entry.account)
            if compte is None:
                errors.append(
                    UnknownAccountError(
                        entry.meta,
                        f"Le compte {entry.account} n'existe pas dans le plan comptable de l'AD. "
                        "Choisissez un compte du plan (retkoop coop comptes le régénère).",
                        entry,
                    )
                )
            elif compte.sous_comptes and not is_sub:
                errors.append(
                    ParentAccountError(
                        entry.meta,
                        f"Le compte {compte.code} ({compte.libelle}) se détaille en sous-comptes : "
                        f"ouvrez {entry.account}:Nom plutôt que le compte lui-même.",
                        entry,
                    )
                )
            if entry.currencies and list(entry.currencies) != [CURRENCY]:
                errors.append(
                    CurrencyError(
                        entry.meta,
                        f"Le compte {entry.account} doit être tenu en euros (EUR), "
                        f"pas en {', '.join(entry.currencies)}.",
                        entry,
                    )
                )
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                units = posting.units
                if units is not None and units.currency not in (CURRENCY, None):
                    errors.append(
                        CurrencyError(
                            entry.meta,
                            CURRENCY_MESSAGE.format(currency=units.currency, account=posting.account),
                            entry,
                        )
                    )
                if posting.cost is not None or posting.price is not None:
                    errors.append(
                        CurrencyError(
                            entry.meta,
                            f"Coût ou prix sur {posting.account} : une coopérative n'a que "
                            "des montants en euros, sans @ ni {}.",
                            entry,
                        )
                    )
                compte, is_sub = chart.lookup(posting.account)
                if compte is not None and compte.sous_comptes and not is_sub:
                    errors.append(
                        ParentAccountError(
                            entry.meta,
                            f"Le compte {compte.code} ({compte.libelle}) se détaille en "
                            f"sous-comptes : écrivez sur {posting.account}:Nom "
                            "(par exemple la régie d'un enseignant).",
                            entry,
                        )
                    )
    return entries, errors
