"""Adhésion: the mandataire declares the classes, sees the amount, downloads the bulletin and
the attestation; the AD validates; the payment is booked as one expense (6281 + 6168)."""

from __future__ import annotations

import dataclasses
import json

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import abort, jsonify, request

from retkoop_tools.adhesion import actions, documents
from retkoop_tools.adhesion.model import (
    NIVEAUX,
    AdhesionError,
    Declaration,
    compute,
    load_declaration,
    parse_form,
    tarifs,
)
from retkoop_tools.inventaire.model import InventaireError, load_inventaire
from retkoop_tools.ledger.conventions import MODES
from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.pages.fin import PDF, download


class Adhesion(_base.Page, FavaExtensionBase):
    report_title = "Adhésion"

    def exercice(self) -> Exercice:
        """?exercice=, else the school year of today when the AD published its rates, else
        the exercice being kept."""
        forced = self.forced_exercice()
        if forced is not None:  # a vérificateur reads the year they check, nothing else
            return forced
        asked = request.args.get("exercice") or request.form.get("exercice")
        if asked:
            try:
                return Exercice.parse(asked)
            except InvalidExerciceError:
                abort(404)
        books = self.books()
        this_year = Exercice.of_date(books.today)
        if str(this_year) in ((self.ad_config().get("adhesion") or {})):
            return this_year
        return books.current or this_year

    def is_ad(self) -> bool:
        user = self.user
        return True if user is None else bool(user.is_ad)

    def declaration(self, exercice: Exercice) -> Declaration | None:
        try:
            return load_declaration(self.coop_dir, exercice)
        except AdhesionError:
            return None

    def context(self) -> dict:
        exercice = self.exercice()
        config = self.ad_config()
        try:
            rates = tarifs(config, exercice)
            rates_error = ""
        except AdhesionError as exc:
            rates, rates_error = None, str(exc)
        declaration = self.declaration(exercice)
        # A new declaration starts from last year's classes.
        forced = self.forced_exercice()
        form = declaration or (None if forced else self.declaration(exercice.previous())) or Declaration(exercice)
        classes = list(form.classes) + [None] * max(2, 8 - len(form.classes))
        books = self.books()
        # The value of the goods to insure: the cahier d'inventaire's, today (a vérificateur:
        # at the end of their exercice, nothing later).
        day = min(books.today, forced.end) if forced else books.today
        try:
            register = load_inventaire(self.coop_dir).au(day)
            goods = (register.valeur(day), len(register.presents(day)))
        except InventaireError:
            goods = None
        if declaration is None and goods and goods[1]:
            form = dataclasses.replace(form, biens=goods[0])
        return {
            "goods": goods,
            "exercice": exercice,
            "years": [exercice] if forced else sorted({exercice, *(Exercice.parse(y) for y in
                                                                   (config.get("adhesion") or {}) if _is_year(y))}),
            "rates": rates,
            "rates_error": rates_error,
            "rates_json": json.dumps({k: float(getattr(rates, k)) for k in
                                      ("eleve", "adulte", "assurance", "revue", "seuil_biens", "coefficient_biens")})
            if rates else "null",
            "declaration": declaration,
            "form": form,
            "classes": classes,
            "niveaux": NIVEAUX,
            "amounts": compute(declaration, rates) if declaration and rates else None,
            "can_write": self.can_write() and self.forced_exercice() is None,
            "is_ad": self.is_ad() and self.can_write(),
            "modes": {m: MODES[m] for m in actions.PAYMENT_MODES},
            "default_date": self.date(books.default_date()) if books.default_date() else "",
            "books": books,
        }

    @extension_endpoint("declarer", ["POST"])
    def declare(self):
        f = request.form
        declaration, errors = parse_form(
            self.exercice(), f.getlist("niveau"), f.getlist("enseignant"), f.getlist("eleves"),
            f.getlist("adultes"), revue=f.get("revue") == "oui", biens=f.get("biens", ""),
            participation=f.get("participation", ""), mandataire=f.get("mandataire", ""),
            engagement=f.get("engagement") == "oui")
        if errors:
            return self.answer(Result(errors=errors))
        return self.answer(actions.declare(self.store(), self.uai, declaration, self.author()))

    @extension_endpoint("valider", ["POST"])
    def validate(self):
        if not self.is_ad():
            return self.answer(Result(errors={"general": "Seule l'AD valide les adhésions."}))
        return self.answer(actions.validate(self.store(), self.uai, self.exercice(), self.author()))

    @extension_endpoint("payer", ["POST"])
    def pay(self):
        return self.answer(actions.record_payment(
            self.store(), self.uai, self.exercice(), self.author(), date_text=request.form.get("date", ""),
            mode=request.form.get("mode", ""), cheque=request.form.get("cheque", ""), today=self.books().today,
            bank=(request.form.get("banque") or "").strip()))

    @extension_endpoint("pdf", ["GET"])
    def pdf(self):
        exercice = self.exercice()
        declaration = self.declaration(exercice)
        if declaration is None:
            return _error(404, f"Aucune adhésion n'est déclarée pour {exercice} : déclarez d'abord les classes "
                               "sur la page Adhésion.")
        kind = request.args.get("document", "bulletin")
        render = documents.attestation if kind == "attestation" else documents.bulletin
        coop = dict(self.books().identity, uai=self.uai)
        try:
            content = render(self.ad_config(), coop, declaration)
        except AdhesionError as exc:
            return _error(409, str(exc))  # the portal shows it as a page when the link is opened
        return download(content, f"{kind}-adhesion-{self.uai}-{exercice}.pdf", PDF)


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _is_year(name) -> bool:
    try:
        Exercice.parse(str(name))
        return True
    except InvalidExerciceError:
        return False
