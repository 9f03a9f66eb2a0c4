"""Cessions: goods bought for resale (school photos) are recorded gross, purchase and sales.

Sales for resale (the « Ventes de produits pour cession » line, 707) go with the purchase of
what was sold (« Achats de produits pour cession », 607), never as the margin only. An exercice
with such sales and no such purchase, once the books have gone on for the AD's delay after its
first sale (`vente-sans-achat`, 60 days by default) or the exercice is over, is reported.
"""

from __future__ import annotations

import collections
import datetime
from decimal import Decimal

from beancount.core import data
from retkoop_plugins._common import (
    ZERO,
    chart_or_none,
    closed_totals,
    fmt_date,
    fmt_eur,
    judged_until,
    located,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)

from retkoop_tools.ledger.conventions import META_NATURE, NATURES_WITHOUT_TREASURY
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_cessions",)

NetSalesError = collections.namedtuple("NetSalesError", "source message entry")
NetSalesWarning = warning_twin(NetSalesError)

SALES_RUBRIQUE, PURCHASES_RUBRIQUE = "ventes-cession", "achats-cession"


def check_cessions(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None or not reglages.active("vente-sans-achat"):
        return entries, []
    sales: dict[Exercice, object] = collections.defaultdict(lambda: ZERO)
    purchases: dict[Exercice, object] = collections.defaultdict(lambda: ZERO)
    first_sale: dict[Exercice, data.Transaction] = {}
    last_date = None
    judged = judged_until(options_map)
    first_sale_meta: dict[Exercice, dict] = {}
    for exercice, totals in closed_totals(options_map).items():  # left out of a standalone load
        sales[exercice], purchases[exercice] = Decimal(totals["ventes"]), Decimal(totals["achats"])
        if totals["premiere_vente"]:
            first_sale[exercice] = datetime.date.fromisoformat(totals["premiere_vente"][2])
            first_sale_meta[exercice] = located(options_map, totals["premiere_vente"])
        if totals["derniere"]:
            day = datetime.date.fromisoformat(totals["derniere"])
            last_date = day if last_date is None or day > last_date else last_date
    for entry, lines in transactions(entries, chart):
        if entry.meta.get(META_NATURE) in NATURES_WITHOUT_TREASURY or (judged is not None and entry.date <= judged):
            continue
        last_date = entry.date if last_date is None or entry.date > last_date else last_date
        for _posting, number, compte in lines:
            rubrique = compte.rubrique.key
            if rubrique == SALES_RUBRIQUE:
                exercice = Exercice.of_date(entry.date)
                sales[exercice] -= number
                if number < 0:
                    first_sale.setdefault(exercice, entry)
            elif rubrique == PURCHASES_RUBRIQUE:
                purchases[Exercice.of_date(entry.date)] += number
    if not first_sale:
        return entries, []
    delay = datetime.timedelta(days=int(reglages.valeur("vente-sans-achat", "delai_jours")))
    purchase_codes = ", ".join(c.code for c in chart.comptes if c.rubrique.key == PURCHASES_RUBRIQUE) or "607"
    sales_codes = ", ".join(c.code for c in chart.comptes if c.rubrique.key == SALES_RUBRIQUE) or "707"
    errors = []
    for exercice, entry in sorted(first_sale.items()):
        if sales[exercice] <= 0 or purchases[exercice] != 0:
            continue
        if exercice in first_sale_meta:  # a closed exercice, known by its totals
            entry, meta, date = None, first_sale_meta[exercice], entry
        else:
            meta, date = entry.meta, entry.date
        over = last_date > exercice.end or last_date >= date + delay
        if not over:
            continue
        errors += report(
            reglages, "vente-sans-achat", NetSalesError, meta,
            f"Ventes pour cession ({sales_codes}) de {fmt_eur(sales[exercice])} dans l'exercice {exercice} "
            f"(la première le {fmt_date(date)}), sans aucun achat pour cession ({purchase_codes}) : "
            "une vente de photos s'enregistre brute — la facture du photographe en achat, ce que paient "
            "les familles en ventes —, jamais pour la seule marge. Saisissez l'achat.",
            entry,
        )
    return entries, errors
