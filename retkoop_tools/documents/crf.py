"""The compte rendu financier (CRF) of an exercice, as plain data computed from the books.

Every figure comes from the ledger: nothing is typed twice. The template in
`templates/crf.html` only lays these numbers out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from retkoop_tools.chart import Compte, Rubrique
from retkoop_tools.checks.regles import AVERTISSEMENT, level_of
from retkoop_tools.cloture.conditions import closing_statement
from retkoop_tools.documents.dossier import Dossier, load_dossier
from retkoop_tools.documents.inventaire import CahierInventaire, compute_inventaire
from retkoop_tools.documents.mandataires import mandataires_of
from retkoop_tools.documents.projets import EtatDesActions, etat_des_actions
from retkoop_tools.documents.source import CoopSource, ad_identity
from retkoop_tools.ledger.conventions import DENOMINATIONS
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import ZERO, Books, Operation

DENOMINATION_LABELS = {
    "b500": "Billet de 500 €", "b200": "Billet de 200 €", "b100": "Billet de 100 €",
    "b50": "Billet de 50 €", "b20": "Billet de 20 €", "b10": "Billet de 10 €", "b5": "Billet de 5 €",
    "p2": "Pièce de 2 €", "p1": "Pièce de 1 €", "c50": "Pièce de 50 c", "c20": "Pièce de 20 c",
    "c10": "Pièce de 10 c", "c5": "Pièce de 5 c", "c2": "Pièce de 2 c", "c1": "Pièce de 1 c",
}


@dataclass
class LigneCompte:
    compte: Compte
    montant: Decimal


@dataclass
class LigneCRF:
    """One line (rubrique) of the compte de fonctionnement, with its accounts."""

    rubrique: Rubrique
    comptes: list[LigneCompte]

    @property
    def total(self) -> Decimal:
        return sum((c.montant for c in self.comptes), ZERO)


@dataclass
class PosteBilan:
    libelle: str
    montant: Decimal


@dataclass
class Rapprochement:
    """The bank reconciliation at the last ticked statement of the exercice; when that
    statement is before the exercice's end, what happened after it is not covered."""

    compte: str
    date_releve: datetime.date | None
    solde_releve: Decimal | None
    non_pointees: list[Operation]
    solde_comptable: Decimal  # the books at the statement's date
    date_fin: datetime.date | None = None  # the exercice's end (31/08)
    solde_fin: Decimal = ZERO  # the books at 31/08
    non_couvertes: list[Operation] = field(default_factory=list)  # after the statement, to 31/08
    libelle: str = ""  # the account as the chart names it ("Chèques postaux")

    @property
    def a_la_fin(self) -> bool:
        """Whether the statement establishes the position at the exercice's end."""
        return self.date_releve is not None and self.date_fin is not None and self.date_releve >= self.date_fin

    @property
    def total_non_pointees(self) -> Decimal:
        return sum((op.on(self.compte) for op in self.non_pointees), ZERO)

    @property
    def solde_rapproche(self) -> Decimal | None:
        """Statement balance + operations of the books not on the statement yet."""
        if self.solde_releve is None:
            return None
        return self.solde_releve + self.total_non_pointees

    @property
    def ecart(self) -> Decimal | None:
        rapproche = self.solde_rapproche
        return None if rapproche is None else self.solde_comptable - rapproche


@dataclass
class LigneBilletage:
    libelle: str
    nombre: int
    valeur: Decimal

    @property
    def total(self) -> Decimal:
        return self.valeur * self.nombre


@dataclass
class ArreteCaisse:
    date: datetime.date | None
    lignes: list[LigneBilletage]
    total: Decimal
    solde_comptable: Decimal  # the books on the day of the count
    date_fin: datetime.date | None = None
    solde_fin: Decimal = ZERO  # the books at 31/08
    mouvements_apres: list[Operation] = field(default_factory=list)  # cash moved after the count

    @property
    def a_la_fin(self) -> bool:
        """Whether the count establishes the cash at the exercice's end (no movement after it)."""
        return self.date is not None and not self.mouvements_apres

    @property
    def ecart(self) -> Decimal:
        return self.total - self.solde_comptable


@dataclass
class Subvention:
    date: datetime.date
    financeur: str
    objet: str
    compte: Compte
    montant: Decimal


@dataclass
class Signalement:
    """A report of the OCCE rules that remains in the exercice's books, for the CRF's annex."""

    niveau: str  # erreur or avertissement
    fichier: str  # 2025-2026.beancount, crf-2025-2026.yaml…
    ligne: int
    message: str


