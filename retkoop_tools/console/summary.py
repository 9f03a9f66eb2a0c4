"""What the AD needs to know of one coop, computed from one load of its books.

A summary is plain JSON-able data (amounts as strings, dates in ISO), so it can be cached on
disk by the content of the coop's files and read back by any process. It depends only on the
files, never on today's date: lateness is decided when the summary is displayed
(`console/status.py`).

    {uai, nom, commune, operations, derniere_operation, erreurs, nb_erreurs,
     avertissements, nb_avertissements,
     releve: {date, solde, ecart}, arrete: {date, ecart},
     soldes: {banque, banques: {compte: solde}, noms_banques: {compte: {code, libelle}}, caisse, …},
     exercices: {"2025-2026": {fichier, clos, operations, dossier, cra, adhesion,
                               crf: {lignes, comptes, totals, bilan, rapprochement}}}}
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from retkoop_tools.ad import LEDGERS_DIRNAME, load_ad
from retkoop_tools.adhesion.model import AdhesionError, load_declaration
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.runner import load_checked
from retkoop_tools.documents.cra import load_answers
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.dossier import DossierError, dossier_filename, load_dossier
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import ZERO, Books
from retkoop_tools.tresorier.calendrier import latest_pointage

#: Bumped when the shape of a summary changes (cached summaries are then recomputed).
SUMMARY_VERSION = 5  # 3: every bank account of the coop (514); 4: their codes and names;
#                     5: the rules' avertissements (nb_avertissements, avertissements)
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


def _exercice_state(source: CoopSource, exercice: Exercice) -> dict[str, Any]:
    books = source.books
    coop_dir = source.coop_dir
    try:
        dossier = load_dossier(coop_dir, exercice)
        statut = dossier.statut if (coop_dir / dossier_filename(exercice)).exists() else None
    except DossierError:
        statut = "illisible"
    try:
        declaration = load_declaration(coop_dir, exercice)
        adhesion = declaration.statut if declaration else None
        membres = declaration.membres if declaration else 0
    except (AdhesionError, ValueError):
        adhesion, membres = "illisible", 0
    try:
        cra = load_answers(coop_dir, exercice) is not None
    except ValueError:
        cra = False
    state: dict[str, Any] = {
        "fichier": exercice in books.exercices,
        "clos": exercice in books.closed,
        "operations": sum(1 for op in books.operations if exercice.contains(op.date)),
        "dossier": statut,
        "cra": cra,
        "adhesion": adhesion,
        "membres": membres,
    }
    if state["fichier"]:
        state["crf"] = _crf_figures(source, exercice)
    return state


def summarize(ad_root: Path, uai: str) -> dict[str, Any]:
    """Load the coop once (with its rules) and reduce it to what the AD console shows."""
    ad = load_ad(ad_root)
    root = ad.root.resolve()
    coop_dir = root / LEDGERS_DIRNAME / uai
    entries, checked = load_checked(root, uai)
    books = Books(entries, load_chart(root), coop_dir, today=datetime.date(2000, 1, 1))
    source = CoopSource(ad, uai, books, [])
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
    return {
        "version": SUMMARY_VERSION,
        "uai": uai,
        "nom": books.identity.get("nom", "") or checked.nom,
        "commune": books.identity.get("commune", ""),
        "operations": len(books.operations),
        "derniere_operation": _iso(max((op.date for op in books.operations), default=None)),
        "nb_erreurs": len(checked.errors),
        "erreurs": [e.as_dict() for e in checked.errors[:MAX_ERRORS]],
        "nb_avertissements": len(checked.warnings),
        "avertissements": [e.as_dict() for e in checked.warnings[:MAX_ERRORS]],
        "releve": releve,
        "arrete": arrete,
        "soldes": soldes,
        "exercices": {str(ex): _exercice_state(source, ex) for ex in exercices},
    }


def _bank_name(books: Books, account: str) -> dict[str, str]:
    """A bank account as the console names it: its chart code and short name (514, Chèques postaux)."""
    compte, _ = books.chart.lookup(account)
    return {"code": compte.code if compte is not None else "", "libelle": books.bank_short_label(account)}


def decimal(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else ZERO
