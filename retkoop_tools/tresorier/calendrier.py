"""The school year's calendar: what the mandataire must do when, each item done, upcoming or late.

From the seeds' guide (AD 09): *en début d'année* (September–October) tick the summer
statements, close the year, hand in the CRF and the CRA by the AD's deadline, declare the new
year's adhésion, tell the AD about changes; *tout au long de l'année* keep the books up to date,
tick each month's statement, count the cash; *en fin d'année* (June–August) bring the books up
to date before the holidays, tell the AD about next year's mandataire, prepare the CRA.

The verdicts are computed from plain `Facts`, built either from a coop's books (the Tableau de
bord) or from its console summary (`console/status.py`): both say the same on the same day.
Deadlines come from `ad.yaml` (`echeances: {crf: 09-30, adhesion: 10-15, vacances: 07-04}`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from retkoop_tools.ad import echeance
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.exercice import Exercice

FAIT, A_VENIR, EN_RETARD, RAPPEL = "fait", "a-venir", "en-retard", "rappel"
STATE_LABELS = {FAIT: "Fait", A_VENIR: "À faire bientôt", EN_RETARD: "En retard", RAPPEL: "À ne pas oublier"}
DEBUT, ANNEE, FIN = "debut", "annee", "fin"
PERIODS = {DEBUT: "En début d'année scolaire (septembre – octobre)", ANNEE: "Tout au long de l'année",
           FIN: "En fin d'année scolaire (juin – août)"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

#: A statement older than this is late (the month's statement was not ticked).
STATEMENT_STALE_DAYS = 45
#: The cash is counted at least once a term; 30 days before, the count is due soon.
COUNT_STALE_DAYS = 95
COUNT_SOON_DAYS = 30
#: The keys both the dashboard and the console judge (the others concern the mandataire only).
SHARED_KEYS = ("releves-ete", "cloture", "crf", "cra", "adhesion", "releve", "caisse")
_SUBMITTED = ("soumis", "verrouille")


@dataclass
class Facts:
    """What the calendar needs to know of one coop, on one day."""

    today: datetime.date
    exercices: list[Exercice]
    closed: set[Exercice]
    crf: str | None = None  # CRF file state of the exercice to hand in (dossier statut)
    cra: bool = False  # its CRA filled
    cra_current: bool = False  # the current exercice's CRA already prepared
    adhesion: str | None = None  # the current exercice's adhésion (declaration statut)
    statement: datetime.date | None = None  # last bank statement ticked
    statement_gap: Decimal = Decimal(0)
    count: datetime.date | None = None  # last arrêté de caisse
    count_gap: Decimal = Decimal(0)
    errors: int = 0

    @property
    def current(self) -> Exercice:
        return Exercice.of_date(self.today)

    @property
    def previous(self) -> Exercice:
        """The exercice whose CRF the AD collects this school year (the last one ended)."""
        return self.current.previous()


@dataclass
class Item:
    key: str
    period: str
    title: str
    detail: str
    state: str
    due: datetime.date | None = None
    page: str | None = None  # treasurer page that does it
    params: dict = field(default_factory=dict)
    href: str | None = None  # a link outside the pages (an e-mail to the AD)

    @property
    def ok(self) -> bool:
        return self.state == FAIT

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def period_of(today: datetime.date) -> str:
    return DEBUT if today.month in (9, 10) else FIN if today.month in (6, 7, 8) else ANNEE


def _deadline(state_done: bool, due: datetime.date | None, today: datetime.date) -> str:
    if state_done:
        return FAIT
    return EN_RETARD if due is not None and today > due else A_VENIR


def _due_text(due: datetime.date | None, today: datetime.date) -> str:
    if due is None:
        return ""
    return f" L'échéance du {fmt_date(due)} est passée." if today > due else f" À faire avant le {fmt_date(due)}."


def _month_end_before(today: datetime.date) -> datetime.date:
    return today.replace(day=1) - datetime.timedelta(days=1)


def items(facts: Facts, ad_config: dict | None) -> list[Item]:
    """Every item of the calendar that concerns the coop today, in the guide's order."""
    config = ad_config or {}
    today, current, previous = facts.today, facts.current, facts.previous
    period = period_of(today)
    result: list[Item] = []

    # -- début d'année: last year's closing, the new year's adhésion -----------------------
    crf_due = echeance(config, "crf", previous.end)
    if previous in facts.exercices:
        closed = previous in facts.closed
        ticked = closed or (facts.statement is not None and facts.statement >= previous.end)
        if not closed:
            result.append(Item(
                "releves-ete", DEBUT, f"Relevés de l'été pointés ({previous})",
                "Les opérations se saisissent jusqu'au 31/08 inclus : "
                + ("le relevé au 31/08 est pointé." if ticked else
                   "pointez les relevés de juillet et d'août, jusqu'à celui arrêté au 31/08.")
                + ("" if ticked else _due_text(crf_due, today)),
                _deadline(ticked, crf_due, today), crf_due, "Pointage"))
        result.append(Item(
            "cloture", DEBUT, f"Clôture de l'exercice {previous}",
            "Exercice clôturé." if closed else
            "Vérifiez les livres puis clôturez l'exercice." + _due_text(crf_due, today),
            _deadline(closed, crf_due, today), crf_due, "FinExercice", {"exercice": str(previous)}))
        submitted = facts.crf in _SUBMITTED
        result.append(Item(
            "crf", DEBUT, f"CRF {previous} remis à l'AD",
            ("CRF remis à l'AD." if facts.crf == "soumis" else "CRF verrouillé par l'AD.") if submitted else
            "Après la clôture, faites signer le quitus et remettez le CRF." + _due_text(crf_due, today),
            _deadline(submitted, crf_due, today), crf_due, "FinExercice", {"exercice": str(previous)}))
        result.append(Item(
            "cra", DEBUT, f"CRA {previous} rempli",
            "Compte rendu d'activités rempli." if facts.cra else
            "Remplissez le compte rendu d'activités (page Fin d'exercice)." + _due_text(crf_due, today),
            _deadline(facts.cra, crf_due, today), crf_due, "FinExercice", {"exercice": str(previous)}))
    adhesion_due = echeance(config, "adhesion", current.start)
    declared = facts.adhesion not in (None, "illisible")
    if adhesion_due is not None or declared:
        result.append(Item(
            "adhesion", DEBUT, f"Adhésion {current}",
            "Déclarée." if declared else "Déclarez les effectifs de l'année." + _due_text(adhesion_due, today),
            _deadline(declared, adhesion_due, today), adhesion_due, "Adhesion", {"exercice": str(current)}))
    if current not in facts.exercices and facts.exercices and facts.exercices[-1].next() == current:
        result.append(Item(
            "ouverture", DEBUT, f"Exercice {current}",
            f"Il s'ouvre à la première opération du {fmt_date(current.start)} ou après (page Saisie), "
            "ou par le bouton ci-dessous ; ses soldes d'ouverture sont ceux de "
            f"{previous}" + (", provisoires jusqu'à sa clôture." if previous not in facts.closed else "."),
            A_VENIR, None, "Saisie"))
    if period == DEBUT:
        result.append(Item(
            "changements", DEBUT, "Changements signalés à l'AD",
            "Nouveau mandataire, adresse ou e-mail de l'école : prévenez l'AD depuis la page "
            "« Écrire à l'AD ».", RAPPEL, None, "Demandes"))

    # -- tout au long de l'année -------------------------------------------------------------
    result.append(Item("livres", ANNEE, "Livres à jour et conformes",
                       "Aucune erreur dans les livres." if not facts.errors else
                       f"{facts.errors} erreur(s) à corriger : voir « Erreurs » dans le menu.",
                       FAIT if not facts.errors else EN_RETARD, None, "Cahier"))
    result.append(statement_item(facts))
    result.append(count_item(facts))

    # -- fin d'année -------------------------------------------------------------------------
    if period == FIN:
        holidays = echeance(config, "vacances", datetime.date(today.year, 6, 1))
        up_to_date = not facts.errors and result[-2].ok and result[-1].ok
        result.append(Item(
            "vacances", FIN, "Livres à jour avant les vacances",
            "Livres sans erreur, relevé et caisse à jour." if up_to_date else
            "Saisissez ce qui manque, pointez le dernier relevé et comptez la caisse avant de partir."
            + _due_text(holidays, today),
            _deadline(up_to_date, holidays, today), holidays, "Cahier"))
        result.append(Item(
            "mandataire-suivant", FIN, "Mandataire de l'an prochain",
            "Si le mandataire change à la rentrée, prévenez l'AD depuis la page « Écrire à l'AD » : "
            "le mandataire sortant clôture au 31/08 et l'AD transfère la signature.",
            RAPPEL, None, "Demandes", {"objet": "mandataire"}))
        if current in facts.exercices:
            result.append(Item(
                "cra-preparer", FIN, f"CRA {current} préparé",
                "Compte rendu d'activités préparé." if facts.cra_current else
                "Notez dès maintenant les projets, sorties et conseils de l'année pour le CRA.",
                FAIT if facts.cra_current else A_VENIR, None, "FinExercice", {"exercice": str(current)}))
    return result


