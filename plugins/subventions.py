"""Subventions: a subsidy is booked on a subsidies account (74…), with its funder.

The CRF's table of subsidies lists each operation on the accounts of its « Subventions » line,
with the funder taken from the operation's tiers: a subsidy without one names no funder
(`subvention-financeur`). Money from a public body (mairie, commune, département, région,
État…) or called a subvention, ventilated on another produit such as 708, is left out of that
table (`subvention-hors-74`).
"""

from __future__ import annotations

import collections
import functools
import re

from retkoop_plugins._common import (
    chart_or_none,
    fmt_date,
    fmt_eur,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)
from retkoop_plugins.ventilation import is_refund, plain

from retkoop_tools.ledger.conventions import META_NATURE, NATURES_WITHOUT_TREASURY

__plugins__ = ("check_subventions",)

SubsidyFunderError = collections.namedtuple("SubsidyFunderError", "source message entry")
SubsidyFunderWarning = warning_twin(SubsidyFunderError)
SubsidyAccountError = collections.namedtuple("SubsidyAccountError", "source message entry")
SubsidyAccountWarning = warning_twin(SubsidyAccountError)

SUBSIDIES_RUBRIQUE = "subventions"

#: Public funders, recognised in the tiers (accents removed, lower case), and the usual code of
#: their subsidies in the national chart (a suggestion only: the AD's chart decides).
_FUNDERS = (
    (re.compile(r"\b(mairie|commune|ville d|municipal|intercommunal|communaute (de communes|d.agglomeration)"
                r"|agglomeration|metropole|caisse des ecoles|ccas|sivu|sivom|syndicat intercommunal)"), "744"),
    (re.compile(r"\b(departement|departemental|conseil general)"), "743"),
    (re.compile(r"\b(region|regional)"), "742"),
    (re.compile(r"\b(etat|prefecture|dsden|rectorat|ministere|academie|inspection academique|education nationale)\b"),
     "741"),
)
_SUBSIDY_WORD = re.compile(r"\bsubvention")


@functools.lru_cache(maxsize=8192)
def looks_like_subsidy(payee: str, narration: str) -> bool:
    """From a public body (by its tiers), or called a subvention (tiers or libellé)."""
    if any(pattern.search(plain(payee)) for pattern, _ in _FUNDERS):
        return True
    return bool(_SUBSIDY_WORD.search(plain(f"{payee} {narration}")))


def _suggested(chart, entry) -> str:
    payee = plain(entry.payee or "")
    codes = [code for pattern, code in _FUNDERS if pattern.search(payee)]
    comptes = [c for c in chart.comptes if c.rubrique.key == SUBSIDIES_RUBRIQUE]
    compte = next((c for c in comptes if codes and c.code == codes[0]), None)
    if compte is not None:
        return f"{compte.code} ({compte.libelle})"
    return " ou ".join(c.code for c in comptes) or "74…"


def check_subventions(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None:
        return entries, []
    watch_funder, watch_account = reglages.active("subvention-financeur"), reglages.active("subvention-hors-74")
    if not (watch_funder or watch_account):
        return entries, []
    errors = []
    for entry, lines in transactions(entries, chart):
        subsidies, other_produits = [], []
        for _posting, number, compte in lines:
            if compte.sens != "produit" or number >= 0:
                continue
            (subsidies if compte.rubrique.key == SUBSIDIES_RUBRIQUE else other_produits).append((compte, -number))
        if not (subsidies or other_produits) or entry.meta.get(META_NATURE) in NATURES_WITHOUT_TREASURY:
            continue
        if watch_funder and subsidies and not (entry.payee or "").strip():
            compte, amount = subsidies[0]
            errors += report(
                reglages, "subvention-financeur", SubsidyFunderError, entry.meta,
                f"Subvention de {fmt_eur(amount)} du {fmt_date(entry.date)} sur {compte.code} sans financeur : "
                "écrivez qui la verse dans le tiers de l'opération (« Mairie de … », « Conseil "
                "départemental … ») ; le tableau des subventions du CRF le nomme.",
                entry,
            )
        if (watch_account and other_produits and looks_like_subsidy(entry.payee or "", entry.narration or "")
                and not is_refund(entry)):
            compte, amount = other_produits[0]
            who = f"de « {entry.payee} » " if entry.payee else ""
            errors += report(
                reglages, "subvention-hors-74", SubsidyAccountError, entry.meta,
                f"Recette {who}de {fmt_eur(amount)} ventilée sur {compte.code} ({compte.libelle}) : "
                f"une subvention se ventile sur un compte de subventions, ici {_suggested(chart, entry)}, "
                "pour figurer au tableau des subventions du CRF avec son financeur.",
                entry,
            )
    return entries, errors
