"""Pointage: a bank statement, its balance, and the operations ticked on it."""

from __future__ import annotations

import datetime

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import request

from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.pages import _base


class Pointage(_base.Page, FavaExtensionBase):
    report_title = "Pointage"

    def context(self) -> dict:
        books = self.books()
        account = request.args.get("compte") or (books.bank_accounts[0] if books.bank_accounts else "")
        statements = books.statements(account)
        last = statements[-1] if statements else None
        default = books.default_date()
        return {
            "books": books,
            "account": account,
            "statements": statements[-6:],
            "last": last,
            "ticked_before": books.ticked_total(account, datetime.date.max),
            "unticked": books.unticked(account),
            "default_date": self.date(default) if default else "",
        }

    @extension_endpoint("enregistrer", ["POST"])
    def save(self):
        result = actions.record_statement(
            self.store(), self.uai, self.books(), date_text=request.form.get("date", ""),
            balance_text=request.form.get("solde", ""), ticked=request.form.getlist("operations"),
            author=self.author(), account=request.form.get("compte") or None,
            upload=self.upload("document"))
        return self.answer(result)