def statement_item(facts: Facts) -> Item:
    """The month's bank statement: ticked with no gap, the latest one at most a month old."""
    today = facts.today
    expected = _month_end_before(today)
    if facts.statement is None:
        return Item("releve", ANNEE, "Relevé bancaire pointé",
                    "Aucun relevé pointé : pointez le premier relevé.", EN_RETARD, None, "Pointage")
    detail = f"Dernier relevé pointé : {fmt_date(facts.statement)}"
    if facts.statement_gap:
        return Item("releve", ANNEE, "Relevé bancaire pointé",
                    f"{detail}, écart {fmt_eur(facts.statement_gap)} : revoyez le pointage.", EN_RETARD, None,
                    "Pointage")
    if (today - facts.statement).days > STATEMENT_STALE_DAYS:
        return Item("releve", ANNEE, "Relevé bancaire pointé",
                    f"{detail} : pointez les relevés suivants, jusqu'à celui de fin {MONTHS[expected.month - 1]}.",
                    EN_RETARD, None, "Pointage")
    if facts.statement < expected:
        return Item("releve", ANNEE, "Relevé bancaire pointé",
                    f"{detail} : pointez le relevé de fin {MONTHS[expected.month - 1]} dès qu'il arrive.",
                    A_VENIR, None, "Pointage")
    return Item("releve", ANNEE, "Relevé bancaire pointé", f"{detail}, sans écart.", FAIT, None, "Pointage")


