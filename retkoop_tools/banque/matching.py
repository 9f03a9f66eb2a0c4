"""A statement against the books: which line is which operation, what is new, what is wrong.

`plan_import(books, statement)` reads, never writes. Each line of the statement is:
- already on an earlier statement (dated on or before the last statement ticked, or its bank
  reference is already in the books): skipped;
- an operation of the cahier not ticked yet: matched — by cheque number, by remise, or by
  amount within a date window (closest date first);
- otherwise a proposed new operation, prefilled from the coop's history (`suggest`).
The statement's closing balance must then equal what the ticked operations add up to: the
pointage rule the plugin enforces. The opening balances of a coop's first statement are
ticked with it when they close the gap.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from retkoop_tools.banque.statement import BankStatement, StatementLine
from retkoop_tools.banque.suggest import Suggester, Suggestion
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import META_REF_BANQUE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.books import (
    DEPENSE,
    OUVERTURE,
    RECETTE,
    REMISE,
    VIREMENT,
    Books,
    Operation,
    Statement,
)
from retkoop_tools.tresorier.operations import BANK_TO_CAISSE, CAISSE_TO_BANK

ZERO = Decimal("0.00")
WINDOW_BEFORE = datetime.timedelta(days=60)  # an operation is on the statement within 2 months…
WINDOW_CHEQUE = datetime.timedelta(days=366)  # …a cheque may be cashed months after it was written
WINDOW_AFTER = datetime.timedelta(days=5)  # …and the bank may date it a few days before the cahier


@dataclass
class Match:
    line: StatementLine
    op: Operation
    reason: str  # "chèque n° 1234567", "remise", "montant et date"


@dataclass
class Proposal:
    """A line with no operation in the cahier: the operation we propose to create."""

    line: StatementLine
    kind: str  # recette, depense, virement
    mode: str = ""
    sens: str = ""  # virement: caisse-banque or banque-caisse
    suggestion: Suggestion | None = None
    blocked: str = ""  # why it cannot be created here (French), or ""

    @property
    def code(self) -> str:
        return self.suggestion.compte.code if self.suggestion else ""

    @property
    def narration(self) -> str:
        return (self.suggestion.narration if self.suggestion and self.suggestion.score >= 0.5 else "") or self.line.label

    @property
    def payee(self) -> str:
        return self.suggestion.payee if self.suggestion and self.suggestion.score >= 0.5 else ""


@dataclass
class Skipped:
    line: StatementLine
    reason: str


@dataclass
class ImportPlan:
    statement: BankStatement
    account: str
    balance: Decimal | None
    previous: Statement | None = None
    matches: list[Match] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    openings: list[Operation] = field(default_factory=list)  # opening balances ticked with it
    problems: list[str] = field(default_factory=list)  # French: why it cannot be recorded
    already: bool = False  # this statement is already in the books

    @property
    def date(self) -> datetime.date:
        return self.statement.date

    @property
    def gap(self) -> Decimal | None:
        """Statement balance − what the ticked operations will add up to (if all lines are taken)."""
        if self.balance is None:
            return None
        total = self._ticked_before + sum((m.op.on(self.account) for m in self.matches), ZERO)
        total += sum((p.line.amount for p in self.proposals), ZERO)
        total += sum((op.on(self.account) for op in self.openings), ZERO)
        return self.balance - total

    @property
    def ok(self) -> bool:
        return not self.already and not self.problems and not any(p.blocked for p in self.proposals)

    _ticked_before: Decimal = ZERO


def plan_import(books: Books, statement: BankStatement, account: str | None = None,
                balance: Decimal | None = None) -> ImportPlan:
    """Match `statement` against `books` (`balance` replaces the file's, when it has none).

    Without `account`, the statement goes to the coop's bank account it belongs to (see
    `statement_account`)."""
    account = account or statement_account(books, statement, balance)
    plan = ImportPlan(statement, account, balance if balance is not None else statement.balance)
    if account not in books.bank_accounts:
        plan.problems.append(f"{account or 'Aucun compte'} n'est pas un compte bancaire de la coopérative.")
        return plan
    statements = books.statements(account)
    plan.previous = statements[-1] if statements else None
    previous = plan.previous
    if previous is not None and statement.date <= previous.date:
        plan.already = True
        same = next((s for s in statements if s.date == statement.date), None)
        if same is not None and plan.balance is not None and same.balance != plan.balance:
            plan.problems.append(
                f"Un relevé du {fmt_date(same.date)} est déjà pointé, avec un solde de {fmt_eur(same.balance)} ; "
                f"ce fichier dit {fmt_eur(plan.balance)}. Est-ce le bon compte, le bon fichier ? Rien n'est changé.")
            return plan
        plan.problems.append(
            f"Ce relevé est déjà importé (relevé du {fmt_date(same.date)}, solde {fmt_eur(same.balance)}) : rien à faire."
            if same else
            f"Ce relevé s'arrête au {fmt_date(statement.date)}, avant le dernier relevé pointé "
            f"(du {fmt_date(previous.date)}) : ses opérations sont déjà pointées, rien à faire.")
        return plan
    _check_dates_and_account(books, plan, statements)
    plan._ticked_before = books.ticked_total(account, statement.date)

    known_refs = {str(op.entry.meta.get(META_REF_BANQUE)) for op in books.operations
                  if op.entry.meta.get(META_REF_BANQUE)}
    lines = []
    for line in statement.lines:
        if previous is not None and line.date <= previous.date:
            plan.skipped.append(Skipped(line, f"déjà sur le relevé du {fmt_date(previous.date)}"))
        elif line.ref in known_refs:
            plan.skipped.append(Skipped(line, "déjà pointée (même référence bancaire)"))
        else:
            lines.append(line)

    pool = [op for op in books.unticked(account)
            if op.date <= statement.date and op.kind != OUVERTURE and not _closed(books, op.date)]
    _match(plan, lines, pool)
    matched = {id(m.line) for m in plan.matches}
    suggester = Suggester(books)
    for line in lines:
        if id(line) not in matched:
            plan.proposals.append(_propose(books, line, suggester))

    gap = plan.gap
    if gap is not None and gap != 0:
        openings = [op for op in books.unticked(account) if op.kind == OUVERTURE and op.date <= statement.date]
        if openings and sum((op.on(account) for op in openings), ZERO) == gap:
            plan.openings = openings
            gap = plan.gap
    if plan.balance is None:
        plan.problems.append("Le fichier ne donne pas le solde de fin du relevé : indiquez-le (il est en bas "
                             "du relevé papier ou PDF).")
    elif gap:
        last = (f"le dernier relevé pointé est celui du {fmt_date(previous.date)}" if previous
                else "aucun relevé n'a encore été pointé")
        plan.problems.append(
            f"Écart de {fmt_eur(gap)} entre le solde du relevé ({fmt_eur(plan.balance)}) et les opérations "
            f"pointées : un relevé précédent manque peut-être ({last}), ou une opération du cahier n'a pas "
            "le montant de la banque. Vérifiez, puis importez à nouveau.")
    return plan


def statement_account(books: Books, statement: BankStatement, balance: Decimal | None = None) -> str:
    """Which of the coop's bank accounts a statement is from: its only one; else the one whose
    earlier statements carry the file's account number; else the one it matches best (most lines
    found in the cahier), the default account on a tie."""
    accounts = books.bank_accounts
    if len(accounts) <= 1:
        return accounts[0] if accounts else ""
    hint = statement.account_hint
    if hint:
        for account in accounts:
            if any(str(s.entry.meta.get("compte-banque", "")) == hint for s in books.statements(account)):
                return account
    scores = {a: len(plan_import(books, statement, a, balance).matches) for a in accounts}
    return max(accounts, key=lambda a: (scores[a], a == books.bank_account))


def _closed(books: Books, date: datetime.date) -> bool:
    return Exercice.of_date(date) in books.closed


def _check_dates_and_account(books: Books, plan: ImportPlan, statements: list[Statement]) -> None:
    statement = plan.statement
    exercice = Exercice.of_date(statement.date)
    if exercice not in books.open_exercices:
        plan.problems.append(f"Le relevé s'arrête au {fmt_date(statement.date)}, hors des exercices ouverts "
                             f"({', '.join(str(e) for e in books.open_exercices) or 'aucun'}).")
    elif statement.date > books.today:
        plan.problems.append(f"Le relevé est daté du {fmt_date(statement.date)}, dans le futur.")
    hint = statement.account_hint
    known = next((str(s.entry.meta.get("compte-banque")) for s in reversed(statements)
                  if s.entry.meta.get("compte-banque")), "")
    if hint and known and hint != known:
        plan.problems.append(f"Ce relevé est celui du compte {hint}, mais les relevés de la coopérative sont "
                             f"ceux du compte {known} : est-ce le bon fichier (pas un compte personnel) ?")


def _match(plan: ImportPlan, lines: list[StatementLine], pool: list[Operation]) -> None:
    free = list(pool)

    def take(line: StatementLine, op: Operation, reason: str) -> None:
        plan.matches.append(Match(line, op, reason))
        free.remove(op)

    # 1. Cheques by their number: the surest.
    for line in lines:
        if not line.cheque or line.amount >= 0:
            continue
        same_number = [op for op in free if op.cheque == line.cheque and op.on(plan.account) < 0]
        exact = [op for op in same_number if op.on(plan.account) == line.amount]
        if exact:
            take(line, exact[0], f"chèque n° {line.cheque}")
        elif same_number:
            op = same_number[0]
            plan.problems.append(
                f"Chèque n° {line.cheque} : {fmt_eur(-line.amount)} sur le relevé, {fmt_eur(-op.on(plan.account))} dans le "
                f"cahier (pièce {op.piece} du {fmt_date(op.date)}). Corrigez l'opération, puis importez à nouveau.")
    done = {id(m.line) for m in plan.matches}
    # 2. Remises, then everything else: same amount, closest date.
    for remise_first in (True, False):
        for line in lines:
            if id(line) in done or any(line.cheque and line.cheque == op.cheque for op in pool):
                continue
            if line.is_remise != remise_first:
                continue
            candidates = [op for op in free if op.on(plan.account) == line.amount and _in_window(op, line)]
            if not candidates:
                continue
            mode = line.mode
            best = min(candidates, key=lambda op: (line.is_remise and op.kind != REMISE,
                                                   bool(mode) and op.mode != mode,
                                                   abs((op.date - line.date).days), op.lineno))
            take(line, best, "remise" if best.kind == REMISE else "montant et date")
            done.add(id(line))
    plan.matches.sort(key=lambda m: (m.line.date, m.line.number))


def _in_window(op: Operation, line: StatementLine) -> bool:
    before = WINDOW_CHEQUE if op.mode == "CHQ" else WINDOW_BEFORE
    return line.date - before <= op.date <= line.date + WINDOW_AFTER


def _propose(books: Books, line: StatementLine, suggester: Suggester) -> Proposal:
    if Exercice.of_date(line.date) not in books.open_exercices:
        return Proposal(line, RECETTE if line.amount > 0 else DEPENSE,
                        blocked=f"le {fmt_date(line.date)} est hors des exercices ouverts")
    if line.amount > 0:
        if line.is_remise:
            return Proposal(line, REMISE, "CHQ", blocked=(
                "remise de chèques absente du cahier : saisissez les chèques reçus puis la remise "
                "(page Saisie), puis importez à nouveau"))
        if line.is_cash_deposit:
            return Proposal(line, VIREMENT, "ESP", CAISSE_TO_BANK)
        return Proposal(line, RECETTE, "VIR", suggestion=suggester.suggest(line.label, True))
    if line.is_cash_withdrawal:
        return Proposal(line, VIREMENT, "ESP", BANK_TO_CAISSE)
    mode = line.mode or "PRLV"
    return Proposal(line, DEPENSE, mode, suggestion=suggester.suggest(line.label, False))
