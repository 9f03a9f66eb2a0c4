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
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from retkoop_tools.ad import LEDGERS_DIRNAME, load_ad
from retkoop_tools.adhesion.model import (
    AdhesionError,
    compute,
    load_declaration,
    tarifs,
)
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.runner import load_checked
from retkoop_tools.console import anomalies
from retkoop_tools.documents.cra import load_answers
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.dossier import DossierError, dossier_filename, load_dossier
from retkoop_tools.documents.mandataires import load_mandats
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.ledger.conventions import CUSTOM_COOPERATIVE
from retkoop_tools.ledger.exercice import Exercice
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


def _exercice_state(source: CoopSource, exercice: Exercice) -> dict[str, Any]:
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
        "operations": sum(1 for op in books.operations if exercice.contains(op.date)),
        "dossier": statut,
        **dates,
        "cra": cra,
        "adhesion": adhesion,
        "membres": membres,
        "eleves": eleves,
        "adultes": adultes,
        "adhesion_montant": montant,
    }
    if state["fichier"]:
        state["crf"] = _crf_figures(source, exercice)
        state["negatifs"] = anomalies.negative_balances(books, exercice)
        state["regies_ouvertes"] = anomalies.open_regies(books, exercice)
    return state


def _coop_email(books: Books) -> str:
    """The school's e-mail, when its `custom "cooperative"` gives one (`retkoop coop add --email`)."""
    for entry in books.entries:
        if getattr(entry, "type", None) == CUSTOM_COOPERATIVE and isinstance(entry.meta.get("email"), str):
            return entry.meta["email"].strip()
    return ""


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
    states = {str(ex): _exercice_state(source, ex) for ex in exercices}
    for ex in exercices:
        states[str(ex)]["report"] = anomalies.opening_control(
            books, ex, states[str(ex)].get("crf"), states.get(str(ex.previous()), {}).get("crf"))
    return {
        "version": SUMMARY_VERSION,
        "uai": uai,
        "nom": books.identity.get("nom", "") or checked.nom,
        "commune": books.identity.get("commune", ""),
        "email": _coop_email(books),
        "mandats": [{"nom": m.nom, "depuis": m.depuis.isoformat(), "email": m.email} for m in load_mandats(coop_dir)],
        "operations": len(books.operations),
        "derniere_operation": _iso(max((op.date for op in books.operations), default=None)),
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
