"""A bank statement as read from a file: its lines, its closing balance, where it came from."""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from retkoop_tools.policy.text import plain_text


class StatementError(Exception):
    """The file cannot be read as a statement; the message, in French, says why and what to do."""


@dataclass(frozen=True)
class StatementLine:
    """One movement on the statement (amount > 0: credited to the coop)."""

    date: datetime.date
    label: str
    amount: Decimal
    ref: str  # the bank's id of the line (OFX FITID), or a stable hash of it (CSV)
    cheque: str = ""  # the cheque number, when the bank gives it
    number: int = 0  # 1-based position in the file, for messages

    def __post_init__(self) -> None:
        # The bank's label is shown in pages and written in the books: plain text only.
        object.__setattr__(self, "label", plain_text(self.label))

    @property
    def is_remise(self) -> bool:
        return self.amount > 0 and bool(_REMISE.search(normalize(self.label)))

    @property
    def is_cash_deposit(self) -> bool:
        return self.amount > 0 and bool(_CASH_DEPOSIT.search(normalize(self.label)))

    @property
    def is_cash_withdrawal(self) -> bool:
        return self.amount < 0 and bool(_CASH_WITHDRAWAL.search(normalize(self.label)))

    @property
    def mode(self) -> str:
        """The payment mode the label shows (CB, PRLV, VIR, CHQ), or ""."""
        text = normalize(self.label)
        if self.cheque or _CHEQUE.search(text):
            return "CHQ"
        for mode, pattern in _MODES:
            if pattern.search(text):
                return mode
        return ""


@dataclass
class BankStatement:
    """What a statement file says."""

    bank: str  # the format's name, as users know it: "Crédit Agricole", "OFX"
    lines: list[StatementLine]
    balance: Decimal | None  # closing balance (None when the file does not give it)
    date: datetime.date  # the day the balance is given at (closing day)
    account_id: str = ""  # the bank account's number, as the file gives it
    start: datetime.date | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def account_hint(self) -> str:
        """The account number's last four characters (never the whole number in the books)."""
        digits = re.sub(r"\W", "", self.account_id)
        return "…" + digits[-4:] if digits else ""

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def normalize(text: str) -> str:
    """Upper-case ASCII with single spaces: how labels are compared."""
    ascii_ = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", ascii_.upper()).strip()


def line_ref(date: datetime.date, amount: Decimal, label: str, occurrence: int) -> str:
    """A stable id for a CSV line (the same line exported twice gets the same id)."""
    key = f"{date.isoformat()}|{amount:.2f}|{normalize(label)}|{occurrence}"
    return "csv-" + hashlib.sha1(key.encode()).hexdigest()[:12]


_CHEQUE = re.compile(r"\b(CHEQUE|CHQ|CHQ\.)\b")
_REMISE = re.compile(r"\b(REMISE|REM\.?)\b.*\b(CHQ|CHEQUES?)\b|\bREMISE CHEQUES?\b|\bREMISE DE CHEQUES?\b")
_CASH_DEPOSIT = re.compile(r"\b(VERSEMENT|VERST|DEPOT)\b.*\b(ESPECES|ESP)\b")
_CASH_WITHDRAWAL = re.compile(r"\bRETRAIT\b")
_MODES = (
    ("PRLV", re.compile(r"\b(PRLV|PRELEVEMENT|PRELEV|PRL)\b")),
    ("CB", re.compile(r"\b(CB|CARTE|PAIEMENT PAR CARTE|FACTURE CARTE)\b")),
    ("VIR", re.compile(r"\b(VIR|VIREMENT|VIRT)\b")),
)
CHEQUE_NUMBER = re.compile(r"\b(?:CHEQUE|CHQ)\.?\s*(?:N[O°]?\.?\s*)?(\d{5,8})\b")
