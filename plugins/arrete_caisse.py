"""Arrêté de caisse: the notes and coins counted must equal the caisse's book balance.

A count is `custom "arrete-caisse" Actif:530-Caisse`, dated on the day of the count, with
one key per denomination counted (`b20: 3` three 20 € notes, `p2: 4` four 2 € coins,
`c50: 1` one 50 c coin…). Its total must equal the balance of the caisse at the moment of
the count: the operations dated before it, and those of its day written before it (the
ledger's order, which is the order they were recorded in); the day's operations written
after it come after the count. A gap equal to the previous count's is reported once, at its
first count (the open exercices loaded on their own know the last gap of the closed ones).
"""

from __future__ import annotations

import collections
import re
from decimal import Decimal

from beancount.core import data

from retkoop_plugins._common import ZERO, chart_or_none, custom_values, fmt_date, fmt_eur
from retkoop_tools.ledger.anouveaux import plugin_state
from retkoop_tools.ledger.conventions import CUSTOM_ARRETE_CAISSE, DENOMINATIONS

__plugins__ = ("check_arrete_caisse",)

InvalidCashCountError = collections.namedtuple("InvalidCashCountError", "source message entry")
CashCountMismatchError = collections.namedtuple("CashCountMismatchError", "source message entry")

_DENOMINATION_LIKE = re.compile(r"^[bpc]\d+$")


def count_total(meta) -> tuple[Decimal, list[str]]:
    """Total of a count's denominations, and the French problems found in them."""
    total, problems = ZERO, []
    for key, value in meta.items():
        if key in DENOMINATIONS:
            if not isinstance(value, Decimal) or value < 0 or value != value.to_integral_value():
                problems.append(f"« {key}: {value} » : un nombre entier de billets ou pièces.")
                continue
            total += DENOMINATIONS[key] * value
        elif _DENOMINATION_LIKE.match(key):
            problems.append(
                f"Coupure inconnue « {key} » (connues : {', '.join(DENOMINATIONS)})."
            )
    return total, problems


def check_arrete_caisse(entries, options_map):
    chart = chart_or_none(options_map)
    if chart is None:
        return entries, []
    caisses = [c.account for c in chart.accounts_of_type("caisse")]
    counts = [e for e in entries if isinstance(e, data.Custom) and e.type == CUSTOM_ARRETE_CAISSE]
    if not counts:
        return entries, []

    errors = []
    anew = plugin_state(options_map)
    previous_gap: dict[str, Decimal] = dict(anew.caisse_gaps) if anew else {}
    running: dict[str, Decimal] = collections.defaultdict(lambda: ZERO)
    for entry in entries:  # in the ledger's order: date, then the order written
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.account in caisses and posting.units and posting.units.number is not None:
                    running[posting.account] += posting.units.number
            continue
        if not (isinstance(entry, data.Custom) and entry.type == CUSTOM_ARRETE_CAISSE):
            continue
        values = custom_values(entry)
        if len(values) != 1 or values[0] not in caisses:
            errors.append(
                InvalidCashCountError(
                    entry.meta,
                    'Arrêté de caisse mal écrit : attendu custom "arrete-caisse" '
                    f"{caisses[0] if caisses else 'Actif:530-Caisse'}, puis une ligne par "
                    "coupure comptée (b20: 3).",
                    entry,
                )
            )
            continue
        account = values[0]
        total, problems = count_total(entry.meta)
        if problems:
            errors.append(
                InvalidCashCountError(
                    entry.meta, f"Arrêté de caisse du {fmt_date(entry.date)} : " + " ".join(problems), entry
                )
            )
            continue
        book = running[account]
        gap = total - book
        # The same gap as the previous count has the same cause: report it once.
        if gap != 0 and gap != previous_gap.get(account, ZERO):
            errors.append(
                CashCountMismatchError(
                    entry.meta,
                    f"Arrêté de caisse du {fmt_date(entry.date)} : {fmt_eur(total)} comptés, "
                    f"{fmt_eur(book)} au livre de caisse au moment du comptage (écart {fmt_eur(gap)}). "
                    "Recomptez, ou cherchez l'opération en espèces oubliée ou mal datée ; un écart "
                    "qui demeure s'enregistre comme écart de caisse.",
                    entry,
                )
            )
        previous_gap[account] = gap
    return entries, errors