def count_item(facts: Facts) -> Item:
    """The arrêté de caisse: at least once a term, and right."""
    today = facts.today
    title = "Caisse comptée"
    if facts.count is None:
        return Item("caisse", ANNEE, title, "La caisse n'a jamais été comptée : faites l'arrêté de caisse.",
                    EN_RETARD, None, "ArreteDeCaisse")
    detail = f"Dernier arrêté : {fmt_date(facts.count)}, " + (
        "juste" if not facts.count_gap else f"écart {fmt_eur(facts.count_gap)}")
    age = (today - facts.count).days
    if facts.count_gap or age > COUNT_STALE_DAYS:
        return Item("caisse", ANNEE, title, detail + " : comptez la caisse à nouveau.", EN_RETARD, None,
                    "ArreteDeCaisse")
    if age > COUNT_STALE_DAYS - COUNT_SOON_DAYS:
        return Item("caisse", ANNEE, title, detail + " : un nouvel arrêté est bientôt dû.", A_VENIR, None,
                    "ArreteDeCaisse")
    return Item("caisse", ANNEE, title, detail + ".", FAIT, None, "ArreteDeCaisse")


# -- the facts, from the books or from a console summary ---------------------------------------
def latest_pointage(books) -> tuple[datetime.date | None, Decimal]:
    """Where the pointage of the coop's bank accounts stands: the date of the last statement of
    the account that lags most, and the first unexplained gap among their last statements."""
    lasts = books.last_statements()
    if not lasts:
        return None, Decimal(0)
    gaps = [s.balance - books.ticked_total(s.account, s.date) for s in lasts]
    return min(s.date for s in lasts), next((g for g in gaps if g), gaps[0])


def facts_from_books(books, coop_dir: Path | None, errors: int) -> Facts:
    """The facts of a loaded coop (the Tableau de bord)."""
    from retkoop_tools.adhesion.model import AdhesionError, load_declaration
    from retkoop_tools.documents.cra import load_answers
    from retkoop_tools.documents.dossier import (
        DossierError,
        dossier_filename,
        load_dossier,
    )

    current = books.current
    previous = current.previous()
    facts = Facts(books.today, list(books.exercices), set(books.closed), errors=errors)
    facts.statement, facts.statement_gap = latest_pointage(books)
    counts = books.cash_counts()
    if counts:
        facts.count, facts.count_gap = counts[-1].date, counts[-1].gap
    if coop_dir is not None:
        coop_dir = Path(coop_dir)
        try:
            if (coop_dir / dossier_filename(previous)).exists():
                facts.crf = load_dossier(coop_dir, previous).statut
        except DossierError:
            facts.crf = "illisible"
        for exercice, attr in ((previous, "cra"), (current, "cra_current")):
            try:
                setattr(facts, attr, load_answers(coop_dir, exercice) is not None)
            except ValueError:
                pass
        try:
            declaration = load_declaration(coop_dir, current)
            facts.adhesion = declaration.statut if declaration else None
        except (AdhesionError, ValueError):
            facts.adhesion = "illisible"
    return facts


def facts_from_summary(summary: dict[str, Any], today: datetime.date) -> Facts:
    """The facts of a coop from its console summary (`console/summary.py`)."""
    current = Exercice.of_date(today)
    previous = current.previous()
    states = summary.get("exercices", {})
    exercices = sorted(Exercice.parse(k) for k, v in states.items() if v.get("fichier"))
    closed = {Exercice.parse(k) for k, v in states.items() if v.get("clos")}
    past, now = states.get(str(previous), {}), states.get(str(current), {})
    releve, arrete = summary.get("releve") or {}, summary.get("arrete") or {}
    return Facts(
        today, exercices, closed, crf=past.get("dossier"), cra=bool(past.get("cra")),
        cra_current=bool(now.get("cra")), adhesion=now.get("adhesion"),
        statement=datetime.date.fromisoformat(releve["date"]) if releve.get("date") else None,
        statement_gap=Decimal(releve.get("ecart") or 0),
        count=datetime.date.fromisoformat(arrete["date"]) if arrete.get("date") else None,
        count_gap=Decimal(arrete.get("ecart") or 0),
        errors=int(summary.get("nb_erreurs", 0)),
    )


def verdicts(found: list[Item]) -> dict[str, str]:
    """key → state of the items both the dashboard and the console judge."""
    return {i.key: i.state for i in found if i.key in SHARED_KEYS}
