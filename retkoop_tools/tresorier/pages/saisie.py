"""Saisie: the everyday operations in one form (recette, dépense, virement, remise, régie)."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import request

from retkoop_tools.ledger.conventions import MODES
from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.books import KIND_LABELS
from retkoop_tools.tresorier.operations import (
    BANK_TO_BANK,
    BANK_TO_CAISSE,
    CAISSE_TO_BANK,
    KINDS,
    Form,
    form_from_operation,
    suggestions,
)
from retkoop_tools.tresorier.pages import _base


class Saisie(_base.Page, FavaExtensionBase):
    report_title = "Saisie"

    def context(self) -> dict:
        books = self.books()
        kind = request.args.get("type", "depense")
        kind = kind if kind in KINDS else "depense"
        values: dict = {"type": kind, "lignes": [], "cheques": []}
        correcting = None
        op_id = request.args.get("modifier")
        if op_id:
            correcting = books.get(op_id)
            if correcting is not None:
                values = form_from_operation(books, correcting)
        if correcting is None:
            default = books.default_date()
            values.update(suggestions(books, kind))
            values["date"] = self.date(default) if default else ""
        groups: dict[str, list] = {}
        for compte in books.chart.ventilation_comptes():
            groups.setdefault(f"{compte.rubrique.libelle} ({'charges' if compte.sens == 'charge' else 'produits'})",
                              []).append(compte)
        return {
            "books": books,
            "form": values,
            "correcting": correcting,
            "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
            "modes": MODES,
            "groups": groups,
            "sens": [(CAISSE_TO_BANK, "De la caisse vers la banque (dépôt d'espèces)"),
                     (BANK_TO_CAISSE, "De la banque vers la caisse (retrait d'espèces)")]
                    + ([(BANK_TO_BANK, "D'un compte bancaire à l'autre")] if len(books.bank_accounts) > 1 else []),
            "pending": books.pending_cheques() + [op for i in values.get("cheques", []) if (op := books.get(i))],
            "regies": books.regies(),
            "suggest": {k: suggestions(books, k) for k in KINDS}
                       | {"virement-" + sens: suggestions(books, "virement", sens) for sens in (BANK_TO_CAISSE, BANK_TO_BANK)},
            "numbering": books.numbering,
        }

    @extension_endpoint("enregistrer", ["POST"])
    def save(self):
        form = Form.from_multidict(request.form)
        result = actions.save_operation(self.store(), self.uai, self.books(), form, self.author(),
                                        self.upload("justificatif"))
        return self.answer(result)

    @extension_endpoint("supprimer", ["POST"])
    def delete(self):
        result = actions.delete_operation(self.store(), self.uai, self.books(),
                                          (request.form.get("id") or "").strip(), self.author())
        return self.answer(result)
