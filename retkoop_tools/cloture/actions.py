"""Closing, reopening and the CRF's journey to the AD: each action is one commit, or nothing.

- close (mandataire when every condition holds; the AD may force): the `cloture` directive
  with the digest of the exercice's entries, the report à nouveau at the top of the next
  exercice (created if needed), the CRF PDF in the coop's documents, then the tag
  `<UAI>/<exercice>`;
- reopen (AD only, with a reason): the directive and the report à nouveau go, the reason and
  its author stay in `crf-<exercice>.yaml` and in the commit message; the tag is removed;
- submit (mandataire), lock or send back (AD) the CRF.
"""

from __future__ import annotations

import datetime
import re

from retkoop_plugins.exercice import sealed_entries

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.cloture.conditions import closing_conditions, unmet
from retkoop_tools.cloture.report import report_block, with_report, without_report
from retkoop_tools.cloture.resultats import (
    closing_results,
    results_filename,
    results_text,
)
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.dossier import (
    BROUILLON,
    RENVOYE,
    SOUMIS,
    VERROUILLE,
    Dossier,
    DossierError,
    Verificateur,
    dossier_filename,
    load_dossier,
    quitus_problems,
)
from retkoop_tools.documents.render import render_pdf
from retkoop_tools.documents.source import CoopSource, load_source
from retkoop_tools.fr import fmt_date
from retkoop_tools.ledger.conventions import CUSTOM_CLOTURE
from retkoop_tools.ledger.digest import entries_digest
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.exercice import today as clock_today
from retkoop_tools.ledger.layout import (
    DOCUMENTS_DIRNAME,
    exercice_changes,
    insert_position,
)
from retkoop_tools.ledger.standalone import load_books
from retkoop_tools.policy.writes import Scope
from retkoop_tools.store.gitcmd import git
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, commit_result

CRF_DIRNAME = "crf"


def crf_document_path(exercice: Exercice) -> str:
    """Where the closing stores the CRF's PDF, in the coop's folder."""
    return f"{DOCUMENTS_DIRNAME}/{CRF_DIRNAME}/crf-{exercice}.pdf"


def closing_tag(uai: str, exercice: Exercice) -> str:
    return f"{uai}/{exercice}"


def _now() -> datetime.datetime:
    return datetime.datetime.now().replace(microsecond=0)


def _today(today: datetime.date | None) -> datetime.date:
    return today or clock_today()


def _at(today: datetime.date) -> datetime.datetime:
    """When an event of the CRF's history happens: `today` (the school calendar's day, which the
    console compares with the AD's deadline), at the time of the clock."""
    return datetime.datetime.combine(today, _now().time())