@dataclass
class CRF:
    exercice: Exercice
    ad: dict
    coop: dict
    charges: list[LigneCRF]
    produits: list[LigneCRF]
    actif: list[PosteBilan]
    report_a_nouveau: Decimal
    rapprochements: list[Rapprochement]
    caisse: ArreteCaisse | None
    subventions: list[Subvention]
    dossier: Dossier
    clos: bool
    genere_le: datetime.date
    errors: list[str] = field(default_factory=list)
    mandataires: list[str] = field(default_factory=list)  # in office during the exercice
    inventaire: CahierInventaire | None = None  # annex: the cahier d'inventaire at 31/08
    actions: EtatDesActions | None = None  # annex: charges and produits per project
    signalements: list[Signalement] = field(default_factory=list)  # annex: what the rules report for it

    @property
    def avertissements(self) -> list[Signalement]:
        return [s for s in self.signalements if s.niveau == AVERTISSEMENT]

    @property
    def position_etablie(self) -> bool:
        """Bank and cash established at 31/08 by a statement and a count (else provisional)."""
        cash = self.caisse
        cash_ok = cash is None or cash.a_la_fin or (cash.date is None and cash.solde_fin == ZERO)
        return all(r.a_la_fin for r in self.rapprochements) and cash_ok

    @property
    def total_charges(self) -> Decimal:
        return sum((ligne.total for ligne in self.charges), ZERO)

    @property
    def total_produits(self) -> Decimal:
        return sum((ligne.total for ligne in self.produits), ZERO)

    @property
    def resultat(self) -> Decimal:
        return self.total_produits - self.total_charges

    @property
    def total_actif(self) -> Decimal:
        return sum((p.montant for p in self.actif), ZERO)

    @property
    def total_passif(self) -> Decimal:
        return self.report_a_nouveau + self.resultat

    @property
    def equilibre(self) -> bool:
        return self.total_actif == self.total_passif

    @property
    def total_subventions(self) -> Decimal:
        return sum((s.montant for s in self.subventions), ZERO)


def _fonctionnement(books: Books, exercice: Exercice, sens: str) -> list[LigneCRF]:
    amounts: dict[str, Decimal] = {}
    for op in books.operations_of(exercice):
        for compte, value in op.ventilation:
            if compte.sens == sens:
                amounts[compte.code] = amounts.get(compte.code, ZERO) + value
    lines: dict[str, LigneCRF] = {}
    for compte in books.chart.ventilation_comptes():
        if compte.sens != sens:
            continue
        line = lines.setdefault(compte.rubrique.key, LigneCRF(compte.rubrique, []))
        if amounts.get(compte.code):
            line.comptes.append(LigneCompte(compte, amounts[compte.code]))
    return sorted(lines.values(), key=lambda line: line.rubrique.order)


def _actif(books: Books, end: datetime.date) -> list[PosteBilan]:
    postes = []
    for compte in books.chart.comptes:
        if not compte.is_treasury or compte.sous_comptes:
            continue
        amount = books.balance(compte.account, end)
        always = compte.type == "caisse" or compte.account in books.bank_accounts
        if amount or always:
            postes.append(PosteBilan(compte.libelle, amount))
    for account in books.regie_accounts:
        amount = books.balance(account, end)
        if amount:
            teacher = account.rsplit(":", 1)[-1].replace("-", " ")
            postes.append(PosteBilan(f"Régie d'avance non restituée ({teacher})", amount))
    return postes


def _report_a_nouveau(books: Books, exercice: Exercice) -> Decimal:
    """What the coop owned at the start: its funds, plus the results of earlier exercices."""
    total = ZERO
    for op in books.operations:
        for posting in op.entry.postings:
            if posting.units is None:
                continue
            compte, _ = books.chart.lookup(posting.account)
            sens = compte.sens if compte else None
            if sens == "fonds" and op.date <= exercice.end:
                total -= posting.units.number
            elif sens in ("charge", "produit") and op.date < exercice.start:
                total -= posting.units.number
    return total


@dataclass
class Bilan:
    """The CRF's bilan simplifié of an exercice: actif, and the passif it must equal."""

    actif: Decimal
    report_a_nouveau: Decimal
    resultat: Decimal

    @property
    def equilibre(self) -> bool:
        return self.actif == self.report_a_nouveau + self.resultat


