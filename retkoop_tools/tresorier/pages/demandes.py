"""Écrire à l'AD: the mandataire signals a change of mandataire or of the school's details, and
follows each request (the AD's answers, its validation) on the same page."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import request

from retkoop_tools.contacts import contacts_html, contacts_of
from retkoop_tools.demandes import actions
from retkoop_tools.demandes.model import (
    TYPES,
    VALIDEE,
    DemandeError,
    load_demandes,
    next_rentree,
)
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.pages import _base


class Demandes(_base.Page, FavaExtensionBase):
    report_title = "Écrire à l'AD"

    def allowed(self) -> bool:
        """The coop's mandataire and the AD's team; a vérificateur does not see the requests."""
        return self.forced_exercice() is None

    def context(self) -> dict:
        today = self.books().today
        try:
            demandes, error = load_demandes(self.coop_dir), ""
        except DemandeError as exc:
            demandes, error = [], str(exc)
        contacts, _ = contacts_of(self.ad_root)
        details = next((d for d in reversed(demandes) if d.type == "coordonnees" and d.statut == VALIDEE), None)
        asked = request.args.get("objet", "")
        return {
            "allowed": self.allowed(),
            "can_write": self.can_write() and self.allowed(),
            "demandes": list(reversed(demandes)),
            "error": error,
            "types": TYPES,
            "open_kinds": {d.type for d in demandes if d.is_open},
            "rentree": self.date(next_rentree(today)),
            "identity": self.books().identity,
            "details": details,
            "contacts": contacts_html(contacts),
            "objet": asked if asked in TYPES else "",
        }

    def _refused(self) -> Result | None:
        if not self.can_write() or not self.allowed():
            return Result(errors={"general": "Votre compte ne peut que consulter : seul le mandataire écrit à l'AD."})
        return None

    @extension_endpoint("envoyer", ["POST"])
    def send(self):
        refused = self._refused()
        if refused:
            return self.answer(refused)
        kind = request.form.get("type", "")
        return self.answer(actions.send(self.store(), self.uai, kind, request.form, self.author(), self.books().today))

    @extension_endpoint("completer", ["POST"])
    def add_note(self):
        refused = self._refused()
        if refused:
            return self.answer(refused)
        try:
            numero = int(request.form.get("numero", ""))
        except ValueError:
            return self.answer(Result(errors={"general": "Demande inconnue."}))
        return self.answer(actions.add_note(self.store(), self.uai, numero, request.form.get("texte", ""),
                                            self.author()))
