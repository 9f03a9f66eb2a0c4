"""The report à nouveau: what the coop owns at 31/08, asserted at the start of the next exercice.

The ledger is continuous (the balances carry over by themselves), so the report à nouveau is
written as Beancount `balance` assertions dated 1 September: each treasury account (bank,
caisse, cheques not yet deposited, régies) must hold exactly its closing amount. Beancount
checks them on every load; a later change to the closed exercice shows up as an error here.

Before the closing (the rentrée, when the new exercice is opened while the previous one is
still open) the same block holds no figure: it says the opening is provisional, the balances
being the previous exercice's as it stands (every correction there carries over by itself).
The closing replaces it with the assertions; a reopening puts the provisional block back.
"""

from __future__ import annotations

import re

from retkoop_tools.fr import fmt_date
from retkoop_tools.ledger.conventions import CURRENCY
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import ROOT_OPTIONS
from retkoop_tools.tresorier.books import Books

_BEGIN = "; Report à nouveau"
_END = "; Fin du report à nouveau."
_BLOCK_RE = re.compile(rf"^{re.escape(_BEGIN)}.*?^{re.escape(_END)}\n\n?", re.M | re.S)


def report_balances(books: Books, closed: Exercice) -> list[tuple[str, object]]:
    """(account, amount) of every treasury account at the end of `closed` (bank and caisse
    always, the others when they hold something)."""
    result = []
    always = set(books.bank_accounts) | ({books.caisse_account} if books.caisse_account else set())
    accounts = [*books.bank_accounts, books.caisse_account, books.cheques_account, *books.regie_accounts]
    for account in accounts:
        if not account or account not in books.opened_accounts:
            continue
        amount = books.balance(account, closed.end)
        if amount or account in always:
            result.append((account, amount))
    return result


def report_block(books: Books, closed: Exercice) -> str:
    balances = report_balances(books, closed)
    width = max((len(a) for a, _ in balances), default=20) + 2
    date = closed.next().start.isoformat()
    lines = [f"{_BEGIN} : soldes au {fmt_date(closed.end)}, écrits par la clôture de l'exercice "
             f"{closed} (ne pas modifier)."]
    lines += [f"{date} balance {account:<{width}} {amount:>10} {CURRENCY}" for account, amount in balances]
    lines.append(_END)
    return "\n".join(lines) + "\n\n"


def provisional_block(previous: Exercice) -> str:
    """The block of an exercice opened before `previous` is closed: no figure yet."""
    return (f"{_BEGIN} provisoire : les soldes d'ouverture sont ceux de l'exercice {previous}, "
            "pas encore clôturé,\n"
            f"; tels qu'il les donne (ses corrections se reportent d'elles-mêmes). Sa clôture écrit ici "
            f"les soldes définitifs au {fmt_date(previous.end)}.\n"
            f"{_END}\n\n")


def is_provisional(text: str) -> bool:
    """Whether an exercice file's opening is still provisional (no final report à nouveau)."""
    match = _BLOCK_RE.search(text)
    return match is None or " balance " not in match.group(0)


def with_report(text: str, block: str) -> str:
    """The next exercice's file text with `block` at the top (replacing an earlier one)."""
    if _BLOCK_RE.search(text):
        return _BLOCK_RE.sub(lambda _m: block, text, count=1)
    header_end = text.find(ROOT_OPTIONS)
    at = header_end + len(ROOT_OPTIONS) if header_end >= 0 else 0
    if text[at:at + 1] == "\n":
        at += 1
    return text[:at] + block + text[at:]


def without_report(text: str, reopened: Exercice | None = None) -> str:
    """The text without its report à nouveau; with the provisional block instead when the
    previous exercice `reopened` is open again."""
    if reopened is not None:
        return with_report(text, provisional_block(reopened))
    return _BLOCK_RE.sub("", text, count=1)
