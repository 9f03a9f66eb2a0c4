"""Ventilation: an expense is ventilated on charges (6…), a receipt on produits (7…).

A charge account only ever receives debits and a produit account credits: an expense
ventilated on a produit, or a receipt on a charge, is the swap that Retkoop's red line shows
(`ventilation-inversee`). A refund reverses its account legitimately (a supplier's avoir on the
charge, a family refunded on the produit): its libellé says so (« Remboursement… », « Avoir… »).
"""

from __future__ import annotations

import collections
import functools
import re
import unicodedata

from beancount.core import data
from retkoop_plugins._common import (
    chart_or_none,
    fmt_eur,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)

from retkoop_tools.ledger.conventions import META_NATURE, NATURES_WITHOUT_TREASURY

__plugins__ = ("check_ventilation",)

SwappedVentilationError = collections.namedtuple("SwappedVentilationError", "source message entry")
SwappedVentilationWarning = warning_twin(SwappedVentilationError)

#: Words of a libellé that make a reversed account legitimate (accents removed, lower case).
_REFUND = re.compile(r"rembours|rbst|rembt|avoir|annul|trop[ -]?per[cç]u|restitu|ristourne|regularisation|extourne")


@functools.lru_cache(maxsize=8192)
def plain(text: str) -> str:
    """Lower case without accents, to match words in a libellé (libellés repeat: kept)."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()


@functools.lru_cache(maxsize=8192)
def _says_refund(payee: str, narration: str) -> bool:
    return bool(_REFUND.search(plain(f"{payee} {narration}")))


def is_refund(entry: data.Transaction) -> bool:
    return _says_refund(entry.payee or "", entry.narration or "")


def check_ventilation(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None or not reglages.active("ventilation-inversee"):
        return entries, []
    errors = []
    for entry, lines in transactions(entries, chart):
        swapped = []
        for _posting, number, compte in lines:
            if (compte.sens == "charge" and number < 0) or (compte.sens == "produit" and number > 0):
                swapped.append((compte, number))
        if not swapped or entry.meta.get(META_NATURE) in NATURES_WITHOUT_TREASURY or is_refund(entry):
            continue
        compte, number = swapped[0]
        if compte.sens == "produit":
            message = (f"Dépense de {fmt_eur(number)} ventilée sur {compte.code} ({compte.libelle}), un "
                       "compte de produits : une dépense se ventile sur une charge (6…). Si c'est le "
                       "remboursement d'une recette (une famille remboursée…), dites-le dans le libellé "
                       "(« Remboursement … »).")
        else:
            message = (f"Recette de {fmt_eur(-number)} ventilée sur {compte.code} ({compte.libelle}), un "
                       "compte de charges : une recette se ventile sur un produit (7…). Si c'est un "
                       "remboursement ou un avoir d'un fournisseur, dites-le dans le libellé "
                       "(« Remboursement … », « Avoir … »).")
        errors += report(reglages, "ventilation-inversee", SwappedVentilationError, entry.meta, message, entry)
    return entries, errors
