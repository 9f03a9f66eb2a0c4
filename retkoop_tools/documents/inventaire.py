"""The cahier d'inventaire of an exercice as plain data (page, PDF, CRF annex).

The cahier itself is `inventaire.yaml` (`retkoop_tools.inventaire.model`); this is what it
says at the end of an exercice (or today, for the exercice in progress): the goods held and
their value, those that came in and went out during the exercice, the durable-goods purchases
of the fonctionnement still to enter, and the value declared at the adhésion for the insurance.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from retkoop_tools.inventaire.model import (
    Bien,
    Inventaire,
    InventaireError,
    Proposition,
    load_inventaire,
    purchases,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import ZERO, Books


@dataclass
class CahierInventaire:
    exercice: Exercice
    arrete: datetime.date  # the day the cahier is read at: 31/08, or today during the exercice
    biens: list[Bien]  # every good entered by then, by number
    a_traiter: list[Proposition]  # the exercice's purchases neither entered nor dismissed
    achats: Decimal  # the exercice's durable-goods purchases (CRF fonctionnement)
    declare: Decimal | None = None  # value declared at the exercice's adhésion
    seuil: Decimal | None = None  # insured without extra charge up to…
    erreur: str = ""  # the file is unreadable
    inscrits: Decimal = ZERO  # of `achats`: the purchases entered in the cahier…
    ecartes: Decimal = ZERO  # …and those dismissed (the rest is `a_traiter`)

    @property
    def presents(self) -> list[Bien]:
        return [b for b in self.biens if b.present_le(self.arrete)]

    @property
    def valeur(self) -> Decimal:
        return sum((b.valeur for b in self.presents), ZERO)

    @property
    def entrees(self) -> list[Bien]:
        return [b for b in self.biens if self.exercice.contains(b.date)]

    @property
    def sorties(self) -> list[Bien]:
        return [b for b in self.biens if b.sortie is not None and self.exercice.contains(b.sortie.date)]

    @property
    def total_a_traiter(self) -> Decimal:
        return sum((p.origine.montant for p in self.a_traiter), ZERO)


def compute_inventaire(books: Books, coop_dir: Path, exercice: Exercice, ad_config: dict | None = None,
                       today: datetime.date | None = None, au: datetime.date | None = None) -> CahierInventaire:
    """The cahier read at the end of `exercice` (today while it lasts), or at `au`."""
    today = today or books.today
    arrete = au or min(exercice.end, today)
    erreur = ""
    try:
        inventaire = load_inventaire(coop_dir)
    except InventaireError as exc:
        inventaire, erreur = Inventaire(), str(exc)
    seen = inventaire.au(arrete)
    declare = seuil = None
    from retkoop_tools.adhesion.model import AdhesionError, load_declaration, tarifs

    try:
        declaration = load_declaration(coop_dir, exercice)
        declare = declaration.biens if declaration is not None else None
    except AdhesionError:
        declare = None
    try:
        seuil = tarifs(ad_config or {}, exercice).seuil_biens
    except AdhesionError:
        seuil = None
    entered = {b.origine.cle for b in inventaire.biens if b.origine is not None}
    dismissed = {e.origine.cle for e in inventaire.ecartees}
    bought = purchases(books, exercice)
    return CahierInventaire(
        exercice, arrete, sorted(seen.biens, key=lambda b: b.numero),
        [p for p in bought if p.id not in entered | dismissed], sum((p.origine.montant for p in bought), ZERO),
        declare, seuil, erreur,
        inscrits=sum((p.origine.montant for p in bought if p.id in entered), ZERO),
        ecartes=sum((p.origine.montant for p in bought if p.id in dismissed and p.id not in entered), ZERO))


def inventaire_html(cahier: CahierInventaire, ad: dict, coop: dict, genere_le: datetime.date,
                    mandataires: list[str] | None = None) -> str:
    from retkoop_tools.documents.render import render_html

    return render_html("inventaire.html", cahier=cahier, ad=ad, coop=coop, genere_le=genere_le,
                       mandataires=mandataires or [])
