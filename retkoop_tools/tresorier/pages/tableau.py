"""Tableau de bord: the coop's default page — balances and what the school calendar asks now."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import request

from retkoop_tools.checks.regles import AVERTISSEMENT, level_of
from retkoop_tools.tresorier import calendrier, status
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.rentree import opening_exercice, record_opening_balances


class TableauDeBord(_base.Page, FavaExtensionBase):
    report_title = "Tableau de bord"

    def context(self) -> dict:
        books = self.books()
        errors = [e for e in self.ledger.errors if level_of(e) != AVERTISSEMENT]
        warnings = [e.message for e in self.ledger.errors if level_of(e) == AVERTISSEMENT]
        lines = status.status_lines(books, len(errors), self.coop_dir, self.ad_config(), only=self.forced_exercice(),
                                    ledger_warnings=warnings)
        now = calendrier.period_of(books.today)
        # The current period first, then all year; another period's item shows while it is not done.
        order = [now] + [p for p in calendrier.PERIODS if p != now]
        sections = []
        for period in order:
            shown = [line for line in lines if line.period == period
                     and (period in (now, calendrier.ANNEE) or line.state in (calendrier.EN_RETARD, calendrier.A_VENIR))]
            if shown:
                sections.append((calendrier.PERIODS[period], period == now, shown))
        opening = opening_exercice(books) if self.can_write() and self.forced_exercice() is None else None
        return {
            "books": books,
            "opening": opening,
            "opening_date": self.date(max(opening.start, min(books.today, opening.end))) if opening else "",
            "opening_accounts": [(a, f"Solde {books.bank_label(a).lower() if len(books.bank_accounts) == 1 else 'du compte ' + books.bank_label(a)}")
                                 for a in books.bank_accounts] + ([(books.caisse_account, "Argent dans la caisse")]
                                                                  if books.caisse_account else []),
            "balances": status.balances(books),
            "sections": sections,
            "today": books.today,
            "previous_open": books.previous_open,
            "can_open": books.can_open_current and self.can_write() and self.forced_exercice() is None,
        }

    @extension_endpoint("ouvrir-exercice", ["POST"])
    def open_current(self):
        """Open the exercice of today's date (the rentrée), as the first operation would."""
        from retkoop_tools.tresorier.rentree import open_exercice

        books = self.books()
        if not self.can_write() or self.forced_exercice() is not None:
            result = Result()
            result.errors["general"] = "Vous ne pouvez que consulter ces comptes : l'exercice s'ouvre par le mandataire."
            return self.answer(result)
        return self.answer(open_exercice(self.store(), self.uai, books.current, self.author(), books.today))

    @extension_endpoint("soldes-depart", ["POST"])
    def opening_balances(self):
        """The bank and cash balances of a coop whose books start during the year."""
        books = self.books()
        if not self.can_write() or self.forced_exercice() is not None:
            result = Result()
            result.errors["general"] = "Vous ne pouvez que consulter ces comptes : les soldes se donnent par le mandataire."
            return self.answer(result)
        accounts = [*books.bank_accounts, *([books.caisse_account] if books.caisse_account else [])]
        return self.answer(record_opening_balances(self.store(), self.uai, books, date_text=request.form.get("date", ""),
                                                   amounts={a: request.form.get(a, "") for a in accounts},
                                                   author=self.author()))
