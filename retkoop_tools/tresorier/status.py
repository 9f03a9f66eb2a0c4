"""The dashboard: balances and status lines, each green, orange or red with the page that does it.

The lines follow the school year's calendar (`calendrier`): what is due now, with the AD's
deadlines, then the checks of the books that hold all year (bilan, pièces, justificatifs,
régies)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier import calendrier
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.calendrier import COUNT_STALE_DAYS, STATEMENT_STALE_DAYS  # noqa: F401


@dataclass
class Line:
    ok: bool
    title: str
    detail: str
    page: str | None = None  # extension page that fixes it (Saisie, Cahier, Pointage…)
    params: dict | None = None  # query of that page (a filter, a type)
    state: str = ""  # fait, a-venir, en-retard, rappel (calendar items); from `ok` otherwise
    period: str = calendrier.ANNEE
    key: str = ""
    href: str | None = None

    def __post_init__(self) -> None:
        if not self.state:
            self.state = calendrier.FAIT if self.ok else calendrier.EN_RETARD

    @property
    def css(self) -> str:
        return {calendrier.FAIT: "rk-ok", calendrier.EN_RETARD: "rk-ko", calendrier.A_VENIR: "rk-bientot",
                calendrier.RAPPEL: "rk-rappel"}[self.state]

    @property
    def state_label(self) -> str:
        return calendrier.STATE_LABELS[self.state]


@dataclass
class Balance:
    label: str
    amount: Decimal


def balances(books: Books) -> list[Balance]:
    result = []
    for account in books.bank_accounts:
        if any(account in op.banks for op in books.operations):
            result.append(Balance(books.bank_label(account), books.balance(account)))
    if books.caisse_account:
        result.append(Balance("Caisse", books.balance(books.caisse_account)))
    if books.cheques_account:
        result.append(Balance("Chèques à remettre en banque", books.balance(books.cheques_account)))
    for regie in books.regies():
        if regie.balance:
            result.append(Balance(f"Régie de {regie.teacher}", regie.balance))
    return result


def calendar_lines(books: Books, ledger_errors: int = 0, coop_dir: Path | None = None,
                   ad_config: dict | None = None) -> list[Line]:
    facts = calendrier.facts_from_books(books, coop_dir, ledger_errors)
    return [Line(item.ok, item.title, item.detail, item.page, item.params or None, item.state, item.period,
                 item.key, item.href) for item in calendrier.items(facts, ad_config)]


def warnings_line(warnings: list[str]) -> Line:
    """The avertissements of the rules: counted apart from the erreurs, in orange, never blocking."""
    if not warnings:
        return Line(True, "Avertissements", "Aucun avertissement des règles OCCE.")
    shown = " ".join(warnings[:3]) + (f" (et {len(warnings) - 3} autre(s))" if len(warnings) > 3 else "")
    return Line(False, "Avertissements",
                f"{len(warnings)} point(s) à revoir, probablement faux (ils ne bloquent ni la saisie ni la "
                f"clôture ; voir « Erreurs » dans le menu) : {shown}", state=calendrier.A_VENIR)


def status_lines(books: Books, ledger_errors: int = 0, coop_dir: Path | None = None,
                 ad_config: dict | None = None, only: Exercice | None = None,
                 ledger_warnings: list[str] | None = None) -> list[Line]:
    """The dashboard's lines: the calendar's items due today, then the checks of the books;
    `only` (a vérificateur's exercice) leaves out the calendar (other exercices).
    `ledger_errors` counts the erreurs; `ledger_warnings` are the avertissements' messages."""
    exercice = only or books.current
    lines: list[Line] = []
    if not books.exercices:
        return [Line(False, "Aucun exercice ouvert",
                     "Demandez à l'AD d'ouvrir l'exercice (retkoop exercice ouvrir).")]
    if only is None:
        lines += calendar_lines(books, ledger_errors, coop_dir, ad_config)
    else:
        lines.append(Line(ledger_errors == 0, "Livres conformes aux règles OCCE",
                          "Aucune erreur." if ledger_errors == 0 else
                          f"{ledger_errors} erreur(s) à corriger : voir « Erreurs » dans le menu."))

    # The bilan of the exercice being kept, with the CRF's figures (report à nouveau + résultat).
    from retkoop_tools.documents.crf import bilan

    kept = exercice if exercice in books.exercices or not books.open_exercices else books.open_exercices[-1]
    figures = bilan(books, kept)
    lines.append(Line(figures.equilibre and ledger_errors == 0, "Bilan équilibré",
                      f"Exercice {kept} : trésorerie {fmt_eur(figures.actif)} = report à nouveau "
                      f"{fmt_eur(figures.report_a_nouveau)} + résultat de l'exercice {fmt_eur(figures.resultat)}."))
    lines.append(warnings_line(list(ledger_warnings or [])))

    for ex in ([exercice] if only is not None or books.previous_open is None else [books.previous_open, exercice]):
        duplicated, gaps = books.piece_problems(ex)
        problems = []
        if duplicated:
            problems.append("en double : " + ", ".join(duplicated[:8]))
        if gaps:
            problems.append("manquantes : " + ", ".join(gaps[:8]) + ("…" if len(gaps) > 8 else ""))
        lines.append(Line(not problems, f"Numéros de pièces {ex}" if ex != exercice else "Numéros de pièces",
                          "Pièces " + " ; ".join(problems) + "." if problems
                          else "Numérotation continue, sans doublon.", "Cahier",
                          {"exercice": str(ex)} if ex != exercice else None))

    missing = [op for ex in {exercice, books.previous_open or exercice} for op in books.operations_of(ex)
               if op.needs_document and not op.document]
    lines.append(Line(not missing, "Justificatifs",
                      f"{len(missing)} dépense(s) sans justificatif joint." if missing
                      else "Chaque dépense a son justificatif.", "Cahier", {"filtre": "sans-justificatif"}))

    open_regies = [r for r in books.regies() if r.balance]
    lines.append(Line(not open_regies, "Régies d'avance",
                      "; ".join(f"{r.teacher} : {fmt_eur(r.balance)} à justifier ou restituer" for r in open_regies)
                      + "." if open_regies else "Aucune régie en cours.", "Saisie", {"type": "regie-justification"}))
    return lines
