"""Trésorerie: every operation moves money through a treasury account, and does it plainly.

An operation goes through the bank, the caisse, the cheques to deposit or a régie; an internal
transfer (caisse → banque, remise de chèques, régie) is never ventilated; espèces go through
the caisse, cheques through the bank or the cheques to deposit; every operation has a pièce
unique in its exercice; an issued cheque number is used once; the caisse is never negative at
the end of a day.

When the open exercices are loaded on their own (`retkoop_tools.ledger.anouveaux`), the
cheque numbers issued in the closed exercices come with the load, and the caisse is judged
from the first day after them (its balance brought forward).
"""

from __future__ import annotations

import collections
import itertools
from decimal import Decimal

from beancount.core import data
from retkoop_plugins._common import (
    ZERO,
    chart_or_none,
    fmt_date,
    fmt_eur,
    reglages_or_none,
    report,
    warning_twin,
    where,
)

from retkoop_tools.checks.regles import NATIONAL
from retkoop_tools.ledger.anouveaux import plugin_state
from retkoop_tools.ledger.conventions import (
    META_CHEQUE,
    META_MODE,
    META_NATURE,
    META_PIECE,
    MODE_TREASURY_TYPES,
    MODES,
    NATURE_OUVERTURE,
    NATURES,
    NATURES_TRANSFER,
    NATURES_WITHOUT_TREASURY,
)
from retkoop_tools.ledger.exercice import Exercice

__plugins__ = ("check_tresorerie",)

NoTreasuryError = collections.namedtuple("NoTreasuryError", "source message entry")
VentilatedTransferError = collections.namedtuple("VentilatedTransferError", "source message entry")
PaymentModeError = collections.namedtuple("PaymentModeError", "source message entry")
PieceError = collections.namedtuple("PieceError", "source message entry")
DuplicatePieceError = collections.namedtuple("DuplicatePieceError", "source message entry")
ChequeNumberError = collections.namedtuple("ChequeNumberError", "source message entry")
DuplicateChequeError = collections.namedtuple("DuplicateChequeError", "source message entry")
NegativeCaisseError = collections.namedtuple("NegativeCaisseError", "source message entry")
NegativeCaisseWarning = warning_twin(NegativeCaisseError)
NatureError = collections.namedtuple("NatureError", "source message entry")

_TREASURY_LABELS = "banque, caisse, chèques à encaisser ou régie"
_MODE_CHOICES = ", ".join(f'"{code}" ({label})' for code, label in MODES.items())


def check_tresorerie(entries, options_map):
    chart = chart_or_none(options_map)
    if chart is None:
        return entries, []
    errors = []
    anew = plugin_state(options_map)
    pieces: dict[tuple[Exercice, str], data.Transaction] = {}
    cheques: dict[tuple[str, str], data.Transaction] = dict(anew.cheques) if anew else {}
    caisse_moves: list[tuple] = []  # (date, account, amount, entry)

    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        treasury, ventilation, others = [], [], []
        for posting in entry.postings:
            compte, _ = chart.lookup(posting.account)
            if compte is None or posting.units is None or posting.units.number is None:
                continue
            if compte.is_treasury:
                treasury.append((posting, compte))
                if compte.type == "caisse":
                    caisse_moves.append((entry.date, posting.account, posting.units.number, entry))
            elif compte.is_ventilation:
                ventilation.append((posting, compte))
            else:
                others.append((posting, compte))

        nature = entry.meta.get(META_NATURE)
        if nature is not None and nature not in NATURES:
            errors.append(
                NatureError(
                    entry.meta,
                    f"Nature d'opération inconnue « {nature} » "
                    f"(possibles : {', '.join(NATURES)}).",
                    entry,
                )
            )
            continue
        if nature in NATURES_WITHOUT_TREASURY:
            if nature == NATURE_OUVERTURE and ventilation:
                errors.append(
                    NatureError(
                        entry.meta,
                        "Une écriture d'ouverture reprend les soldes (banque, caisse… contre "
                        "report à nouveau) : elle ne se ventile pas en charges ou produits.",
                        entry,
                    )
                )
            continue

        errors.extend(_check_flows(entry, nature, treasury, ventilation, others))
        errors.extend(_check_mode(entry, treasury, ventilation))
        errors.extend(_check_piece(entry, pieces, anew.fin if anew else None))
        errors.extend(_check_cheque(entry, treasury, cheques))

    reglages = reglages_or_none(options_map) or NATIONAL
    if reglages.active("caisse-negative"):
        errors.extend(_check_caisse_never_negative(caisse_moves, reglages, anew.fin if anew else None))
    return entries, errors


def _is_transfer(treasury) -> bool:
    signs = {p.units.number > 0 for p, _ in treasury if p.units.number != 0}
    return len(signs) == 2


def _check_flows(entry, nature, treasury, ventilation, others):
    if not treasury:
        return [
            NoTreasuryError(
                entry.meta,
                f"L'opération ne passe par aucun compte de trésorerie ({_TREASURY_LABELS}) : "
                "toute recette ou dépense entre ou sort de la banque ou de la caisse.",
                entry,
            )
        ]
    if (_is_transfer(treasury) or nature in NATURES_TRANSFER) and (ventilation or others):
        return [
            VentilatedTransferError(
                entry.meta,
                "Un virement interne (caisse → banque, remise de chèques, régie) ne se ventile "
                "pas : saisissez la dépense ou la recette dans une opération à part.",
                entry,
            )
        ]
    return []


