"""What the AD needs to know of one coop, computed from one load of its books.

A summary is plain JSON-able data (amounts as strings, dates in ISO), so it can be cached on
disk by the content of the coop's files and read back by any process. It depends only on the
files, never on today's date: lateness is decided when the summary is displayed
(`console/status.py`).

    {uai, nom, commune, email, mandats, operations, derniere_operation, erreurs, nb_erreurs,
     avertissements, nb_avertissements,
     releve: {date, solde, ecart}, arrete: {date, ecart},
     soldes: {banque, banques: {compte: solde}, noms_banques: {compte: {code, libelle}}, caisse, …},
     negatifs: [accounts below zero now], cheques_non_pointes: [cheques issued, not ticked],
     exercices: {"2025-2026": {fichier, clos, operations, dossier, remis_le, verrouille_le, cra,
                               adhesion, membres, eleves, adultes, adhesion_montant,
                               negatifs, regies_ouvertes, report,
                               crf: {lignes, comptes, totals, bilan, rapprochement}}}}

The AD's checks (negative accounts, open régies, unticked cheques, report à nouveau, when the
CRF was handed in) are computed in `anomalies.py`.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from retkoop_tools.ad import LEDGERS_DIRNAME, load_ad
from retkoop_tools.adhesion.model import (
    AdhesionError,
    compute,
    load_declaration,
    tarifs,
)
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.cache import default_cache_dir
from retkoop_tools.checks.runner import load_and_check
from retkoop_tools.console import anomalies
from retkoop_tools.documents.cra import load_answers
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.dossier import DossierError, dossier_filename, load_dossier
from retkoop_tools.documents.mandataires import load_mandats
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.ledger.conventions import CUSTOM_CLOTURE, CUSTOM_COOPERATIVE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.standalone import Loaded, load_books
from retkoop_tools.tresorier.books import ZERO, Books
from retkoop_tools.tresorier.calendrier import latest_pointage

#: Bumped when the shape of a summary changes (cached summaries are then recomputed).
SUMMARY_VERSION = 6  # 3: every bank account of the coop (514); 4: their codes and names;
#                     5: the rules' avertissements; 6: the AD's checks (anomalies.py)
MAX_ERRORS = 20
_YAML_RE = re.compile(r"^(adhesion|crf|cra)-(\d{4}-\d{4})\.yaml$")


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _crf_figures(source: CoopSource, exercice: Exercice) -> dict[str, Any]:
    """The CRF of an exercice reduced to its figures: lines, accounts, balance sheet."""
    crf = compute_crf(source, exercice)
    lignes = {ligne.rubrique.key: str(ligne.total) for ligne in crf.charges + crf.produits}
    comptes = {c.compte.code: str(c.montant) for ligne in crf.charges + crf.produits for c in ligne.comptes}
    statement = [r for r in crf.rapprochements if r.solde_releve is not None]
    banque = sum((r.solde_fin for r in crf.rapprochements), ZERO)  # the books at 31/08
    return {
        "lignes": lignes,
        "comptes": comptes,
        "charges": str(crf.total_charges),
        "produits": str(crf.total_produits),
        "resultat": str(crf.resultat),
        "actif": str(crf.total_actif),
        "report": str(crf.report_a_nouveau),
        "equilibre": crf.equilibre,
        "banque": str(banque),
        "releve_date": _iso(min((r.date_releve for r in statement), default=None)),
        "releve_solde": str(sum((r.solde_releve for r in statement), ZERO)) if statement else None,
        "rapproche": str(sum((r.solde_rapproche for r in statement), ZERO)) if statement else None,
        "ecart_rapprochement": (str(sum((r.ecart for r in statement), ZERO))
                                if statement and len(statement) == len(crf.rapprochements) else None),
        # Bank and cash established at 31/08 (statement and count at the end), or provisional.
        "position_etablie": crf.position_etablie,
        "caisse": str(crf.caisse.solde_comptable) if crf.caisse else "0",
        "subventions": str(crf.total_subventions),
    }


def _yaml_exercices(coop_dir: Path) -> set[Exercice]:
    found = set()
    for path in coop_dir.glob("*.yaml"):
        match = _YAML_RE.match(path.name)
        if match:
            found.add(Exercice.parse(match.group(2)))
    return found


def _exercice_state(source: CoopSource, exercice: Exercice, closed: dict[str, Any] | None = None) -> dict[str, Any]:
    books = source.books
    coop_dir = source.coop_dir
    dates: dict[str, Any] = {"remis_le": None, "verrouille_le": None}
    try:
        dossier = load_dossier(coop_dir, exercice)
        statut = dossier.statut if (coop_dir / dossier_filename(exercice)).exists() else None
        dates = anomalies.handed_in(dossier)
    except DossierError:
        statut = "illisible"
    montant = None
    try:
        declaration = load_declaration(coop_dir, exercice)
        adhesion = declaration.statut if declaration else None
        membres = declaration.membres if declaration else 0
        eleves, adultes = (declaration.eleves, declaration.adultes) if declaration else (0, 0)
        if declaration:
            try:
                montant = str(compute(declaration, tarifs(source.ad.config, exercice)).total)
            except AdhesionError:  # the AD has not published that year's rates
                montant = None
    except (AdhesionError, ValueError):
        adhesion, membres, eleves, adultes = "illisible", 0, 0, 0
    try:
        cra = load_answers(coop_dir, exercice) is not None
    except ValueError:
        cra = False
    state: dict[str, Any] = {
        "fichier": exercice in books.exercices,
        "clos": exercice in books.closed,
        "operations": len(books.operations_of(exercice)),
        "dossier": statut,
        **dates,
        "cra": cra,
        "adhesion": adhesion,
        "membres": membres,
        "eleves": eleves,
        "adultes": adultes,
        "adhesion_montant": montant,
    }
    kept = (closed or {}).get("exercices", {}).get(str(exercice))
    if kept is not None:  # a closed exercice: its figures as its closing kept them
        state.update({key: kept[key] for key in _KEPT if key in kept})
    elif state["fichier"]:
        state.update(_figures(source, exercice))
    return state


#: What a summary shows of an exercice from its books (the rest comes from its records): a
#: closed exercice's, kept by its closing (`closed_figures`).
_KEPT = ("operations", "crf", "negatifs", "regies_ouvertes", "report")


def _figures(source: CoopSource, exercice: Exercice) -> dict[str, Any]:
    books = source.books
    return {"crf": _crf_figures(source, exercice),
            "negatifs": anomalies.negative_balances(books, exercice),
            "regies_ouvertes": anomalies.open_regies(books, exercice)}


def _closed_exercice(source: CoopSource, exercice: Exercice, previous_crf: dict | None) -> dict[str, Any]:
    """What `closed_figures` keeps of one closed exercice."""
    books = source.books
    figures = {"operations": len(books.operations_of(exercice)),
               **_figures(source, exercice)}
    figures["report"] = anomalies.opening_control(books, exercice, figures["crf"], previous_crf)
    return figures


def _coop_email(books: Books) -> str:
    """The school's e-mail, when its `custom "cooperative"` gives one (`retkoop coop add --email`)."""
    for entry in books.entries:
        if getattr(entry, "type", None) == CUSTOM_COOPERATIVE and isinstance(entry.meta.get("email"), str):
            return entry.meta["email"].strip()
    return ""