def _crf_pdf(source: CoopSource, exercice: Exercice, dossier: Dossier, today: datetime.date,
             clos: bool = True) -> bytes:
    crf = compute_crf(source, exercice, today)
    crf.dossier = dossier
    crf.clos = clos
    return render_pdf("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le)



def _tag(store: Store, uai: str, exercice: Exercice, commit: str, author: Author) -> None:
    with store.locked():
        git(store.root, "tag", "-f", "-a", closing_tag(uai, exercice), commit, "-m",
            f"Clôture de l'exercice {exercice} de la coopérative {uai} par {author.name}")


def _untag(store: Store, uai: str, exercice: Exercice) -> None:
    with store.locked():
        git(store.root, "tag", "-d", closing_tag(uai, exercice), check=False)


# -- closing -----------------------------------------------------------------------------------
def close_exercice(store: Store, uai: str, exercice: Exercice, author: Author, *,
                   force: bool = False, today: datetime.date | None = None) -> Result:
    """Close `exercice` of coop `uai`. `force` (the AD's) skips the bookkeeping conditions."""
    result = Result()
    today = _today(today)
    with store.coop_locked(uai):
        source = load_source(store.root, uai, today, exercice=exercice)
        books = source.books
        conditions = closing_conditions(books, exercice, len(source.errors), today,
                                        warnings=[w.message for w in source.warnings])
        # Forcing skips the mandataire's checklist, never the structure (file, not closed yet).
        blocking = unmet(conditions[:2] if force else conditions)
        if blocking:
            result.errors["general"] = (f"Clôture de l'exercice {exercice} impossible : "
                                        + " ".join(f"{c.title} – {c.detail}" for c in blocking))
            return result
        skipped = unmet(conditions) if force else []
        coop_dir = source.coop_dir
        changes: dict[str, str | bytes | None] = {}
        text = (coop_dir / exercice.filename).read_text(encoding="utf-8")
        # The exercice to close is loaded in full in the books (open, not carried).
        digest = entries_digest(sealed_entries(books.entries, str((coop_dir / exercice.filename).resolve())))
        closing = closing_text(exercice, digest, author.name, today, bool(skipped))
        at = insert_position(text)
        changes[exercice.filename] = text[:at] + closing + text[at:]

        following = exercice.next()
        if (coop_dir / following.filename).exists():
            next_text = (coop_dir / following.filename).read_text(encoding="utf-8")
        else:
            opened = exercice_changes(coop_dir, following)
            next_text = opened[following.filename]
            changes.update({k: v for k, v in opened.items() if k != following.filename})
        changes[following.filename] = with_report(next_text, report_block(books, exercice))

        try:
            dossier = load_dossier(coop_dir, exercice)
        except DossierError as exc:
            result.errors["general"] = str(exc)
            return result
        dossier.event("cloture-forcee" if skipped else "cloture", author.name,
                      "; ".join(str(c) for c in skipped), now=_at(today))
        if dossier.statut == RENVOYE:
            dossier.statut = BROUILLON
        changes[dossier_filename(exercice)] = dossier.dump()
        changes[crf_document_path(exercice)] = _crf_pdf(source, exercice, dossier, today)
        # What the next loads need of it, computed now from the books as the closing leaves them.
        before = load_books(coop_dir, uai)  # the load the books above came from (remembered)
        if before.open_from not in (None, exercice):
            before = load_books(coop_dir, uai, full=True)
        changes[results_filename(exercice)] = results_text(closing_results(store.root, uai, exercice, changes, before))

        message = f"Clôture de l'exercice {exercice}" + (" (forcée par l'AD)" if skipped else "")
        commit_result(store, uai, changes, author, message, result, Scope.SYSTEM)
        if result.ok and result.commit:
            _tag(store, uai, exercice, result.commit, author)
            result.message = (f"Exercice {exercice} clôturé le {fmt_date(today)} ; report à nouveau "
                              f"écrit dans {following.filename} ; CRF enregistré dans "
                              f"{crf_document_path(exercice)}.")
    return result


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def closing_text(exercice: Exercice, digest: str, by: str, on: datetime.date, forced: bool = False) -> str:
    """The seal of a closed exercice: the `cloture` directive with the digest of its entries."""
    return (f'{exercice.end.isoformat()} custom "{CUSTOM_CLOTURE}" "{exercice}" "{digest}"\n'
            f'  par: "{_quote(by)}"\n'
            f"  le: {on.isoformat()}\n"
            + ('  forcee: "oui"\n' if forced else "") + "\n")


_CLOSING_RE_TEMPLATE = r'^\d{{4}}-\d{{2}}-\d{{2}} custom "{type}" "{name}" "[^"]*"[^\n]*\n(?:[ \t]+[^\n]*\n)*\n?'


def _without_closing(text: str, exercice: Exercice) -> str:
    pattern = _CLOSING_RE_TEMPLATE.format(type=re.escape(CUSTOM_CLOTURE), name=re.escape(str(exercice)))
    return re.sub(pattern, "", text, count=1, flags=re.M)


def reopen_exercice(store: Store, uai: str, exercice: Exercice, author: Author, motif: str, *,
                    statut: str = BROUILLON, action: str = "reouverture") -> Result:
    """The AD reopens a closed exercice; `motif` is required and kept."""
    result = Result()
    motif = (motif or "").strip()
    if not motif:
        result.errors["motif"] = "Indiquez pourquoi l'exercice est rouvert : le motif reste dans l'historique."
        return result
    coop_dir = store.root / LEDGERS_DIRNAME / uai
    with store.coop_locked(uai):
        path = coop_dir / exercice.filename
        if not path.exists():
            result.errors["general"] = f"La coopérative {uai} n'a pas d'exercice {exercice}."
            return result
        text = path.read_text(encoding="utf-8")
        reopened = _without_closing(text, exercice)
        if reopened == text:
            result.errors["general"] = f"L'exercice {exercice} n'est pas clôturé."
            return result
        changes: dict[str, str | bytes | None] = {exercice.filename: reopened}
        if (coop_dir / results_filename(exercice)).exists():  # valid while the seal held only
            changes[results_filename(exercice)] = None
        following = coop_dir / exercice.next().filename
        if following.exists():
            changes[following.name] = without_report(following.read_text(encoding="utf-8"), exercice)
        dossier = _dossier(store, uai, exercice, result)
        if dossier is None:
            return result
        if dossier.locked and action != "renvoi":
            result.errors["general"] = (f"Le CRF {exercice} est verrouillé : renvoyez-le au mandataire "
                                        "(avec le motif) pour rouvrir l'exercice.")
            return result
        dossier.statut = statut
        dossier.event(action, author.name, motif)
        changes[dossier_filename(exercice)] = dossier.dump()
        verb = "renvoyé au mandataire" if action == "renvoi" else "rouvert"
        commit_result(store, uai, changes, author, f"Exercice {exercice} {verb} par {author.name} : {motif}", result,
                      Scope.SYSTEM)
        if result.ok:
            _untag(store, uai, exercice)
    return result


# -- the CRF's file: quitus and submission --------------------------------------------------
def _dossier(store: Store, uai: str, exercice: Exercice, result: Result) -> Dossier | None:
    try:
        return load_dossier(store.root / LEDGERS_DIRNAME / uai, exercice)
    except DossierError as exc:
        result.errors["general"] = str(exc)
        return None


def save_quitus(store: Store, uai: str, exercice: Exercice, author: Author,
                verificateurs: list[Verificateur], date: datetime.date | None) -> Result:
    result = Result()
    with store.coop_locked(uai):
        dossier = _dossier(store, uai, exercice, result)
        if dossier is None:
            return result
        if dossier.statut in (SOUMIS, VERROUILLE):
            result.errors["general"] = (f"Le CRF {exercice} est {dossier.statut_libelle.lower()} : "
                                        "demandez à l'AD de vous le renvoyer pour le modifier.")
            return result
        if date is not None and date < exercice.end:
            result.errors["date"] = (f"La vérification se fait après la fin de l'exercice, le "
                                     f"{fmt_date(exercice.end)} : corrigez la date.")
            return result
        dossier.verificateurs = verificateurs
        dossier.date_verification = date
        return commit_result(store, uai, {dossier_filename(exercice): dossier.dump()}, author,
                       f"Vérificateurs aux comptes {exercice}", result)


def submit_crf(store: Store, uai: str, exercice: Exercice, author: Author, *,
               rules: dict | None = None, today: datetime.date | None = None) -> Result:
    """The mandataire hands the closed exercice's CRF to the AD (the stored PDF is refreshed
    with the vérificateurs' names)."""
    result = Result()
    today = _today(today)
    with store.coop_locked(uai):
        source = load_source(store.root, uai, today, exercice=exercice)
        if exercice not in source.books.closed:
            result.errors["general"] = f"Clôturez d'abord l'exercice {exercice} : le CRF se remet clôturé."
            return result
        dossier = _dossier(store, uai, exercice, result)
        if dossier is None:
            return result
        if dossier.statut in (SOUMIS, VERROUILLE):
            result.errors["general"] = f"Le CRF {exercice} est déjà {dossier.statut_libelle.lower()}."
            return result
        problems = quitus_problems(dossier, rules)
        if problems:
            result.errors["general"] = "Avant de remettre le CRF : " + " ".join(problems)
            return result
        dossier.statut = SOUMIS
        dossier.event("soumission", author.name, now=_at(today))
        changes = {dossier_filename(exercice): dossier.dump(),
                   crf_document_path(exercice): _crf_pdf(source, exercice, dossier, today)}
        return commit_result(store, uai, changes, author, f"CRF {exercice} remis à l'AD", result)


def lock_crf(store: Store, uai: str, exercice: Exercice, author: Author,
             today: datetime.date | None = None) -> Result:
    """The AD accepts the submitted CRF: the exercice is frozen."""
    result = Result()
    today = _today(today)
    with store.coop_locked(uai):
        dossier = _dossier(store, uai, exercice, result)
        if dossier is None:
            return result
        if dossier.statut != SOUMIS:
            result.errors["general"] = (f"Le CRF {exercice} n'est pas remis à l'AD "
                                        f"({dossier.statut_libelle.lower()}) : rien à verrouiller.")
            return result
        dossier.statut = VERROUILLE
        dossier.event("verrouillage", author.name, now=_at(today))
        return commit_result(store, uai, {dossier_filename(exercice): dossier.dump()}, author,
                       f"CRF {exercice} verrouillé par l'AD", result)


def send_back_crf(store: Store, uai: str, exercice: Exercice, author: Author, motif: str) -> Result:
    """The AD sends the CRF back: the exercice is reopened so the mandataire can correct it."""
    result = Result()
    dossier = _dossier(store, uai, exercice, result)
    if dossier is None:
        return result
    if dossier.statut not in (SOUMIS, VERROUILLE):
        result.errors["general"] = f"Le CRF {exercice} n'a pas été remis à l'AD : rien à renvoyer."
        return result
    return reopen_exercice(store, uai, exercice, author, motif, statut=RENVOYE, action="renvoi")