def bilan(books: Books, exercice: Exercice) -> Bilan:
    """The bilan of `exercice` with the CRF's own figures (the dashboard shows the same)."""
    resultat = (sum((line.total for line in _fonctionnement(books, exercice, "produit")), ZERO)
                - sum((line.total for line in _fonctionnement(books, exercice, "charge")), ZERO))
    return Bilan(sum((p.montant for p in _actif(books, exercice.end)), ZERO),
                 _report_a_nouveau(books, exercice), resultat)


def _rapprochements(books: Books, exercice: Exercice) -> list[Rapprochement]:
    result = []
    for account in books.bank_accounts:
        if not any(op.on(account) and op.date <= exercice.end for op in books.operations):
            continue
        statement = closing_statement(books, account, exercice)
        at_end = books.balance(account, exercice.end)
        compte, _ = books.chart.lookup(account)
        libelle = compte.libelle if compte is not None else account
        if statement is None:
            result.append(Rapprochement(account, None, None, [], at_end, exercice.end, at_end, libelle=libelle))
            continue
        on = statement.date
        pending = [op for op in books.operations
                   if op.on(account) and op.date <= on
                   and (op.releve_on(account) is None or op.releve_on(account) > on)]
        pending.sort(key=lambda op: (op.date, op.lineno))
        after = sorted((op for op in books.operations
                        if op.on(account) and on < op.date <= exercice.end),
                       key=lambda op: (op.date, op.lineno))
        result.append(Rapprochement(account, on, statement.balance, pending, books.balance(account, on),
                                    exercice.end, at_end, after, libelle))
    return result


def _arrete_caisse(books: Books, exercice: Exercice) -> ArreteCaisse | None:
    if not books.caisse_account:
        return None
    counts = [c for c in books.cash_counts()
              if c.account == books.caisse_account and exercice.contains(c.date)]
    book = books.balance(books.caisse_account, exercice.end)
    if not counts:
        return ArreteCaisse(None, [], ZERO, book, exercice.end, book)
    last = counts[-1]
    lines = [LigneBilletage(DENOMINATION_LABELS[k], last.counts[k], DENOMINATIONS[k])
             for k in DENOMINATIONS if last.counts.get(k)]
    after = [op for op in books.operations_of(exercice) if op.date > last.date and op.caisse]
    return ArreteCaisse(last.date, lines, last.total, books.balance(books.caisse_account, last.date),
                        exercice.end, book, after)



def _subventions(books: Books, exercice: Exercice) -> list[Subvention]:
    result = []
    for op in books.operations_of(exercice):
        for compte, value in op.ventilation:
            if compte.rubrique.key == "subventions" and value:
                result.append(Subvention(op.date, op.payee or compte.libelle, op.narration, compte, value))
    return result


def _of_exercice(error, exercice: Exercice) -> Signalement | None:
    """The report as a line of the annex when it concerns `exercice` (its file, its records, or
    an entry dated in it), else None."""
    meta = getattr(error, "source", None) or {}
    name = Path(str(meta.get("filename") or "")).name
    entry = getattr(error, "entry", None)
    date = getattr(entry, "date", None)
    ours = name in (exercice.filename, f"crf-{exercice}.yaml", f"adhesion-{exercice}.yaml")
    if not ours and not (isinstance(date, datetime.date) and exercice.contains(date)):
        return None
    return Signalement(level_of(error), name or "coop.beancount", int(meta.get("lineno") or 0), str(error.message))


def compute_crf(source: CoopSource, exercice: Exercice,
                today: datetime.date | None = None) -> CRF:
    books = source.books
    ad = source.ad.config
    return CRF(
        exercice=exercice,
        ad=ad_identity(ad),
        coop=dict(books.identity, uai=source.uai),
        charges=_fonctionnement(books, exercice, "charge"),
        produits=_fonctionnement(books, exercice, "produit"),
        actif=_actif(books, exercice.end),
        report_a_nouveau=_report_a_nouveau(books, exercice),
        rapprochements=_rapprochements(books, exercice),
        caisse=_arrete_caisse(books, exercice),
        subventions=_subventions(books, exercice),
        dossier=load_dossier(source.coop_dir, exercice),
        clos=exercice in books.closed,
        genere_le=today or books.today,
        errors=[e.message for e in source.errors],
        mandataires=mandataires_of(source.coop_dir, exercice),
        inventaire=compute_inventaire(books, source.coop_dir, exercice, ad, today or books.today),
        actions=etat_des_actions(books, exercice),
        signalements=[s for s in (_of_exercice(e, exercice) for e in [*source.errors, *source.warnings]) if s],
    )
