"""A coop's books as the mandataire reads them: operations, balances, statements, counts.

Built from the entries of a loaded ledger (the plugins have run), so that the cahier, the
pointage and the dashboard all read the same numbers as `retkoop check`.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import compare, data

from retkoop_tools.chart import Chart, Compte
from retkoop_tools.ledger.conventions import (
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_CLOTURE,
    CUSTOM_COOPERATIVE,
    CUSTOM_RELEVE,
    DENOMINATIONS,
    META_CHEQUE,
    META_DOCUMENT,
    META_MODE,
    META_NATURE,
    META_PIECE,
    META_RELEVE,
    NATURE_ECART_CAISSE,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.exercice import today as clock_today

ZERO = Decimal("0.00")

#: Kinds of operations, as the Saisie form names them.
RECETTE, DEPENSE, VIREMENT, REMISE = "recette", "depense", "virement", "remise"
REGIE_VERSEMENT, REGIE_JUSTIFICATION, REGIE_RESTITUTION = "regie-versement", "regie-justification", "regie-restitution"
OUVERTURE, AUTRE = "ouverture", "autre"
KIND_LABELS = {
    RECETTE: "Recette",
    DEPENSE: "Dépense",
    VIREMENT: "Virement interne",
    REMISE: "Remise de chèques",
    REGIE_VERSEMENT: "Régie : versement",
    REGIE_JUSTIFICATION: "Régie : justification des dépenses",
    REGIE_RESTITUTION: "Régie : restitution du reliquat",
    OUVERTURE: "Ouverture",
    AUTRE: "Autre",
}


def _values(entry: data.Custom) -> list[Any]:
    return [getattr(v, "value", v) for v in entry.values or ()]


@dataclass
class Operation:
    """One transaction, split the way the cahier shows it."""

    entry: data.Transaction
    kind: str
    bank: Decimal = ZERO  # + entrée, − sortie (every bank account)
    caisse: Decimal = ZERO
    cheques: Decimal = ZERO  # cheques received, not yet deposited (5112)
    regie: Decimal = ZERO  # + versée à l'enseignant, − restituée ou dépensée
    regie_account: str | None = None
    bank_account: str | None = None
    banks: dict[str, Decimal] = field(default_factory=dict)  # per bank account (two: a transfer, an opening)
    ventilation: list[tuple[Compte, Decimal]] = field(default_factory=list)  # CRF sign: > 0

    @functools.cached_property
    def id(self) -> str:
        """The entry's hash, as Fava names it (computed when first asked: it is not cheap)."""
        return compare.hash_entry(self.entry)

    @property
    def date(self) -> datetime.date:
        return self.entry.date

    @property
    def piece(self) -> str:
        return str(self.entry.meta.get(META_PIECE, "") or "")

    @property
    def mode(self) -> str:
        return str(self.entry.meta.get(META_MODE, "") or "")

    @property
    def cheque(self) -> str:
        return str(self.entry.meta.get(META_CHEQUE, "") or "")

    @property
    def nature(self) -> str:
        return str(self.entry.meta.get(META_NATURE, "") or "")

    @property
    def document(self) -> str | None:
        value = self.entry.meta.get(META_DOCUMENT)
        return value if isinstance(value, str) else None

    @property
    def payee(self) -> str:
        return self.entry.payee or ""

    @property
    def narration(self) -> str:
        return self.entry.narration or ""

    @property
    def label(self) -> str:
        return " – ".join(t for t in (self.payee, self.narration) if t)

    @property
    def tags(self) -> list[str]:
        return sorted(self.entry.tags or ())

    @property
    def links(self) -> list[str]:
        return sorted(self.entry.links or ())

    @property
    def releve(self) -> datetime.date | None:
        """The statement the bank movement was ticked on."""
        tick = self.entry.meta.get(META_RELEVE)
        for posting in self.entry.postings:
            if posting.account == self.bank_account and (posting.meta or {}).get(META_RELEVE):
                tick = posting.meta[META_RELEVE]
        return tick if isinstance(tick, datetime.date) else None

    def on(self, account: str) -> Decimal:
        """What the operation moves on one bank account."""
        return self.banks.get(account, ZERO)

    def releve_on(self, account: str) -> datetime.date | None:
        """The statement of `account` the operation was ticked on: its posting's `releve:`, else
        the operation's (one bank account, or ticked on every one)."""
        if account not in self.banks:
            return None
        tick = self.entry.meta.get(META_RELEVE)
        for posting in self.entry.postings:
            if posting.account == account and (posting.meta or {}).get(META_RELEVE):
                tick = posting.meta[META_RELEVE]
        return tick if isinstance(tick, datetime.date) else None

    @property
    def amount(self) -> Decimal:
        """What the operation is worth, whatever way it goes."""
        if self.ventilation:
            return sum((abs(v) for _, v in self.ventilation), ZERO)
        return max(abs(self.bank), abs(self.caisse), abs(self.cheques), abs(self.regie))

    @property
    def needs_document(self) -> bool:
        """An expense, which a pièce justificative proves (an écart de caisse has its arrêté)."""
        return self.kind in (DEPENSE, REGIE_JUSTIFICATION) and self.nature != NATURE_ECART_CAISSE

    @property
    def filename(self) -> str:
        return str(self.entry.meta.get("filename", ""))

    @property
    def lineno(self) -> int:
        return int(self.entry.meta.get("lineno", 0))