def _check_mode(entry, treasury, ventilation):
    mode = entry.meta.get(META_MODE)
    if mode is None:
        types = {c.type for _, c in treasury}
        if ventilation and types & {"banque", "caisse", "cheques"}:
            return [
                PaymentModeError(
                    entry.meta,
                    f"Indiquez le mode de paiement : mode: suivi de {_MODE_CHOICES}.",
                    entry,
                )
            ]
        return []
    if mode not in MODES:
        return [
            PaymentModeError(
                entry.meta,
                f"Mode de paiement inconnu « {mode} » : choisissez {_MODE_CHOICES}.",
                entry,
            )
        ]
    allowed = MODE_TREASURY_TYPES[mode]
    if not any(c.type in allowed for _, c in treasury):
        where_to = {
            "ESP": "par la caisse (530) ou une régie",
            "CHQ": "par la banque ou par les chèques à encaisser (5112)",
        }.get(mode, "par la banque")
        return [
            PaymentModeError(
                entry.meta,
                f"Paiement par {MODES[mode]} : l'opération doit passer {where_to}.",
                entry,
            )
        ]
    if mode != "ESP" and ventilation and any(c.type == "caisse" for _, c in treasury):
        return [
            PaymentModeError(
                entry.meta,
                f"La caisse ne reçoit et ne paie qu'en espèces, pas par {MODES[mode]} : "
                'mettez mode: "ESP" ou choisissez le compte bancaire.',
                entry,
            )
        ]
    return []


def _check_piece(entry, pieces, judged_until=None):
    piece = entry.meta.get(META_PIECE)
    if piece is None:
        return [
            PieceError(
                entry.meta,
                'Pièce manquante : chaque opération a un numéro de pièce (piece: "D012"), '
                "reporté sur le justificatif.",
                entry,
            )
        ]
    if not isinstance(piece, str):
        return [
            PieceError(
                entry.meta,
                f'Numéro de pièce à écrire entre guillemets : piece: "{piece}".',
                entry,
            )
        ]
    if not piece.strip():
        return [PieceError(entry.meta, "Numéro de pièce vide.", entry)]
    if judged_until is not None and entry.date <= judged_until:
        return []  # a closed exercice's pièces were judged at its closing, all of them
    key = (Exercice.of_date(entry.date), piece.strip().upper())
    first = pieces.get(key)
    if first is not None:
        return [
            DuplicatePieceError(
                entry.meta,
                f"La pièce {piece} est déjà utilisée dans l'exercice {key[0]} par l'opération "
                f"du {fmt_date(first.date)} ({where(first)}) : prenez le numéro suivant.",
                entry,
            )
        ]
    pieces[key] = entry
    return []


def _check_cheque(entry, treasury, cheques):
    number = entry.meta.get(META_CHEQUE)
    mode = entry.meta.get(META_MODE)
    if number is not None and not isinstance(number, str):
        return [
            ChequeNumberError(
                entry.meta,
                f'Numéro de chèque à écrire entre guillemets : cheque: "{number}".',
                entry,
            )
        ]
    if number is not None and mode != "CHQ":
        return [
            ChequeNumberError(
                entry.meta,
                'Un numéro de chèque va avec le mode chèque : mode: "CHQ".',
                entry,
            )
        ]
    issued = (
        [p for p, c in treasury if c.type == "banque" and p.units.number < 0]
        if mode == "CHQ"
        else []
    )
    if not issued:
        return []
    if not number:
        return [
            ChequeNumberError(
                entry.meta,
                'Chèque émis sans numéro : indiquez-le (cheque: "1234567"), il servira au '
                "pointage.",
                entry,
            )
        ]
    key = (issued[0].account, number.strip())
    first = cheques.get(key)
    if first is not None:
        return [
            DuplicateChequeError(
                entry.meta,
                f"Le chèque n° {number} a déjà été émis pour l'opération du "
                f"{fmt_date(first.date)} ({where(first)}) : un chèque ne sert qu'une fois.",
                entry,
            )
        ]
    cheques[key] = entry
    return []


def _check_caisse_never_negative(moves, reglages, judged_after=None):
    """Days up to `judged_after` (the closed exercices, judged when they were loaded) only
    bring their balance forward."""
    errors = []
    moves.sort(key=lambda m: (m[1], m[0]))
    for account, by_account in itertools.groupby(moves, key=lambda m: m[1]):
        balance = ZERO
        negative = False
        for date, day_moves in itertools.groupby(by_account, key=lambda m: m[0]):
            day_moves = list(day_moves)
            balance += sum((m[2] for m in day_moves), Decimal(0))
            if judged_after is not None and date <= judged_after:
                negative = balance < 0
                continue
            if balance < 0 and not negative:
                last = day_moves[-1][3]
                errors.extend(
                    report(
                        reglages,
                        "caisse-negative",
                        NegativeCaisseError,
                        last.meta,
                        f"La caisse serait négative le {fmt_date(date)} ({fmt_eur(balance)}) : "
                        "une dépense en espèces a-t-elle été saisie avant la recette, ou à la "
                        "mauvaise date ?",
                        last,
                    )
                )
            negative = balance < 0
    return errors
