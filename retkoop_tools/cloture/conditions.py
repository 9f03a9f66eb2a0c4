"""What must hold before an exercice is closed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import ZERO, Books


@dataclass
class Condition:
    ok: bool
    title: str
    detail: str
    page: str | None = None  # treasurer page that fixes it
    blocking: bool = True  # False: a reminder, shown but never in the way of the closing
    attention: bool = False  # the rules' avertissements to look at (never blocking)

    def __str__(self) -> str:
        return f"{self.title} : {self.detail}"


def closing_statement(books: Books, account: str, exercice: Exercice):
    """The statement the exercice's bank reconciliation rests on: the first dated 31/08 or
    later, else the last one of the exercice (None when nothing was ticked)."""
    statements = books.statements(account)
    after = [s for s in statements if s.date >= exercice.end]
    if after:
        return after[0]
    within = [s for s in statements if s.date <= exercice.end]
    return within[-1] if within else None


def closing_conditions(books: Books, exercice: Exercice, ledger_errors: int,
                       today: datetime.date, warnings: list[str] | None = None) -> list[Condition]:
    """Every condition of the closing, met or not, in the order the mandataire fixes them.

    The erreurs of the books block it; their avertissements (`warnings`) are listed in a
    condition that is met all the same: the AD may accept them, the CRF's annex shows them."""
    result = []
    result.append(Condition(exercice in books.exercices, "Exercice ouvert",
                            f"L'exercice {exercice} a bien son fichier." if exercice in books.exercices
                            else f"La coopérative n'a pas d'exercice {exercice}."))
    result.append(Condition(exercice not in books.closed, "Pas encore clôturé",
                            "L'exercice est ouvert." if exercice not in books.closed
                            else f"L'exercice {exercice} est déjà clôturé."))
    result.append(Condition(today > exercice.end, "Exercice terminé",
                            "Le 31 août est passé." if today > exercice.end
                            else f"L'exercice se termine le {fmt_date(exercice.end)} : "
                                 "clôturez-le à partir du lendemain."))
    result.append(Condition(ledger_errors == 0, "Livres conformes aux règles OCCE",
                            "Aucune erreur." if not ledger_errors
                            else f"{ledger_errors} erreur(s) à corriger d'abord (menu « Erreurs »)."))
    if warnings:
        shown = " ".join(warnings[:5]) + (f" (et {len(warnings) - 5} autre(s))" if len(warnings) > 5 else "")
        result.append(Condition(False, "Avertissements des règles OCCE",
                                f"{len(warnings)} point(s) à revoir, qui ne bloquent pas la clôture et "
                                f"figureront en annexe du CRF : {shown}", blocking=False, attention=True))

    for account in books.bank_accounts:
        used = any(op.on(account) and op.date <= exercice.end for op in books.operations)
        if not used:
            continue
        statement = closing_statement(books, account, exercice)
        ok = statement is not None and statement.date >= exercice.end
        name = "" if len(books.bank_accounts) == 1 else f" ({books.bank_label(account)})"
        result.append(Condition(
            ok, f"Relevé bancaire au 31/08 pointé{name}",
            f"Relevé du {fmt_date(statement.date)} pointé, écart expliqué par les opérations non pointées."
            if ok else ("Pointez le relevé bancaire arrêté au 31 août (ou le suivant)."
                        + (f" Dernier relevé pointé : {fmt_date(statement.date)}." if statement else "")),
            "Pointage"))

    if books.caisse_account:
        caisse = books.caisse_account
        moves = [op.date for op in books.operations_of(exercice) if op.caisse]
        counts = [c for c in books.cash_counts() if c.account == caisse and exercice.contains(c.date)]
        last_move = max(moves) if moves else None
        ok = bool(counts) and (last_move is None or counts[-1].date >= last_move) and counts[-1].gap == 0
        balance = books.balance(caisse, exercice.end)
        if not counts and not moves and balance == 0:
            ok = True
        result.append(Condition(
            ok, "Caisse comptée au 31/08",
            f"Arrêté du {fmt_date(counts[-1].date)} : {fmt_eur(counts[-1].total)}, juste." if ok and counts
            else "Caisse vide et sans mouvement." if ok
            else "Faites l'arrêté de caisse au 31 août (après le dernier mouvement de caisse"
                 + (f" du {fmt_date(last_move)}" if last_move else "") + ").",
            "ArreteDeCaisse"))

    open_regies = [(r.teacher, books.balance(r.account, exercice.end)) for r in books.regies()]
    open_regies = [(t, b) for t, b in open_regies if b]
    result.append(Condition(
        not open_regies, "Régies d'avance restituées",
        "Aucune régie en cours au 31/08." if not open_regies
        else "; ".join(f"{t} : {fmt_eur(b)} à justifier ou restituer" for t, b in open_regies) + ".",
        "Saisie"))
    result.append(_inventory_condition(books, exercice))
    return result


def _inventory_condition(books: Books, exercice: Exercice) -> Condition:
    """The cahier d'inventaire up to date: every purchase of durable goods of the exercice
    entered or dismissed. A reminder: the AD guides list it among the coop's registers, not
    among the conditions of the closing (DOMAIN.md, « Before closing »)."""
    from retkoop_tools.inventaire.model import (
        InventaireError,
        load_inventaire,
        propositions,
    )

    title = "Cahier d'inventaire à jour"
    try:
        inventaire = load_inventaire(books.coop_dir) if books.coop_dir is not None else None
    except InventaireError as exc:
        return Condition(False, title, f"{exc} Prévenez l'AD.", "Inventaire", blocking=False)
    if inventaire is None:
        return Condition(True, title, "Pas de cahier d'inventaire pour ces livres.", blocking=False)
    pending = propositions(books, inventaire, [exercice])
    if not pending:
        return Condition(True, title, "Chaque achat de biens durables de l'exercice est inscrit ou écarté.",
                         "Inventaire", blocking=False)
    total = sum((p.origine.montant for p in pending), ZERO)
    return Condition(False, title,
                     f"{len(pending)} achat(s) de biens durables ({fmt_eur(total)}) à inscrire au cahier "
                     "d'inventaire ou à écarter (rappel : la clôture reste possible).",
                     "Inventaire", blocking=False)


def unmet(conditions: list[Condition]) -> list[Condition]:
    """The conditions that hold the closing back (reminders are not among them)."""
    return [c for c in conditions if not c.ok and c.blocking]