@dataclass
class Statement:
    date: datetime.date
    account: str
    balance: Decimal
    document: str | None
    entry: data.Custom


@dataclass
class CashCount:
    date: datetime.date
    account: str
    counts: dict[str, int]
    total: Decimal
    book: Decimal  # the caisse's book balance at the end of that day

    @property
    def gap(self) -> Decimal:
        return self.total - self.book


@dataclass
class Regie:
    account: str
    teacher: str
    balance: Decimal
    link: str | None  # of the latest versement, to tie its justification and restitution


def coop_bank_accounts(entries: list, chart: Chart, fallback: bool = True) -> list[str]:
    """The coop's bank accounts: those of the chart (in its order) that its books use (a posting
    or a statement) or that it declares (`banques: "514"` on its `custom "cooperative"`, for a
    coop that has not used it yet). A coop with neither has the chart's first (none when
    `fallback` is false: what the coop itself says, for a migration to decide).

    Every chart account is opened in every coop (comptes.beancount), so an Open says nothing:
    a La Banque Postale coop is the one whose money moves on 514.
    """
    chart_bank_accounts = [c.account for c in chart.accounts_of_type("banque")]
    known = set(chart_bank_accounts)
    used: set[str] = set()
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_COOPERATIVE:
            for code in str(entry.meta.get("banques", "") or "").replace(",", " ").split():
                compte = chart.by_code.get(code)
                if compte is not None and compte.account in known:
                    used.add(compte.account)
        if isinstance(entry, data.Transaction):
            used.update(p.account for p in entry.postings if p.account in known)
        elif isinstance(entry, data.Custom) and entry.type == CUSTOM_RELEVE:
            values = _values(entry)
            if values and values[0] in known:
                used.add(str(values[0]))
    return [a for a in chart_bank_accounts if a in used] or (chart_bank_accounts[:1] if fallback else [])


