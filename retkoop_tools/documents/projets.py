"""The « État des actions »: the exercice's charges and produits per project, and its result.

A project is what the Saisie page's « Projet » field writes: a tag on the operation
(`#classe-verte`). Every ventilated line of the exercice is counted once: an operation without
a project goes to « Hors projet », one the editor gave several tags to goes to those projects
together (« jardin + kermesse »), so that the projects add up to the CRF's fonctionnement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from retkoop_tools.chart import Compte, Rubrique
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import csv_bytes
from retkoop_tools.tresorier.books import ZERO, Books

HORS_PROJET = "Hors projet"


@dataclass
class LigneProjet:
    """One CRF line of a project, with its accounts."""

    rubrique: Rubrique
    comptes: dict[str, tuple[Compte, Decimal]] = field(default_factory=dict)  # code → (account, amount)

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.comptes.values()), ZERO)

    @property
    def par_compte(self) -> list[tuple[Compte, Decimal]]:
        return sorted(self.comptes.values(), key=lambda item: item[0].code)


@dataclass
class Projet:
    nom: str  # the tag(s), or HORS_PROJET
    tags: tuple[str, ...]
    operations: int = 0
    lignes: dict[str, LigneProjet] = field(default_factory=dict)  # rubrique key → line

    def _add(self, compte: Compte, amount: Decimal) -> None:
        line = self.lignes.setdefault(compte.rubrique.key, LigneProjet(compte.rubrique))
        _, before = line.comptes.get(compte.code, (compte, ZERO))
        line.comptes[compte.code] = (compte, before + amount)

    def _of(self, sens: str) -> list[LigneProjet]:
        return sorted((line for line in self.lignes.values() if line.rubrique.sens == sens),
                      key=lambda line: line.rubrique.order)

    @property
    def charges(self) -> list[LigneProjet]:
        return self._of("charge")

    @property
    def produits(self) -> list[LigneProjet]:
        return self._of("produit")

    @property
    def total_charges(self) -> Decimal:
        return sum((line.total for line in self.charges), ZERO)

    @property
    def total_produits(self) -> Decimal:
        return sum((line.total for line in self.produits), ZERO)

    @property
    def resultat(self) -> Decimal:
        return self.total_produits - self.total_charges

    @property
    def hors_projet(self) -> bool:
        return not self.tags


@dataclass
class EtatDesActions:
    exercice: Exercice
    projets: list[Projet]  # by name, « Hors projet » last

    @property
    def total_charges(self) -> Decimal:
        return sum((p.total_charges for p in self.projets), ZERO)

    @property
    def total_produits(self) -> Decimal:
        return sum((p.total_produits for p in self.projets), ZERO)

    @property
    def resultat(self) -> Decimal:
        return self.total_produits - self.total_charges

    @property
    def avec_projet(self) -> list[Projet]:
        return [p for p in self.projets if not p.hors_projet]


def etat_des_actions(books: Books, exercice: Exercice) -> EtatDesActions:
    """Charges and produits of the exercice, per project (CRF sign: both positive)."""
    projets: dict[tuple[str, ...], Projet] = {}
    for op in books.operations_of(exercice):
        if not op.ventilation:
            continue
        tags = tuple(op.tags)
        projet = projets.get(tags)
        if projet is None:
            projet = projets[tags] = Projet(" + ".join(tags) if tags else HORS_PROJET, tags)
        projet.operations += 1
        for compte, value in op.ventilation:
            projet._add(compte, value)
    ordered = sorted(projets.values(), key=lambda p: (p.hors_projet, p.nom))
    return EtatDesActions(exercice, ordered)


SUMMARY_COLUMNS = ("Projet", "Opérations", "Charges", "Produits", "Résultat")
DETAIL_COLUMNS = ("Projet", "Sens", "Ligne du CRF", "Compte", "Intitulé du compte", "Montant")


def summary_csv(etat: EtatDesActions) -> bytes:
    """One row per project, then the total: French Excel CSV."""
    rows = [(p.nom, p.operations, p.total_charges, p.total_produits, p.resultat) for p in etat.projets]
    rows.append(("Total", sum(p.operations for p in etat.projets), etat.total_charges, etat.total_produits,
                 etat.resultat))
    return csv_bytes(SUMMARY_COLUMNS, rows)


def detail_csv(etat: EtatDesActions) -> bytes:
    """One row per project and account (a spreadsheet's pivot table does the rest)."""
    rows = []
    for projet in etat.projets:
        for sens, lines in (("Charge", projet.charges), ("Produit", projet.produits)):
            for line in lines:
                for compte, amount in line.par_compte:
                    rows.append((projet.nom, sens, line.rubrique.libelle, compte.code, compte.libelle, amount))
    return csv_bytes(DETAIL_COLUMNS, rows)
