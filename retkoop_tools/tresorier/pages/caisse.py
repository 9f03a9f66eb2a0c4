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
        today = books.default_date()
        account = books.caisse_account or ""
        done = books.counted_on(today)
        comptes = actions.ecart_comptes(books, self.ad_config())
        return {
            "books": books,
            "denominations": [(k, LABELS[k], DENOMINATIONS[k]) for k in DENOMINATIONS],
            # A day already counted is not proposed again: the page says so.
            "default_date": "" if done else self.date(today),
            "today_count": done,
            "book": books.balance(account, today) if account else 0,
            "counts": books.cash_counts()[-5:],
            "ecart_comptes": comptes,
        }

    @extension_endpoint("solde", ["GET"])
    def book_balance(self):
        """The caisse's book balance at the end of a day (the form asks when the date changes),
        and whether that day was counted already."""
        books = self.books()
        try:
            date = parse_date(request.args.get("date", ""))
        except ValueError as exc:
            return jsonify({"ok": False, "erreur": str(exc)})
        done = books.counted_on(date)
        return jsonify({"ok": True, "solde": str(books.balance(books.caisse_account or "", date)),
                        "deja": (f"La caisse a déjà été comptée le {self.date(date)} "
                                 f"({self.eur(done.total)} comptés) : un arrêté par jour.") if done else ""})

    @extension_endpoint("enregistrer", ["POST"])
    def save(self):
        result = actions.record_cash_count(self.store(), self.uai, self.books(),
                                           date_text=request.form.get("date", ""),
                                           counts={k: request.form.get(k, "") for k in DENOMINATIONS},
                                           author=self.author(), ecart=request.form.get("ecart") == "oui",
                                           ad_config=self.ad_config())
        return self.answer(result)
