"""Arrêté de caisse: count the notes and coins; Bravo when the count equals the books."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import jsonify, request

from retkoop_tools.ledger.conventions import DENOMINATIONS
from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.parsing import parse_date

LABELS = {key: (f"Billet de {int(v)} €" if key.startswith("b") else
                f"Pièce de {int(v)} €" if key.startswith("p") else
                f"Pièce de {int(v * 100)} c") for key, v in DENOMINATIONS.items()}


class ArreteDeCaisse(_base.Page, FavaExtensionBase):
    report_title = "Arrêté de caisse"

    def context(self) -> dict:
        books = self.books()
        default = books.default_date()
        account = books.caisse_account or ""
        return {
            "books": books,
            "denominations": [(k, LABELS[k], DENOMINATIONS[k]) for k in DENOMINATIONS],
            "default_date": self.date(default) if default else "",
            "book": books.balance(account, default) if default and account else 0,
            "counts": books.cash_counts()[-5:],
        }

    @extension_endpoint("solde", ["GET"])
    def book_balance(self):
        """The caisse's book balance at the end of a day (the form asks when the date changes)."""
        books = self.books()
        try:
            date = parse_date(request.args.get("date", ""))
        except ValueError as exc:
            return jsonify({"ok": False, "erreur": str(exc)})
        return jsonify({"ok": True, "solde": str(books.balance(books.caisse_account or "", date))})

    @extension_endpoint("enregistrer", ["POST"])
    def save(self):
        result = actions.record_cash_count(self.store(), self.uai, self.books(),
                                           date_text=request.form.get("date", ""),
                                           counts={k: request.form.get(k, "") for k in DENOMINATIONS},
                                           author=self.author())
        return self.answer(result)
