"""The demo AD on a reference date: the school year as five coops live it on that day.

The books of the previous and the current exercice are simulated, then cut at the date
(statements and cash counts as far as each coop has got). What the product writes — the
closing with its report à nouveau and CRF, the quitus, the CRA, the CRF handed in and
locked, the adhésion declared, validated and paid — is done by the product's own actions,
in the order of the story's dates, in a git repository of its own. Last, one coop gets an
error to fix, as a commit made outside the portal, and three others a mistake that ADs often
find, saved through the store as an avertissement of the rules (`MISTAKES`).
"""

from __future__ import annotations

import copy
import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.demo.generator import (
    DEMO_AD,
    DEMO_COOPS,
    Cutoff,
    DemoCoop,
    generate_ad,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.gitcmd import git
from retkoop_tools.store.init import GITIGNORE, install_hooks
from retkoop_tools.store.store import Author, Store

#: Where `demo.sh` keeps the date its demo was built for (in the demo repository's .git).
DATE_FILENAME = "retkoop-demo-date"

AD_AUTHOR = Author("Comptable AD 91", "equipe@ad91.demo")
COMMIT_ENV = {"GIT_AUTHOR_NAME": "Démonstration", "GIT_AUTHOR_EMAIL": "demo@retkoop.invalid",
              "GIT_COMMITTER_NAME": "retkoop", "GIT_COMMITTER_EMAIL": "retkoop@localhost"}


class DemoError(RuntimeError):
    """A product action refused a step of the story (a bug of the demo); message in French."""


@dataclass(frozen=True)
class Story:
    """How a demo coop goes through the school year. Days are counted from 31 August of the
    previous exercice (10 = 10 September); None: never within the year."""

    uai: str
    releve_lag: int  # days after a month's end before its statement is ticked
    closes: int  # the previous exercice is closed (after its August statement is ticked)
    submits: int | None  # the CRF is handed in to the AD
    locks: int | None  # the AD locks it
    cra: bool  # the CRA is filled in before the CRF is handed in
    declares: int | None  # adhésion of the current exercice declared
    validates: int | None  # … validated by the AD
    pays: int | None  # … paid (direct debit)
    behind_until: int | None = None  # far behind (statements, cash) until that day
    behind_lag: int = 100
    error: bool = False  # an error to fix in the current exercice


#: On 01/12: two CRFs locked, two handed in (one late, without its CRA), one late and not
#: closed; adhésions paid, waiting for validation or missing; statements from up to date to
#: four months behind; one error.
STORIES = {
    "0910001A": Story("0910001A", releve_lag=6, closes=10, submits=12, locks=24, cra=True,
                      declares=12, validates=30, pays=35),
    "0910002B": Story("0910002B", releve_lag=25, closes=27, submits=29, locks=45, cra=True,
                      declares=40, validates=50, pays=60),
    "0910003C": Story("0910003C", releve_lag=55, closes=57, submits=60, locks=120, cra=False,
                      declares=44, validates=106, pays=None),
    "0910004D": Story("0910004D", releve_lag=10, closes=22, submits=25, locks=200, cra=True,
                      declares=32, validates=35, pays=40, error=True),
    "0910005E": Story("0910005E", releve_lag=20, closes=142, submits=143, locks=160, cra=True,
                      declares=141, validates=150, pays=None, behind_until=140),
}

VERIFICATEURS = {
    "0910001A": (("Mme Durand", "Parent d'élève"), ("M. Lefèvre", "Enseignant")),
    "0910002B": (("M. Benali", "Parent d'élève"), ("Mme Colin", "Autre membre de la coopérative")),
    "0910003C": (("Mme Rousseau", "Parent d'élève"), ("Mme Garcia", "Enseignant")),
    "0910004D": (("M. Traoré", "Parent d'élève"), ("M. Roux", "Enseignant")),
    "0910005E": (("Mme Lopez", "Parent d'élève"), ("M. Girard", "Parent d'élève")),
}
#: Mistakes ADs find when they check a coop (issue 19), typed on the demo's day in a few coops:
#: the rules take each as an avertissement, which the dashboards and the console show.
#: (tiers, libellé, mode, treasury — "banque" or "caisse" —, ventilation code, amount)
MISTAKES = {
    # A mairie subsidy on 708: left out of the CRF's table of subsidies.
    "0910002B": ("Mairie de Massy", "Aide de la commune pour le spectacle de fin d'année", "VIR", "banque",
                 "708", "300.00"),
    # A receipt ventilated on a charge account: the swap Retkoop's red line shows.
    "0910003C": ("Familles", "Participation des familles à la sortie au zoo", "ESP", "caisse", "6251", "64.00"),
    # A subsidy with no funder: the CRF's table names nobody.
    "0910005E": ("", "Subvention pour la classe de découverte", "VIR", "banque", "743", "150.00"),
}
NIVEAUX = ("CP", "CE1", "CE2", "CM1", "CM2")
NIVEAUX_MATERNELLE = ("PS", "MS", "GS")


@dataclass(frozen=True)
class Step:
    """One action of the story, on its date."""

    date: datetime.date
    uai: str
    action: str


def demo_exercices(day: datetime.date) -> tuple[Exercice, Exercice]:
    """The previous and the current exercice on `day`."""
    current = Exercice.of_date(day)
    return current.previous(), current


def on(previous: Exercice, days: int | None) -> datetime.date | None:
    return None if days is None else previous.end + datetime.timedelta(days=days)


def month_ends(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    result, year, month = [], start.year, start.month
    while True:
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        last = following - datetime.timedelta(days=1)
        if last > end:
            return result
        if last >= start:
            result.append(last)
        year, month = following.year, following.month


def cutoff_of(story: Story, day: datetime.date) -> Cutoff:
    """What the coop's books hold on `day` (statements ticked `releve_lag` days after the
    month's end; far behind, and no cash counted this year, until `behind_until`)."""
    previous, current = demo_exercices(day)
    behind = story.behind_until is not None and day < on(previous, story.behind_until)
    lag = story.behind_lag if behind else story.releve_lag
    ticked = [m for m in month_ends(previous.start, day) if m + datetime.timedelta(days=lag) <= day]
    return Cutoff(day=day, statements_until=ticked[-1] if ticked else previous.start,
                  counts_until=previous.end if behind else day,
                  adhesion_elsewhere=frozenset({current}))


def steps_of(story: Story, day: datetime.date) -> list[Step]:
    """The product actions of the story done by `day`, each on its date."""
    previous, _ = demo_exercices(day)
    planned = [("cloture", story.closes), ("remise", story.submits), ("verrouillage", story.locks),
               ("declaration", story.declares), ("validation", story.validates), ("paiement", story.pays)]
    steps = [Step(on(previous, n), story.uai, action) for action, n in planned if n is not None]
    return [s for s in steps if s.date <= day]


def ad_config_for(day: datetime.date) -> dict:
    """DEMO_AD, with adhésion rates for the exercices of `day` (the latest published ones
    carried forward when the AD's file has none yet)."""
    config = copy.deepcopy(DEMO_AD)
    rates = config["adhesion"]
    for exercice in demo_exercices(day):
        if str(exercice) not in rates:
            rates[str(exercice)] = dict(rates[max(rates)])
    return config


def _check(result, what: str, uai: str) -> None:
    if not result.ok:
        raise DemoError(f"Démonstration, {uai} : {what} refusé(e) : {result.errors}")


def _declaration(coop: DemoCoop, exercice: Exercice):
    from retkoop_tools.adhesion.model import parse_form

    niveaux = NIVEAUX_MATERNELLE if "maternelle" in coop.nom.lower() else NIVEAUX
    classes = range(coop.classes)
    teachers = [coop.enseignants[i % len(coop.enseignants)] for i in classes]
    declaration, errors = parse_form(
        exercice, [niveaux[i % len(niveaux)] for i in classes], teachers,
        [str(24 - (i % 3)) for i in classes], ["2" if i % 4 == 0 else "1" for i in classes],
        revue=coop.classes >= 7, biens="1500", participation="", mandataire=coop.enseignants[0],
        engagement=True)
    assert not errors, errors
    return declaration


def _run(store: Store, coop: DemoCoop, step: Step, previous: Exercice, current: Exercice, ad_config: dict,
         story: Story) -> None:
    from retkoop_tools.adhesion import actions as adhesion
    from retkoop_tools.cloture import actions as cloture
    from retkoop_tools.documents.cra import save_answers
    from retkoop_tools.documents.dossier import Verificateur

    mandataire = Author(coop.enseignants[0], coop.uai)
    if step.action == "cloture":
        checked = step.date - datetime.timedelta(days=2)
        verificateurs = [Verificateur(n, q) for n, q in VERIFICATEURS[coop.uai]]
        _check(cloture.save_quitus(store, coop.uai, previous, mandataire, verificateurs,
                                   max(checked, previous.end + datetime.timedelta(days=1))),
               "le quitus", coop.uai)
        _check(cloture.close_exercice(store, coop.uai, previous, mandataire, today=step.date),
               "la clôture", coop.uai)
        if story.cra:
            form = {"conseils": str(3 + coop.classes // 2), "eleves": str(coop.classes * 20),
                    "domaine": "Sciences et environnement", "sortie_nuitee": "non",
                    "projets": "Jardin de l'école, sortie au muséum, marché de Noël."}
            _check(save_answers(store, coop.uai, previous, mandataire, form), "le CRA", coop.uai)
    elif step.action == "remise":
        _check(cloture.submit_crf(store, coop.uai, previous, mandataire, rules=ad_config.get("quitus"),
                                  today=step.date), "la remise du CRF", coop.uai)
    elif step.action == "verrouillage":
        _check(cloture.lock_crf(store, coop.uai, previous, AD_AUTHOR, today=step.date), "le verrouillage du CRF",
               coop.uai)
    elif step.action == "declaration":
        _check(adhesion.declare(store, coop.uai, _declaration(coop, current), mandataire),
               "la déclaration d'adhésion", coop.uai)
    elif step.action == "validation":
        _check(adhesion.validate(store, coop.uai, current, AD_AUTHOR), "la validation de l'adhésion", coop.uai)
    elif step.action == "paiement":
        _check(adhesion.record_payment(store, coop.uai, current, mandataire,
                                       date_text=f"{step.date:%d/%m/%Y}", mode="PRLV", today=step.date),
               "le paiement de l'adhésion", coop.uai)
    else:  # pragma: no cover - the stories name only the actions above
        raise DemoError(step.action)


_ENTRY_RE = re.compile(r'^(\d{4}-\d{2}-\d{2}) \* [^\n]*\n  piece: "([^"]+)"$', re.M)


def add_error(root: Path, coop: DemoCoop, current: Exercice) -> str:
    """The latest operation of the current exercice takes the pièce number of the one before
    (a typing slip), committed outside the portal as a git push would bring it."""
    path = root / LEDGERS_DIRNAME / coop.uai / current.filename
    text = path.read_text(encoding="utf-8")
    entries = sorted(_ENTRY_RE.finditer(text), key=lambda m: (m.group(1), m.start()))
    if len(entries) < 2:
        raise DemoError(f"Démonstration, {coop.uai} : trop peu d'opérations en {current} pour l'erreur.")
    before, last = entries[-2], entries[-1]
    text = text[:last.start(2)] + before.group(2) + text[last.end(2):]
    path.write_text(text, encoding="utf-8")
    git(root, "add", "--", str(path.relative_to(root)))
    git(root, "commit", "-q", "--no-verify", "-m",
        f"Saisie hors du portail : pièce {before.group(2)} numérotée deux fois\n\nCoopérative: {coop.uai}\n",
        env={**COMMIT_ENV, "GIT_AUTHOR_NAME": coop.enseignants[0], "GIT_AUTHOR_EMAIL": coop.uai})
    return before.group(2)


def add_mistake(store: Store, coop: DemoCoop, current: Exercice, day: datetime.date) -> str:
    """The coop's mistake of `MISTAKES`, saved by its mandataire on `day`; returns its pièce."""
    from retkoop_tools.documents.source import load_source
    from retkoop_tools.ledger.writer import quote_string
    from retkoop_tools.tresorier.numbering import next_piece

    tiers, libelle, mode, treasury, code, amount = MISTAKES[coop.uai]
    books = load_source(store.root, coop.uai, day).books
    account = books.bank_account if treasury == "banque" else books.caisse_account
    compte = books.chart.by_code[code]
    piece = next_piece(books.entries, current, books.numbering, receipt=True)
    date = max(day, current.start)
    text = (f"{date.isoformat()} * " + (f"{quote_string(tiers)} " if tiers else "") + f"{quote_string(libelle)}\n"
            f'  piece: "{piece}"\n  mode: "{mode}"\n'
            f"  {account}  {amount} EUR\n  {compte.account}  -{amount} EUR\n")
    store.insert_entries(coop.uai, text, Author(coop.enseignants[0], coop.uai),
                         f"Saisie {piece} du {date:%d/%m/%Y} : {tiers or libelle}", current)
    return piece


def build_demo(target: Path, day: datetime.date, coops: tuple[DemoCoop, ...] = DEMO_COOPS) -> list[Step]:
    """Write the demo AD as it stands on `day` into `target` (a new git repository) and
    return the product actions done."""
    target = Path(target)
    previous, current = demo_exercices(day)
    ad_config = ad_config_for(day)
    stories = [STORIES[c.uai] for c in coops]
    generate_ad(target, list(coops), ad_config, exercices=[previous, current], closed=set(),
                cutoffs={s.uai: cutoff_of(s, day) for s in stories})
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    git(target, "init", "-q", "-b", "main")
    install_hooks(target)
    git(target, "add", "-A")
    git(target, "commit", "-q", "--no-verify", "-m", f"AD de démonstration au {day:%d/%m/%Y}", env=COMMIT_ENV)

    store = Store(target)
    by_uai = {c.uai: c for c in coops}
    steps = sorted((s for story in stories for s in steps_of(story, day)),
                   key=lambda s: (s.date, s.uai))
    for step in steps:
        _run(store, by_uai[step.uai], step, previous, current, ad_config, STORIES[step.uai])
    for story in stories:
        if story.error:
            add_error(target, by_uai[story.uai], current)
        if story.uai in MISTAKES:
            add_mistake(store, by_uai[story.uai], current, day)
    (Path(git(target, "rev-parse", "--absolute-git-dir").strip()) / DATE_FILENAME).write_text(
        day.isoformat() + "\n", encoding="utf-8")
    assert (target / AD_FILENAME).exists()
    return steps


def built_for(target: Path) -> datetime.date | None:
    """The date the demo in `target` was built for (None: not a demo built by date)."""
    path = Path(target) / ".git" / DATE_FILENAME
    if not path.exists():
        return None
    try:
        return datetime.date.fromisoformat(path.read_text(encoding="utf-8").strip())
    except ValueError:
        return None
