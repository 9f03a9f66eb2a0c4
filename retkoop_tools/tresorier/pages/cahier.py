"""Cahier: the exercice's operations in the columns of the paper cahier, with running balances."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from fava.ext import FavaExtensionBase
from flask import request

from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.tresorier.books import KIND_LABELS, Books, Operation
from retkoop_tools.tresorier.pages import _base


@dataclass
class BankColumn:
    """One of the coop's bank accounts as a column group of the cahier."""

    account: str
    label: str  # "Banque", "Chèques postaux": the chart's name


@dataclass
class Row:
    op: Operation
    kind_label: str
    bank_balances: dict[str, Decimal]  # per bank account, after the operation
    caisse_balance: Decimal
    by_rubrique: dict[str, Decimal] = field(default_factory=dict)


def bank_columns(books: Books) -> list[BankColumn]:
    """The cahier's bank columns: one per bank account of the coop (512, 514, or both)."""
    return [BankColumn(a, books.bank_short_label(a)) for a in books.bank_accounts]


def cahier_rows(books: Books, exercice: Exercice) -> tuple[list[Row], list, dict]:
    """The rows, the ventilation columns (CRF lines used), and the opening balances
    (`banks`: per bank account; `caisse`)."""
    day_before = exercice.start - datetime.timedelta(days=1)
    opening = {"banks": {a: books.balance(a, day_before) for a in books.bank_accounts},
               "caisse": books.balance(books.caisse_account, day_before) if books.caisse_account else Decimal(0)}
    banks, caisse = dict(opening["banks"]), opening["caisse"]
    rows, used = [], {}
    for op in books.operations_of(exercice):
        for account in banks:
            banks[account] += op.on(account)
        caisse += op.caisse
        row = Row(op, KIND_LABELS.get(op.kind, ""), dict(banks), caisse)
        for compte, value in op.ventilation:
            row.by_rubrique[compte.rubrique.key] = row.by_rubrique.get(compte.rubrique.key, Decimal(0)) + value
            used[compte.rubrique.key] = compte.rubrique
        rows.append(row)
    columns = sorted(used.values(), key=lambda r: (r.sens != "charge", r.order))
    return rows, columns, opening


class Cahier(_base.Page, FavaExtensionBase):
    report_title = "Cahier"

    def context(self) -> dict:
        books = self.books()
        exercice = books.current
        if exercice not in books.exercices and books.open_exercices:  # the rentrée, before its first operation
            exercice = books.open_exercices[-1]
        asked = request.args.get("exercice")
        if asked:
            try:
                exercice = Exercice.parse(asked)
            except InvalidExerciceError:
                pass
        exercice = self.forced_exercice() or exercice
        if exercice is None:
            return {"books": books, "exercice": None}
        books = self.books_for(exercice)  # a closed exercice: loaded on demand
        rows, columns, opening = cahier_rows(books, exercice)
        banks = bank_columns(books)
        totals = {
            "banks": {b.account: (sum((r.op.on(b.account) for r in rows if r.op.on(b.account) > 0), Decimal(0)),
                                  -sum((r.op.on(b.account) for r in rows if r.op.on(b.account) < 0), Decimal(0)))
                      for b in banks},
            "caisse_in": sum((r.op.caisse for r in rows if r.op.caisse > 0), Decimal(0)),
            "caisse_out": -sum((r.op.caisse for r in rows if r.op.caisse < 0), Decimal(0)),
            "cheques": sum((r.op.cheques for r in rows), Decimal(0)),  # received, not deposited yet
            "rubriques": {c.key: sum((r.by_rubrique.get(c.key, Decimal(0)) for r in rows), Decimal(0))
                          for c in columns},
        }
        return {"books": books, "exercice": exercice, "rows": rows, "columns": columns, "banks": banks,
                "opening": opening, "totals": totals, "filtre": request.args.get("filtre", ""),
                "closed": exercice in books.closed,
                "exercices": [] if self.forced_exercice() else books.exercices}