#: The version of what `closed_figures` gives (the CRF's figures, the AD's checks of each
#: exercice), bumped whenever the same books give other figures: a closing keeps them, and
#: the figures of another version are computed again. Not a hash of the code: an upgrade that
#: computes the same figures keeps them (`tests/test_state_pinned.py` pins those of a
#: synthetic coop, and fails when a change of the code changes them).
FIGURES_VERSION = 2  # 2: the AD's checks of each exercice (negatifs, régies, report)


@functools.lru_cache(maxsize=1)
def summary_code(version: int = FIGURES_VERSION) -> str:
    """The version of the figures of a closed exercice that a closing keeps (this one's, or
    that of `version`)."""
    return hashlib.sha256(f"figures {version}".encode()).hexdigest()


def _closed_operations(books: Books, coop_dir: Path, upto: Exercice) -> list:
    """The operations written in the files of the exercices up to `upto`."""
    return [op for op in books.operations
            if (Exercice.from_filename(op.filename) or upto.next()) <= upto
            and Path(op.filename).parent.name == coop_dir.name]


def closed_figures(ad_root: Path, uai: str, loaded: Loaded, upto: Exercice,
                   earlier: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the console shows of the exercices up to `upto` (closed): kept by the closing
    beside the seal, so that a summary never loads a closed exercice again. From a full load,
    or from a standalone one holding `upto` in full with `earlier`, the figures the previous
    closing kept (the exercices before `upto` are not in that load)."""
    ad = load_ad(ad_root)
    root = ad.root.resolve()
    coop_dir = root / LEDGERS_DIRNAME / uai
    books = Books(loaded.entries, load_chart(root), coop_dir, today=datetime.date(2000, 1, 1))
    source = CoopSource(ad, uai, books, [])
    previous = (earlier or {}).get("exercices", {})
    if loaded.open_from is not None:  # standalone: the older figures as kept, then `upto`'s
        mine = [op for op in books.operations if Exercice.from_filename(op.filename) == upto]
        last = [op.date for op in mine] + ([datetime.date.fromisoformat(earlier["derniere_operation"])]
                                           if earlier and earlier.get("derniere_operation") else [])
        figures = {str(ex): previous[str(ex)] for ex in books.exercices if ex < upto}
        figures[str(upto)] = _closed_exercice(source, upto, (previous.get(str(upto.previous())) or {}).get("crf"))
        return {"code": summary_code(), "operations": int((earlier or {}).get("operations", 0)) + len(mine),
                "derniere_operation": _iso(max(last, default=None)), "exercices": figures}
    operations = _closed_operations(books, coop_dir, upto)
    figures = {}
    for ex in books.exercices:
        if ex <= upto:
            figures[str(ex)] = previous[str(ex)] if ex < upto and str(ex) in previous else \
                _closed_exercice(source, ex, (figures.get(str(ex.previous())) or {}).get("crf"))
    return {
        "code": summary_code(),
        "operations": len(operations),
        "derniere_operation": _iso(max((op.date for op in operations), default=None)),
        "exercices": figures,
    }


class NotCheapError(Exception):
    """The summary would need a full load of the coop (`summarize(cheap=True)`)."""


def _closed_part(root: Path, uai: str, loaded: Loaded, cheap: bool = False) -> dict[str, Any] | None:
    """The figures of the closed exercices a standalone load left out: kept by the closing
    (when its state was the one used), else computed once from a full load and cached
    (NotCheapError instead with `cheap`)."""
    if loaded.open_from is None:
        return None
    upto = loaded.open_from.previous()
    results = loaded.results or {}
    resume = results.get("resume") if isinstance(results, dict) else None
    if isinstance(resume, dict) and resume.get("code") == summary_code():
        return resume
    key = hashlib.sha256(f"{loaded.state_key}\0{summary_code()}".encode()).hexdigest()
    path = default_cache_dir() / "console" / "clos" / key[:2] / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if cheap:
        raise NotCheapError(uai)
    coop_dir = root / LEDGERS_DIRNAME / uai
    figures = closed_figures(root, uai, load_books(coop_dir, uai, full=True), upto)
    try:
        atomic_write(path, json.dumps(figures, ensure_ascii=False), durable=False)
    except OSError:
        pass
    return figures


_ADS: dict[tuple[str, int, int], Any] = {}


def _ad(ad_root: Path):
    """The AD (ad.yaml read once per version of the file: a refresh summarises hundreds of coops)."""
    path = Path(ad_root) / "ad.yaml"
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _ADS:
        _ADS.clear()
        _ADS[key] = load_ad(ad_root)
    return _ADS[key]


def summarize(ad_root: Path, uai: str, texts: Mapping[str, str | bytes | None] | None = None,
              cheap: bool = False) -> dict[str, Any]:
    """Load the coop once (with its rules) and reduce it to what the AD console shows: the
    open exercices from that load, the closed ones from what their closing kept. `texts`
    (books of the coop's folder: name → content, None: deleted) stand for what the disk holds,
    as in the store's check of a write (the same load, remembered); the records are read
    from the disk. With `cheap` (a write: no second load), NotCheapError when the closed
    exercices' figures are neither kept by their closing nor cached: the console computes
    that summary later."""
    ad = _ad(ad_root)
    root = ad.root.resolve()
    coop_dir = root / LEDGERS_DIRNAME / uai
    loaded, checked = load_and_check(root, uai, texts=texts)
    if cheap and loaded is not None and loaded.open_from is None and any(
            isinstance(e, data.Custom) and e.type == CUSTOM_CLOTURE for e in loaded.entries):
        raise NotCheapError(uai)  # a full load: every closed year's CRF would be computed again
    entries = loaded.entries if loaded is not None else []
    books = Books(entries, load_chart(root), coop_dir, today=datetime.date(2000, 1, 1))
    source = CoopSource(ad, uai, books, [])
    closed = _closed_part(root, uai, loaded, cheap) if loaded is not None else None
    releve = None
    lasts = books.last_statements()
    if lasts:  # the account that lags most; its gap, or the first gap of the others
        date, gap = latest_pointage(books)
        last = min(lasts, key=lambda st: st.date)
        releve = {"date": _iso(date), "solde": str(last.balance), "ecart": str(gap),
                  "comptes": [st.account for st in lasts]}
    counts = books.cash_counts()
    arrete = {"date": _iso(counts[-1].date), "ecart": str(counts[-1].gap)} if counts else None
    soldes = {
        "banque": str(books.balance(books.bank_accounts)) if books.bank_accounts else "0",
        "banques": {account: str(books.balance(account)) for account in books.bank_accounts},
        "noms_banques": {account: _bank_name(books, account) for account in books.bank_accounts},
        "caisse": str(books.balance(books.caisse_account)) if books.caisse_account else "0",
        "cheques": str(books.balance(books.cheques_account)) if books.cheques_account else "0",
        "regies": str(sum((r.balance for r in books.regies()), ZERO)),
    }
    exercices = sorted(set(books.exercices) | _yaml_exercices(coop_dir))
    operations = books.operations
    last = max((op.date for op in operations), default=None)
    if closed is not None:  # the standalone load's own operations, then the closed ones'
        files = {name: Exercice.from_filename(name) for name in {op.filename for op in operations}}
        operations = [op for op in operations if files[op.filename] and files[op.filename] >= loaded.open_from]
        last = max([op.date for op in operations]
                   + ([datetime.date.fromisoformat(closed["derniere_operation"])]
                      if closed.get("derniere_operation") else []), default=None)
    states = {str(ex): _exercice_state(source, ex, closed) for ex in exercices}
    kept = (closed or {}).get("exercices", {})
    for ex in exercices:
        if str(ex) not in kept:
            states[str(ex)]["report"] = anomalies.opening_control(
                books, ex, states[str(ex)].get("crf"), states.get(str(ex.previous()), {}).get("crf"))
    return {
        "version": SUMMARY_VERSION,
        "uai": uai,
        "nom": books.identity.get("nom", "") or checked.nom,
        "commune": books.identity.get("commune", ""),
        "email": _coop_email(books),
        "mandats": [{"nom": m.nom, "depuis": m.depuis.isoformat(), "email": m.email} for m in load_mandats(coop_dir)],
        "operations": len(operations) + (closed["operations"] if closed is not None else 0),
        "derniere_operation": _iso(last),
        "nb_erreurs": len(checked.errors),
        "erreurs": [e.as_dict() for e in checked.errors[:MAX_ERRORS]],
        "nb_avertissements": len(checked.warnings),
        "avertissements": [e.as_dict() for e in checked.warnings[:MAX_ERRORS]],
        "releve": releve,
        "arrete": arrete,
        "soldes": soldes,
        "negatifs": anomalies.negative_now(books),
        "cheques_non_pointes": anomalies.unticked_cheques(books),
        "exercices": states,
    }


def _bank_name(books: Books, account: str) -> dict[str, str]:
    """A bank account as the console names it: its chart code and short name (514, Chèques postaux)."""
    compte, _ = books.chart.lookup(account)
    return {"code": compte.code if compte is not None else "", "libelle": books.bank_short_label(account)}


def decimal(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else ZERO
