"""The dashboard: balances and status lines, each green or red with the page that fixes it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from retkoop_tools.ad import echeance
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import DEPENSE, REGIE_JUSTIFICATION, Books

#: A statement older than this at the dashboard's date is a reminder to tick the next one.
STATEMENT_STALE_DAYS = 45
COUNT_STALE_DAYS = 95


@dataclass
class Line:
    ok: bool
    title: str
    detail: str
    page: str | None = None  # extension page that fixes it (Saisie, Cahier, Pointage…)
    params: dict | None = None  # query of that page (a filter, a type)


@dataclass
class Balance:
    label: str
    amount: Decimal


def balances(books: Books) -> list[Balance]:
    result = []
    for account in books.bank_accounts:
        if any(op.bank_account == account for op in books.operations):
            result.append(Balance("Banque" if account == books.bank_accounts[0] else account, books.balance(account)))
    if books.caisse_account:
        result.append(Balance("Caisse", books.balance(books.caisse_account)))
    if books.cheques_account:
        result.append(Balance("Chèques à remettre en banque", books.balance(books.cheques_account)))
    for regie in books.regies():
        if regie.balance:
            result.append(Balance(f"Régie de {regie.teacher}", regie.balance))
    return result


def status_lines(books: Books, ledger_errors: int = 0, coop_dir: Path | None = None,
                 ad_config: dict | None = None, only: Exercice | None = None) -> list[Line]:
    """The dashboard's lines; `only` (a vérificateur's exercice) leaves out what concerns
    another exercice."""
    exercice = only or books.current
    lines: list[Line] = []
    if exercice is None:
        return [Line(False, "Aucun exercice ouvert",
                     "Demandez à l'AD d'ouvrir l'exercice (retkoop exercice ouvrir).")]
    today = books.default_date() or books.today
    lines.append(Line(ledger_errors == 0, "Livres conformes aux règles OCCE",
                      "Aucune erreur." if ledger_errors == 0 else
                      f"{ledger_errors} erreur(s) à corriger : voir « Erreurs » dans le menu.",
                      None))

    roots: dict[str, Decimal] = {}
    for op in books.operations:
        for posting in op.entry.postings:
            if posting.units is not None:
                root = posting.account.split(":", 1)[0]
                roots[root] = roots.get(root, Decimal(0)) + posting.units.number
    actif = roots.get("Actif", Decimal(0)) + roots.get("Passif", Decimal(0))
    fonds = -roots.get("Capitaux", Decimal(0))
    resultat = -(roots.get("Produits", Decimal(0)) + roots.get("Charges", Decimal(0)))
    lines.append(Line(actif == fonds + resultat and ledger_errors == 0, "Bilan équilibré",
                      f"Trésorerie {fmt_eur(actif)} = fonds associatifs {fmt_eur(fonds)} "
                      f"+ résultats {fmt_eur(resultat)}."))

    bank = books.bank_accounts[0] if books.bank_accounts else None
    statements = books.statements(bank) if bank else []
    if statements:
        last = statements[-1]
        gap = last.balance - books.ticked_total(last.account, last.date)
        stale = (today - last.date).days > STATEMENT_STALE_DAYS
        unticked = len(books.unticked(last.account))
        lines.append(Line(gap == 0 and not stale, "Relevé bancaire pointé",
                          f"Dernier relevé : {fmt_date(last.date)}, écart {fmt_eur(gap)} ; "
                          f"{unticked} opération(s) pas encore sur un relevé."
                          + (" Pointez le relevé suivant." if stale else ""), "Pointage"))
    else:
        lines.append(Line(False, "Relevé bancaire pointé", "Aucun relevé pointé : pointez le premier relevé.",
                          "Pointage"))

    counts = books.cash_counts()
    if counts:
        last_count = counts[-1]
        stale = (today - last_count.date).days > COUNT_STALE_DAYS
        right = last_count.gap == 0
        lines.append(Line(right and not stale, "Caisse comptée",
                          f"Dernier arrêté : {fmt_date(last_count.date)}, "
                          + ("juste" if right else f"écart {fmt_eur(last_count.gap)}")
                          + (" ; comptez la caisse à nouveau." if stale else "."), "ArreteDeCaisse"))
    else:
        lines.append(Line(False, "Caisse comptée", "La caisse n'a jamais été comptée : faites l'arrêté de caisse.",
                          "ArreteDeCaisse"))

    duplicated, gaps = books.piece_problems(exercice)
    problems = []
    if duplicated:
        problems.append("en double : " + ", ".join(duplicated[:8]))
    if gaps:
        problems.append("manquantes : " + ", ".join(gaps[:8]) + ("…" if len(gaps) > 8 else ""))
    lines.append(Line(not problems, "Numéros de pièces",
                      "Pièces " + " ; ".join(problems) + "." if problems else "Numérotation continue, sans doublon.",
                      "Cahier"))

    missing = [op for op in books.operations_of(exercice)
               if op.kind in (DEPENSE, REGIE_JUSTIFICATION) and not op.document]
    lines.append(Line(not missing, "Justificatifs",
                      f"{len(missing)} dépense(s) sans justificatif joint." if missing
                      else "Chaque dépense a son justificatif.", "Cahier", {"filtre": "sans-justificatif"}))

    open_regies = [r for r in books.regies() if r.balance]
    lines.append(Line(not open_regies, "Régies d'avance",
                      "; ".join(f"{r.teacher} : {fmt_eur(r.balance)} à justifier ou restituer" for r in open_regies)
                      + "." if open_regies else "Aucune régie en cours.", "Saisie", {"type": "regie-justification"}))

    previous = exercice.previous()
    crf_due = echeance(ad_config or {}, "crf", previous.end)
    if crf_due and previous in books.exercices and only is None:
        done = previous in books.closed
        lines.append(Line(done or books.today <= crf_due, f"CRF {previous}",
                          ("Exercice clôturé." if done else f"À remettre à l'AD avant le {fmt_date(crf_due)}.")
                          + ("" if done or books.today <= crf_due else " L'échéance est passée."),
                          "FinExercice", {"exercice": str(previous)}))
    adhesion_due = echeance(ad_config or {}, "adhesion", exercice.start)
    if adhesion_due:
        declared = coop_dir is not None and (Path(coop_dir) / f"adhesion-{exercice}.yaml").exists()
        lines.append(Line(declared or books.today <= adhesion_due, f"Adhésion {exercice}",
                          "Déclarée." if declared else f"À déclarer avant le {fmt_date(adhesion_due)}"
                          + ("." if books.today <= adhesion_due else " : l'échéance est passée."),
                          "Adhesion", {"exercice": str(exercice)}))
    return lines