class Books:
    """Read-only view of one coop's ledger."""

    def __init__(self, entries: list, chart: Chart, coop_dir: Path | None = None,
                 today: datetime.date | None = None):
        self.entries = entries
        self.chart = chart
        self.coop_dir = Path(coop_dir) if coop_dir is not None else None
        self.today = today or clock_today()
        #: Every bank account of the chart (512, 514…): what a posting on it is.
        self.chart_bank_accounts = [c.account for c in chart.accounts_of_type("banque")]
        #: The coop's own bank accounts (see `coop_bank_accounts`), the first being its default.
        self.bank_accounts = coop_bank_accounts(entries, chart)
        caisses = chart.accounts_of_type("caisse")
        self.caisse_account = caisses[0].account if caisses else None
        cheques = chart.accounts_of_type("cheques")
        self.cheques_account = cheques[0].account if cheques else None
        regies = [c for c in chart.accounts_of_type("regie")]
        self.regie_parent = regies[0].account if regies else None
        self.identity: dict[str, str] = {}
        self.closed: dict[Exercice, data.Custom] = {}
        self.opened_accounts: list[str] = []
        for entry in entries:
            if isinstance(entry, data.Custom) and entry.type == CUSTOM_COOPERATIVE:
                values = _values(entry)
                self.identity = {
                    "uai": str(values[0]) if values else "",
                    "nom": str(entry.meta.get("nom", "")),
                    "commune": str(entry.meta.get("commune", "")),
                    "numerotation": str(entry.meta.get("numerotation", "RD")),
                }
            elif isinstance(entry, data.Custom) and entry.type == CUSTOM_CLOTURE:
                values = _values(entry)
                try:
                    self.closed[Exercice.parse(str(values[0]))] = entry
                except (ValueError, IndexError):
                    pass
            elif isinstance(entry, data.Open):
                self.opened_accounts.append(entry.account)
        names: set[Exercice] = set()
        if coop_dir is not None:
            from retkoop_tools.ledger.layout import exercices_of

            names.update(exercices_of(Path(coop_dir)))
        for entry in entries:
            found = Exercice.from_filename(str(entry.meta.get("filename", "")))
            if found:
                names.add(found)
        self.exercices = sorted(names)
        self.operations = [self._operation(e) for e in entries if isinstance(e, data.Transaction)]

    # -- exercices -------------------------------------------------------------------------
    @property
    def numbering(self) -> str:
        return self.identity.get("numerotation", "RD")

    @property
    def open_exercices(self) -> list[Exercice]:
        return [e for e in self.exercices if e not in self.closed]

    @property
    def current(self) -> Exercice:
        """The exercice that contains today's date (whether or not its file exists yet)."""
        return Exercice.of_date(self.today)

    @property
    def previous_open(self) -> Exercice | None:
        """At the rentrée, the previous exercice while it is still open for its closing."""
        previous = self.current.previous()
        return previous if previous in self.open_exercices else None

    @property
    def can_open_current(self) -> bool:
        """Whether the current exercice has no file yet and may be opened now: it follows the
        coop's last exercice (the rentrée), so its opening balances are the previous one's."""
        return bool(self.exercices) and self.current not in self.exercices \
            and self.current == self.exercices[-1].next()

    def writable(self, exercice: Exercice) -> bool:
        """Whether an operation dated in `exercice` can be recorded today: the exercice is open,
        or it is the current one and will be opened by that first operation."""
        return exercice in self.open_exercices or (exercice == self.current and self.can_open_current)

    def default_date(self) -> datetime.date:
        """Today: an operation is recorded in the exercice of its date, never clamped."""
        return self.today

    # -- accounts --------------------------------------------------------------------------
    @property
    def bank_account(self) -> str | None:
        """The coop's default bank account: its only one, or the first of the chart it uses."""
        return self.bank_accounts[0] if self.bank_accounts else None

    def bank_label(self, account: str) -> str:
        """How the mandataire names a bank account: its short name ("Banque", "Chèques
        postaux") when the coop has only one, the chart's label ("Banque – compte courant")
        when it has two."""
        if len(self.bank_accounts) <= 1:
            return self.bank_short_label(account)
        compte, _ = self.chart.lookup(account)
        return compte.libelle if compte is not None else account

    def bank_short_label(self, account: str) -> str:
        """A bank account's name in a column heading: the chart's label before its dash
        ("Banque – compte courant" → "Banque", "Chèques postaux")."""
        compte, _ = self.chart.lookup(account)
        if compte is None:
            return account.rsplit(":", 1)[-1]
        return re.split(r"\s+[–—-]\s+", compte.libelle, maxsplit=1)[0]

    @property
    def regie_accounts(self) -> list[str]:
        if not self.regie_parent:
            return []
        return [a for a in self.opened_accounts if a.startswith(self.regie_parent + ":")]

    def balance(self, accounts: str | list[str], until: datetime.date | None = None) -> Decimal:
        """The balance of accounts at the end of `until` (inclusive), or of everything."""
        wanted = {accounts} if isinstance(accounts, str) else set(accounts)
        total = ZERO
        for account in wanted:
            dates, running = self._running_balances.get(account, ((), ()))
            count = len(dates) if until is None else bisect.bisect_right(dates, until)
            if count:
                total += running[count - 1]
        return total

    @functools.cached_property
    def _running_balances(self) -> dict[str, tuple[list[datetime.date], list[Decimal]]]:
        """Per account, the dates of its postings and the balance after each (in date order)."""
        postings: dict[str, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
        for op in self.operations:
            for posting in op.entry.postings:
                if posting.units is not None:
                    postings[posting.account].append((op.date, posting.units.number))
        result = {}
        for account, items in postings.items():
            items.sort(key=lambda item: item[0])
            result[account] = ([d for d, _ in items], list(itertools.accumulate(n for _, n in items)))
        return result

    def regies(self) -> list[Regie]:
        result = []
        for account in self.regie_accounts:
            link = None
            for op in self.operations:
                if op.regie_account == account and op.kind == REGIE_VERSEMENT:
                    link = next(iter(op.links), None)
            teacher = account.rsplit(":", 1)[-1].replace("-", " ")
            result.append(Regie(account, teacher, self.balance(account), link))
        return result

    # -- operations ------------------------------------------------------------------------
    def _operation(self, entry: data.Transaction) -> Operation:
        op = Operation(entry=entry, kind=AUTRE)
        for posting in entry.postings:
            if posting.units is None:
                continue
            number = posting.units.number
            account = posting.account
            if account in self.chart_bank_accounts:
                op.bank += number
                op.banks[account] = op.banks.get(account, ZERO) + number
                op.bank_account = op.bank_account or account
            elif account == self.caisse_account:
                op.caisse += number
            elif account == self.cheques_account:
                op.cheques += number
            elif self.regie_parent and account.startswith(self.regie_parent + ":"):
                op.regie += number
                op.regie_account = account
            else:
                compte, _ = self.chart.lookup(account)
                if compte is not None and compte.is_ventilation:
                    op.ventilation.append((compte, -number if compte.sens == "produit" else number))
        op.kind = self._kind(op)
        return op

    @staticmethod
    def _kind(op: Operation) -> str:
        nature = op.nature
        if nature == "ouverture":
            return OUVERTURE
        if nature == "remise":
            return REMISE
        if nature == "virement":
            return VIREMENT
        if nature == "regie" or (op.regie_account and not op.ventilation):
            return REGIE_VERSEMENT if op.regie > 0 else REGIE_RESTITUTION
        if op.regie_account and op.ventilation:
            return REGIE_JUSTIFICATION
        if op.ventilation:
            treasury = op.bank + op.caisse + op.cheques
            return RECETTE if treasury > 0 else DEPENSE
        return AUTRE

    def operations_of(self, exercice: Exercice) -> list[Operation]:
        return list(self._by_exercice.get(exercice, ()))

    @functools.cached_property
    def _by_exercice(self) -> dict[Exercice, list[Operation]]:
        """The operations of each exercice, in date order (then as written)."""
        result: dict[Exercice, list[Operation]] = defaultdict(list)
        for op in self.operations:
            result[Exercice.of_date(op.date)].append(op)
        for ops in result.values():
            ops.sort(key=lambda op: (op.date, op.filename, op.lineno))
        return dict(result)

    @functools.cached_property
    def by_id(self) -> dict[str, Operation]:
        return {op.id: op for op in self.operations}

    def get(self, op_id: str) -> Operation | None:
        return self.by_id.get(op_id)

    # -- bank statements -------------------------------------------------------------------
    def statements(self, account: str | None = None) -> list[Statement]:
        result = []
        for entry in self.entries:
            if isinstance(entry, data.Custom) and entry.type == CUSTOM_RELEVE:
                values = _values(entry)
                if len(values) != 2 or not isinstance(values[1], data.Amount):
                    continue
                if account and values[0] != account:
                    continue
                document = entry.meta.get(META_DOCUMENT)
                result.append(Statement(entry.date, str(values[0]), values[1].number,
                                        document if isinstance(document, str) else None, entry))
        return sorted(result, key=lambda s: s.date)

    def last_statements(self) -> list[Statement]:
        """The latest statement of each of the coop's bank accounts that has one."""
        result = []
        for account in self.bank_accounts:
            found = self.statements(account)
            if found:
                result.append(found[-1])
        return result

    def ticked_total(self, account: str, until: datetime.date) -> Decimal:
        """What the operations ticked on statements up to `until` add up to."""
        total = ZERO
        for op in self.operations:
            tick = op.releve_on(account)
            if tick is not None and tick <= until:
                total += op.on(account)
        return total

    def unticked(self, account: str) -> list[Operation]:
        """Bank movements not found on a statement yet, oldest first."""
        return sorted((op for op in self.operations
                       if op.on(account) != 0 and op.releve_on(account) is None),
                      key=lambda op: (op.date, op.lineno))

    # -- cheques received ------------------------------------------------------------------
    def pending_cheques(self) -> list[Operation]:
        """Cheques received and not deposited yet (no remise carries their link)."""
        deposited: set[str] = set()
        for op in self.operations:
            if op.kind == REMISE:
                deposited.update(op.links)
        return [op for op in self.operations
                if op.cheques > 0 and op.kind != REMISE and not (set(op.links) & deposited)
                and not op.filename.startswith("<")]  # not the à-nouveaux of closed exercices

    # -- cash counts -----------------------------------------------------------------------
    def cash_counts(self) -> list[CashCount]:
        """The arrêtés de caisse, each with the caisse's book balance at the moment of the count:
        the operations before it in the ledger's order (dated before it, or on its day and
        written before it), as the arrêté de caisse plugin checks."""
        result = []
        running: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for entry in self.entries:
            if isinstance(entry, data.Transaction):
                for posting in entry.postings:
                    if posting.units is not None and posting.account == self.caisse_account:
                        running[posting.account] += posting.units.number
            elif isinstance(entry, data.Custom) and entry.type == CUSTOM_ARRETE_CAISSE:
                values = _values(entry)
                account = str(values[0]) if values else (self.caisse_account or "")
                counts = {k: int(entry.meta[k]) for k in DENOMINATIONS
                          if isinstance(entry.meta.get(k), (int, Decimal))}
                total = sum((DENOMINATIONS[k] * n for k, n in counts.items()), ZERO)
                result.append(CashCount(entry.date, account, counts, total, running[account]))
        return sorted(result, key=lambda c: c.date)

    def counted_on(self, date: datetime.date) -> CashCount | None:
        """The arrêté de caisse of that day, if the caisse was counted then."""
        return next((c for c in self.cash_counts() if c.date == date), None)

    # -- pièces ----------------------------------------------------------------------------
    def piece_problems(self, exercice: Exercice) -> tuple[list[str], list[str]]:
        """(duplicated pièces, gaps in the numbering) of an exercice."""
        seen: dict[str, int] = defaultdict(int)
        for op in self.operations_of(exercice):
            if op.piece:
                seen[op.piece.upper()] += 1
        duplicated = sorted(p for p, n in seen.items() if n > 1)
        gaps = []
        series: dict[str, list[int]] = defaultdict(list)
        for piece in seen:
            match = re.match(r"^([A-Z]*)(\d+)$", piece)
            if match:
                series[match.group(1)].append(int(match.group(2)))
        for prefix, numbers in sorted(series.items()):
            present = set(numbers)
            width = 2 if prefix else 1
            gaps += [f"{prefix}{n:0{width}d}" for n in range(1, max(numbers)) if n not in present]
        return duplicated, gaps
