"""Tableau de bord: the coop's default page — balances and what needs doing."""

from __future__ import annotations

from fava.ext import FavaExtensionBase

from retkoop_tools.tresorier import status
from retkoop_tools.tresorier.pages import _base


class TableauDeBord(_base.Page, FavaExtensionBase):
    report_title = "Tableau de bord"

    def context(self) -> dict:
        books = self.books()
        errors = len(self.ledger.errors)
        return {
            "books": books,
            "balances": status.balances(books),
            "lines": status.status_lines(books, errors, self.coop_dir, self.ad_config(),
                                         only=self.forced_exercice()),
        }
