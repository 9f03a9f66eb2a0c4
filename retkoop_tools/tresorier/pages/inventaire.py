"""Inventaire: the cahier d'inventaire — the durable goods purchases proposed from the books,
confirmed or dismissed by the mandataire, goods added by hand, disposals, and its PDF."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import abort, request

from retkoop_tools.documents.inventaire import compute_inventaire, inventaire_html
from retkoop_tools.documents.mandataires import mandataires_of
from retkoop_tools.documents.render import html_to_pdf
from retkoop_tools.documents.source import ad_identity
from retkoop_tools.inventaire import actions
from retkoop_tools.inventaire.model import Inventaire as Register
from retkoop_tools.inventaire.model import (
    InventaireError,
    load_inventaire,
    propositions,
)
from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.pages.fin import PDF, download


class Inventaire(_base.Page, FavaExtensionBase):
    report_title = "Inventaire"

    def latest(self) -> Exercice | None:
        """The exercice the cahier is read at by default: today's, else the coop's latest."""
        books = self.books()
        if books.current in books.exercices:
            return books.current
        return books.exercices[-1] if books.exercices else None

    def exercice(self) -> Exercice | None:
        forced = self.forced_exercice()
        if forced is not None:  # a vérificateur reads the cahier as it stood in their exercice
            return forced
        asked = request.args.get("exercice")
        if asked:
            try:
                exercice = Exercice.parse(asked)
            except InvalidExerciceError:
                abort(404)
            if exercice not in self.books().exercices:
                abort(404)
            return exercice
        return self.latest()

    def writable(self) -> bool:
        return self.can_write() and self.forced_exercice() is None

    def context(self) -> dict:
        books = self.books()
        exercice = self.exercice()
        if exercice is None:
            return {"exercice": None, "books": books}
        live = exercice == self.latest() and self.forced_exercice() is None
        # The latest exercice shows the cahier as it is today (at the rentrée, before the new
        # exercice has its file, goods entered since 1 September too); another, as it stood then.
        cahier = compute_inventaire(books, self.coop_dir, exercice, self.ad_config(), books.today,
                                    au=books.today if live else None)
        try:
            inventaire = load_inventaire(self.coop_dir)
        except InventaireError:
            inventaire = Register()
        if self.forced_exercice() is not None:
            proposed = cahier.a_traiter
        else:  # every open exercice's (the rentrée: last year's too), and the one looked at
            proposed = propositions(books, inventaire, list(books.open_exercices) + [exercice])
        shown = inventaire.au(cahier.arrete)
        return {
            "books": books,
            "exercice": exercice,
            "exercices": [] if self.forced_exercice() else books.exercices,
            "cahier": cahier,
            "propositions": proposed,
            "ecartees": [e for e in shown.ecartees if e.origine.exercice == str(exercice)],
            "live": live,
            "can_write": self.writable() and live,
            "today": self.date(books.today),
        }

    # -- the PDF (GET) -------------------------------------------------------------------------
    @extension_endpoint("pdf", ["GET"])
    def pdf(self):
        books = self.books()
        exercice = self.exercice()
        if exercice is None:
            abort(404)
        cahier = compute_inventaire(books, self.coop_dir, exercice, self.ad_config(), books.today)
        html = inventaire_html(cahier, ad_identity(self.ad_config()), dict(books.identity, uai=self.uai),
                               books.today, mandataires_of(self.coop_dir, exercice))
        return download(html_to_pdf(html), f"inventaire-{self.uai}-{exercice}.pdf", PDF)

    # -- actions (POST) ------------------------------------------------------------------------
    def _refused(self):
        result = Result()
        result.errors["general"] = "Vous ne pouvez que consulter le cahier d'inventaire."
        return self.answer(result)

    def _form(self) -> dict[str, str]:
        return {k: v for k, v in request.form.items()}

    @extension_endpoint("inscrire", ["POST"])
    def confirm(self):
        if not self.writable():
            return self._refused()
        books = self.books()
        return self.answer(actions.confirm(self.store(), self.uai, books, request.form.get("proposition", ""),
                                           self._form(), self.author(), books.today))

    @extension_endpoint("ecarter", ["POST"])
    def dismiss(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.dismiss(self.store(), self.uai, self.books(),
                                           request.form.get("proposition", ""), self.author()))

    @extension_endpoint("reprendre", ["POST"])
    def restore(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.restore(self.store(), self.uai, request.form.get("proposition", ""),
                                           self.author()))

    @extension_endpoint("ajouter", ["POST"])
    def add(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.add(self.store(), self.uai, self._form(), self.author(), self.books().today))

    @extension_endpoint("corriger", ["POST"])
    def edit(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.edit(self.store(), self.uai, request.form.get("numero", ""), self._form(),
                                        self.author(), self.books().today))

    @extension_endpoint("sortir", ["POST"])
    def dispose(self):
        if not self.writable():
            return self._refused()
        books = self.books()
        return self.answer(actions.dispose(self.store(), self.uai, books, request.form.get("numero", ""),
                                           self._form(), self.author(), books.today))

    @extension_endpoint("annuler-sortie", ["POST"])
    def cancel_disposal(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.cancel_disposal(self.store(), self.uai, self.books(),
                                                   request.form.get("numero", ""), self.author()))

    @extension_endpoint("retirer", ["POST"])
    def remove(self):
        if not self.writable():
            return self._refused()
        return self.answer(actions.remove(self.store(), self.uai, request.form.get("numero", ""), self.author()))
