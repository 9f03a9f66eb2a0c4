"""Adhésion: what is paid to the AD goes to 6281 and 6168, and matches the adhésion declared.

A payment of the OCCE adhésion (its libellé names the OCCE or the AD, and the cotisation, the
insurance or the adhésion) is ventilated on the cotisation (6281) and insurance (6168) accounts,
plus the review's subscription (6181) (`adhesion-compte`): elsewhere, the CRF's « Cotisations
versées » is wrong. Once paid, what an exercice books on 6281 and on 6168 equals the amount of
the adhésion the coop declared for it (`adhesion-montant`).
"""

from __future__ import annotations

import collections
import functools
import re
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from retkoop_plugins._common import (
    ZERO,
    chart_or_none,
    closed_totals,
    coop_dir,
    fmt_eur,
    judged_until,
    ledger_ad_config,
    located,
    reglages_or_none,
    report,
    transactions,
    warning_twin,
)
from retkoop_plugins.ventilation import plain

from retkoop_tools.adhesion.model import (
    CODE_ASSURANCE,
    CODE_COTISATION,
    CODE_REVUE,
    PAYEE,
    AdhesionError,
    adhesion_filename,
    compute,
    load_declaration,
    tarifs,
)
from retkoop_tools.ledger.conventions import (
    META_NATURE,
    META_PIECE,
    NATURES_WITHOUT_TREASURY,
)
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_adhesion",)

AdhesionAccountError = collections.namedtuple("AdhesionAccountError", "source message entry")
AdhesionAccountWarning = warning_twin(AdhesionAccountError)
AdhesionAmountError = collections.namedtuple("AdhesionAmountError", "source message entry")
AdhesionAmountWarning = warning_twin(AdhesionAmountError)

_ABOUT_ADHESION = re.compile(r"adhesion|cotisation|assurance")
_OCCE = re.compile(r"\bocce\b")
_ADHESION_CODES = (CODE_COTISATION, CODE_ASSURANCE, CODE_REVUE)
_COMPARED = {CODE_COTISATION: "la cotisation", CODE_ASSURANCE: "l'assurance"}


@functools.lru_cache(maxsize=8192)
def _to_the_ad(payee: str, narration: str, ad_name: str) -> bool:
    """Whether a libellé names the OCCE or the AD, and the adhésion, the cotisation or the insurance."""
    text = plain(f"{payee} {narration}")
    if not _ABOUT_ADHESION.search(text):
        return False
    return bool(_OCCE.search(text)) or bool(ad_name and ad_name in text)


def check_adhesion(entries, options_map):
    chart, reglages = chart_or_none(options_map), reglages_or_none(options_map)
    if chart is None or reglages is None:
        return entries, []
    watch_account, watch_amount = reglages.active("adhesion-compte"), reglages.active("adhesion-montant")
    if not (watch_account or watch_amount):
        return entries, []
    ad_config = ledger_ad_config(options_map)
    ad_name = plain(str(ad_config.get("nom") or "")).strip()
    booked: dict[tuple[Exercice, str], object] = collections.defaultdict(lambda: ZERO)
    first_on: dict[Exercice, data.Transaction] = {}
    by_piece: dict[tuple[Exercice, str], data.Transaction] = {}
    errors = []
    declared = watch_amount and any(coop_dir(options_map).glob("adhesion-*.yaml"))
    judged = judged_until(options_map)
    if declared:  # the closed exercices left out of a standalone load, by their totals
        for exercice, totals in closed_totals(options_map).items():
            for code in _COMPARED:
                booked[(exercice, code)] = Decimal(totals["adhesion"][code])
            if totals["premiere_adhesion"]:
                first_on[exercice] = _Located(located(options_map, totals["premiere_adhesion"]))
            for piece, where_ in totals["pieces_adhesion"].items():
                by_piece[(exercice, piece)] = _Located(located(options_map, where_))
    for entry, lines in transactions(entries, chart):
        charges = [compte for _p, _n, compte in lines if compte.sens == "charge"]
        if not charges or entry.meta.get(META_NATURE) in NATURES_WITHOUT_TREASURY:
            continue
        for _posting, number, compte in lines:
            if compte.sens != "charge":
                continue
            if declared and compte.code in _COMPARED and not (judged is not None and entry.date <= judged):
                exercice = Exercice.of_date(entry.date)
                booked[(exercice, compte.code)] += number
                first_on.setdefault(exercice, entry)
                piece = entry.meta.get(META_PIECE)
                if isinstance(piece, str):
                    by_piece[(exercice, piece.strip().upper())] = entry
        if watch_account and charges and _to_the_ad(entry.payee or "", entry.narration or "", ad_name):
            wrong = sorted({c.code for c in charges if c.code not in _ADHESION_CODES})
            if wrong:
                labels = ", ".join(f"{c.code} ({c.libelle})" for c in chart.comptes if c.code in wrong)
                errors += report(
                    reglages, "adhesion-compte", AdhesionAccountError, entry.meta,
                    f"Paiement de l'adhésion à l'OCCE ventilé sur {labels} : la cotisation se ventile sur "
                    f"{CODE_COTISATION} (Cotisation OCCE) et l'assurance sur {CODE_ASSURANCE} (Assurance), "
                    "pour que le CRF les compte dans « Cotisations versées ».",
                    entry,
                )

    if declared:
        errors += _check_amounts(options_map, ad_config, reglages, booked, first_on, by_piece)
    return entries, errors


class _Located(collections.namedtuple("_Located", "meta")):
    """An entry of a closed exercice left out of a standalone load: where it is."""


def _check_amounts(options_map, ad_config, reglages, booked, first_on, by_piece):
    folder = coop_dir(options_map)
    errors = []
    exercices = {e for e in (Exercice.from_filename(p) for p in options_map.get("include", [])) if e}
    for exercice in sorted(exercices):
        path = folder / adhesion_filename(exercice)
        if not path.is_file():
            continue
        try:
            declaration = load_declaration(folder, exercice)
            due = compute(declaration, tarifs(ad_config, exercice)).by_code() if declaration else None
        except (AdhesionError, ValueError, TypeError):
            continue  # unreadable or no rates: the Adhésion page says so
        paid = declaration is not None and declaration.statut == PAYEE
        amounts_booked = {code: booked.get((exercice, code), ZERO) for code in _COMPARED}
        if due is None or not (paid or any(amounts_booked.values())):
            continue
        gaps = [(code, amounts_booked[code], due.get(code, ZERO)) for code in _COMPARED
                if amounts_booked[code] != due.get(code, ZERO)]
        if not gaps:
            continue
        entry = by_piece.get((exercice, declaration.paiement.strip().upper())) if declaration.paiement else None
        entry = entry or first_on.get(exercice)
        meta = entry.meta if entry is not None else data.new_metadata(str(Path(path)), 1)
        detail = " ; ".join(f"{_COMPARED[code]} ({code}) : {fmt_eur(have)} dans les livres pour "
                            f"{fmt_eur(want)} dus" for code, have, want in gaps)
        errors += report(
            reglages, "adhesion-montant", AdhesionAmountError, meta,
            f"L'adhésion {exercice} déclarée ({declaration.membres} membres) ne correspond pas à ce que "
            f"les livres de l'exercice ont payé à l'AD : {detail}. Ventilez le paiement de l'adhésion "
            f"sur {CODE_COTISATION} et {CODE_ASSURANCE} selon l'appel de l'AD, ou corrigez la déclaration.",
            entry if isinstance(entry, data.Transaction) else None,
        )
    return errors
