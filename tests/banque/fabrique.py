"""Statements made from a coop's books, the way a bank would print them (for the demo AD)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from retkoop_tools.tresorier.books import Books


def fr(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def statement_from_books(books: Books, end: datetime.date, extra: list[tuple[datetime.date, str, Decimal]],
                         leave_out: int = 1) -> tuple[bytes, Decimal, list]:
    """A Crédit Agricole CSV of the unticked bank operations up to `end`, minus the last
    `leave_out` (not cashed yet), plus `extra` lines missing from the cahier.

    Returns (file content, closing balance, the operations on it)."""
    account = books.bank_accounts[0]
    previous = books.statements(account)[-1]
    ops = [op for op in books.unticked(account) if op.date <= end and op.kind != "ouverture"]
    ops = ops[: len(ops) - leave_out] if leave_out else ops
    lines = []
    for op in ops:
        label = (f"CHEQUE {op.cheque}" if op.mode == "CHQ" and op.bank < 0 and op.cheque
                 else f"{ {'CB': 'CB', 'PRLV': 'PRLV SEPA', 'VIR': 'VIR'}.get(op.mode, 'OPERATION') } {op.payee or op.narration}".upper())
        if op.kind == "remise":
            label = "REMISE CHEQUES 000" + op.piece.strip("R")
        lines.append((min(op.date + datetime.timedelta(days=1), end), label, op.bank))
    lines += extra
    closing = previous.balance + sum((amount for _, _, amount in lines), Decimal("0.00"))
    rows = ["Téléchargement du 01/11/2025;", "", "COOPERATIVE SCOLAIRE;", "Compte de Dépôt carte n° 98765432101;",
            f"Solde au {end:%d/%m/%Y} {fr(closing) if closing >= 0 else '-' + fr(closing)} €", "",
            "Date;Libellé;Débit Euros;Crédit Euros;"]
    for date, label, amount in sorted(lines, reverse=True):
        debit, credit = (fr(amount), "") if amount < 0 else ("", fr(amount))
        rows.append(f'{date:%d/%m/%Y};"{label}";{debit};{credit};')
    return ("\r\n".join(rows) + "\r\n").encode("cp1252"), closing, ops
