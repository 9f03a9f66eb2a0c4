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
class Row:
    op: Operation
    kind_label: str
    bank_balance: Decimal
    caisse_balance: Decimal
    by_rubrique: dict[str, Decimal] = field(default_factory=dict)


def cahier_rows(books: Books, exercice: Exercice) -> tuple[list[Row], list, dict]:
    """The rows, the ventilation columns (CRF lines used), and the opening balances."""
    bank_accounts = set(books.bank_accounts)
    day_before = exercice.start - datetime.timedelta(days=1)
    opening = {"bank": books.balance(list(bank_accounts), day_before),
               "caisse": books.balance(books.caisse_account, day_before) if books.caisse_account else Decimal(0)}
    bank, caisse = opening["bank"], opening["caisse"]
    rows, used = [], {}
    for op in books.operations_of(exercice):
        bank += op.bank
        caisse += op.caisse
        row = Row(op, KIND_LABELS.get(op.kind, ""), bank, caisse)
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
        rows, columns, opening = cahier_rows(books, exercice)
        totals = {
            "bank_in": sum((r.op.bank for r in rows if r.op.bank > 0), Decimal(0)),
            "bank_out": -sum((r.op.bank for r in rows if r.op.bank < 0), Decimal(0)),
            "caisse_in": sum((r.op.caisse for r in rows if r.op.caisse > 0), Decimal(0)),
            "caisse_out": -sum((r.op.caisse for r in rows if r.op.caisse < 0), Decimal(0)),
            "cheques": sum((r.op.cheques for r in rows), Decimal(0)),  # received, not deposited yet
            "rubriques": {c.key: sum((r.by_rubrique.get(c.key, Decimal(0)) for r in rows), Decimal(0))
                          for c in columns},
        }
        return {"books": books, "exercice": exercice, "rows": rows, "columns": columns,
                "opening": opening, "totals": totals, "filtre": request.args.get("filtre", ""),
                "closed": exercice in books.closed,
                "exercices": [] if self.forced_exercice() else books.exercices}
