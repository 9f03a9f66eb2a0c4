"""État des actions: the exercice's charges and produits per project (the Saisie's « Projet »),
a sortable table and its CSV export."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import abort, request

from retkoop_tools.documents.projets import detail_csv, etat_des_actions, summary_csv
from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.pages.fin import download

CSV = "text/csv; charset=utf-8"


class EtatDesActions(_base.Page, FavaExtensionBase):
    report_title = "État des actions"

    def exercice(self) -> Exercice | None:
        """?exercice=, else today's exercice, else the coop's latest; a vérificateur's own."""
        forced = self.forced_exercice()
        if forced is not None:
            return forced
        books = self.books()
        asked = request.args.get("exercice")
        if asked:
            try:
                exercice = Exercice.parse(asked)
            except InvalidExerciceError:
                abort(404)
            if exercice not in books.exercices:
                abort(404)
            return exercice
        if books.current in books.exercices:
            return books.current
        return books.exercices[-1] if books.exercices else None

    def context(self) -> dict:
        books = self.books()
        exercice = self.exercice()
        if exercice is None:
            return {"exercice": None, "books": books}
        return {"books": books, "exercice": exercice, "etat": etat_des_actions(books, exercice),
                "exercices": [] if self.forced_exercice() else books.exercices,
                "closed": exercice in books.closed}

    @extension_endpoint("csv", ["GET"])
    def csv(self):
        exercice = self.exercice()
        if exercice is None:
            abort(404)
        etat = etat_des_actions(self.books(), exercice)
        if request.args.get("detail") == "comptes":
            return download(detail_csv(etat), f"etat-des-actions-comptes-{self.uai}-{exercice}.csv", CSV)
        return download(summary_csv(etat), f"etat-des-actions-{self.uai}-{exercice}.csv", CSV)
