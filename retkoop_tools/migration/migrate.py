"""Opening balances and a converted cahier → one validated commit, and the report of rejects.

The OCCE rules have the last word: when the store refuses some operations (a caisse that
would go negative, a pièce used twice…), those rows join the rejected ones with the rule's
message and the rest is tried again, so that what can be taken over is, and the report says
exactly what was not and why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from retkoop_tools.documents.source import load_source
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import NATURE_OUVERTURE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.ledger.writer import format_entry
from retkoop_tools.migration.convert import Converted, Rejected, convert
from retkoop_tools.migration.reader import CahierError, load_columns, read_cahier
from retkoop_tools.spreadsheet import csv_bytes
from retkoop_tools.store.store import Author, RuleViolationError, Store
from retkoop_tools.tresorier.books import OUVERTURE, Books, coop_bank_accounts

MAX_ROUNDS = 20


@dataclass
class Report:
    uai: str
    filename: str
    converted: list[Converted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    opening: dict[str, Decimal] = field(default_factory=dict)
    commit: str | None = None
    written: bool = False
    bank_accounts: list[str] = field(default_factory=list)  # the bank accounts the cahier is taken onto
    accounts_of_opening: dict[str, Decimal] = field(default_factory=dict)  # account → opening balance
    names: dict[str, str] = field(default_factory=dict)  # account → "Chèques postaux (514)"

    def lines(self) -> list[str]:
        out = [f"Reprise du cahier « {self.filename} » pour {self.uai} : {len(self.converted)} opération(s) "
               f"reprise(s), {len(self.rejected)} ligne(s) non reprise(s)."]
        if self.bank_accounts:
            out.append("Compte(s) bancaire(s) : " + ", ".join(self.names.get(a, a) for a in self.bank_accounts) + ".")
        if self.opening:
            out.append("Soldes d'ouverture : " + ", ".join(f"{self.names.get(a, a)} {fmt_eur(v)}"
                                                         for a, v in self.accounts_of_opening.items()) + ".")
        for item in self.rejected:
            out.append(f"  ligne {item.row} : {item.reason}  [{item.content}]")
        return out

    def csv(self) -> bytes:
        return csv_bytes(["Ligne", "Raison", "Contenu de la ligne"],
                         [[r.row, r.reason, r.content] for r in self.rejected])


def _opening_text(date: datetime.date, accounts: dict[str, Decimal], report: str) -> str:
    lines = [f'{date.isoformat()} * "Reprise des soldes" "Soldes d\'ouverture repris du cahier"',
             f'  nature: "{NATURE_OUVERTURE}"']
    total = Decimal("0.00")
    for account, value in accounts.items():
        if account and value:
            lines.append(f"  {account}  {value:.2f} EUR")
            total += value
    lines.append(f"  {report}  {-total:.2f} EUR")
    return "\n".join(lines) + "\n"


def migrate(store: Store | None, ad_root: Path, uai: str, content: bytes, filename: str, author: Author, *,
            opening: dict[str, Decimal] | None = None, columns_file: Path | None = None,
            sheet: str | None = None, dry_run: bool = False, progress=None, bank: str | None = None) -> Report:
    """Take over a cahier. Raises CahierError (nothing written) when it cannot start at all.

    `opening`: "banque" (the account of the « Banque » columns), "caisse", or a bank account's
    chart code ("514") → its balance at the start. `bank`: the chart code of the account the
    « Banque » columns go on (a coop with two bank accounts must say it, unless its cahier has
    one pair of columns per account).
    """
    options = dict(opening=opening, columns_file=columns_file, sheet=sheet, dry_run=dry_run, progress=progress,
                   bank=bank)
    if store is not None and not dry_run:  # read and write under the coop's lock (nothing lost)
        with store.prepare(uai):
            return _migrate(store, ad_root, uai, content, filename, author, **options)
    return _migrate(store, ad_root, uai, content, filename, author, **options)


def _migrate(store: Store | None, ad_root: Path, uai: str, content: bytes, filename: str, author: Author, *,
             opening: dict[str, Decimal] | None, columns_file: Path | None, sheet: str | None,
             dry_run: bool, progress, bank: str | None) -> Report:
    source = load_source(ad_root, uai)
    if source.errors:
        raise CahierError(f"Les comptes de {uai} ont des erreurs : corrigez-les d'abord (retkoop check {uai}).")
    books = source.books
    table = read_cahier(content, filename, books.chart, load_columns(columns_file), sheet)
    opening = dict(opening or {})
    generic = bool({"banque_entree", "banque_sortie"} & set(table.layout.fields)) or "banque" in opening
    own = _own_columns_accounts(books, table.layout.banks)
    generic_account = generic_bank_account(books, bank, set(own.values()), uai) if generic else None
    conversion = convert(table, books, generic_account)
    report = Report(uai, filename, conversion.converted, conversion.rejected, opening)
    report.bank_accounts = ([generic_account] if generic_account else []) + sorted(set(own.values()) - {generic_account})
    report.accounts_of_opening = _opening_accounts(books, opening, generic_account)
    report.names = {a: account_name(books, a) for a in [*books.chart_bank_accounts, books.caisse_account] if a}
    exercices = sorted({c.exercice for c in report.converted} | ({books.open_exercices[0]} if opening and books.open_exercices else set()))
    busy = [e for e in exercices if any(e.contains(op.date) and op.kind != OUVERTURE for op in books.operations)]
    if busy:
        raise CahierError(f"L'exercice {busy[0]} de {uai} a déjà des opérations : la reprise d'un cahier se fait "
                          "dans des comptes vides (sinon les opérations seraient en double).")
    if opening and any(op.kind == OUVERTURE for op in books.operations):
        raise CahierError(f"{uai} a déjà des soldes d'ouverture : ne les donnez pas une seconde fois.")
    if not report.converted and not opening:
        raise CahierError(f"Aucune ligne de « {filename} » ne peut être reprise : voyez les raisons ci-dessous.\n"
                          + "\n".join(report.lines()[1:]))
    if store is None:  # a preview without the rules (no repository): the rows as read
        return report

    # With a store, a preview (dry_run) is checked by the rules as the write would be: the rows
    # it shows as kept are exactly those a confirmation writes.
    coop_dir = ad_root / "ledgers" / uai
    report_account = books.chart.by_code.get("110")
    for _round in range(MAX_ROUNDS):
        changes, where = _changes(coop_dir, books, report, report_account.account if report_account else "")
        if progress:
            progress(f"Vérification de {len(report.converted)} opération(s)…")
        try:
            if dry_run:
                store.check(uai, changes)
                return report
            report.commit = store.write(uai, changes, author, _message(report))
            report.written = True
            return report
        except RuleViolationError as exc:
            refused = {}
            for error in exc.errors:
                row = where.get((Path(error.file).name, error.line))
                if row is not None:
                    refused.setdefault(row, error.message)
            if not refused:
                raise CahierError("Refusé par les règles OCCE : " + " ".join(e.message for e in exc.errors)) from None
            for item in [c for c in report.converted if c.row in refused]:
                report.converted.remove(item)
                report.rejected.append(Rejected(item.row, "refusée par les règles OCCE : " + refused[item.row],
                                                f"{fmt_date(item.entry.date)} | {item.entry.narration}"))
            report.rejected.sort(key=lambda r: r.row)
    raise CahierError("Trop d'opérations refusées par les règles OCCE : reprenez le cahier ligne par ligne.")


def account_name(books: Books, account: str) -> str:
    """A treasury account as the report and the errors name it: "Chèques postaux (514)"."""
    compte, _ = books.chart.lookup(account)
    if compte is None:
        return account
    label = books.bank_short_label(account) if account in books.chart_bank_accounts else compte.libelle
    return f"{label} ({compte.code})"


def _own_columns_accounts(books: Books, columns: dict[str, dict[str, int]]) -> dict[str, str]:
    """The chart code of each bank account that has its own columns in the cahier → its account."""
    result = {}
    for code in columns:
        compte = books.chart.by_code.get(code)
        if compte is None or compte.account not in books.chart_bank_accounts:
            raise CahierError(f"Colonnes du compte « {code} » : ce n'est pas un compte bancaire du plan comptable "
                              f"de l'AD ({_codes(books)}). Corrigez comptes_bancaires dans le fichier de colonnes.")
        result[code] = compte.account
    known = coop_bank_accounts(books.entries, books.chart, fallback=False)
    for account in result.values():
        if known and account not in known:
            raise CahierError(
                f"Le cahier a des colonnes du compte {account_name(books, account)}, que la coopérative n'a pas "
                f"(ses comptes : {', '.join(account_name(books, a) for a in known)}). Si elle a bien ce compte, "
                "déclarez-le dans coop.beancount (banques: sur la coopérative), puis recommencez.")
    return result


def generic_bank_account(books: Books, code: str | None, own: set[str], uai: str) -> str:
    """The account the cahier's « Banque entrée/sortie » columns go on: the one given
    (`--compte-bancaire`), else the coop's only bank account besides those with their own
    columns. Raises CahierError (in French) when that is not clear."""
    known = coop_bank_accounts(books.entries, books.chart, fallback=False)
    if code:
        compte = books.chart.by_code.get(code.strip())
        if compte is None or compte.account not in books.chart_bank_accounts:
            raise CahierError(f"--compte-bancaire {code} : ce n'est pas un compte bancaire du plan comptable de l'AD "
                              f"({_codes(books)}).")
        if known and compte.account not in known:
            raise CahierError(f"--compte-bancaire {code} : {uai} n'a pas ce compte (ses comptes : "
                              f"{', '.join(account_name(books, a) for a in known)}).")
        if compte.account in own:
            raise CahierError(f"--compte-bancaire {code} : le cahier a déjà des colonnes pour "
                              f"{account_name(books, compte.account)} ; les colonnes « Banque » sont celles d'un autre compte.")
        return compte.account
    candidates = [a for a in known if a not in own] if known else \
        [a for a in books.chart_bank_accounts if a not in own][:1]
    if len(candidates) == 1:
        return candidates[0]
    choices = " ou ".join(books.chart.lookup(a)[0].code for a in (candidates or known))
    if not candidates:
        raise CahierError(f"Le cahier a des colonnes « Banque » en plus de celles de "
                          f"{', '.join(account_name(books, a) for a in own)} : dites sur quel compte les reprendre "
                          f"avec --compte-bancaire {choices}.")
    raise CahierError(f"{uai} a deux comptes bancaires ({', '.join(account_name(books, a) for a in candidates)}) : "
                      f"dites sur lequel reprendre les colonnes « Banque » du cahier avec --compte-bancaire {choices}, "
                      "ou donnez au cahier une paire de colonnes par compte (« CCP entrée », « CCP sortie »).")


def _opening_accounts(books: Books, opening: dict[str, Decimal], generic: str | None) -> dict[str, Decimal]:
    """The opening balances by account: "banque" on the « Banque » columns' account, "caisse"
    on the caisse, a chart code on that bank account."""
    result: dict[str, Decimal] = {}
    for name, value in opening.items():
        if name == "banque":
            account = generic
        elif name == "caisse":
            account = books.caisse_account
        else:
            compte = books.chart.by_code.get(name)
            if compte is None or compte.account not in books.chart_bank_accounts:
                raise CahierError(f"Solde d'ouverture du compte « {name} » : ce n'est pas un compte bancaire du "
                                  f"plan comptable de l'AD ({_codes(books)}).")
            account = compte.account
        if account is None:
            continue
        if account in result:
            raise CahierError(f"Le solde d'ouverture de {account_name(books, account)} est donné deux fois "
                              "(--banque et --solde) : donnez-le une seule fois.")
        result[account] = value
    return result


def _codes(books: Books) -> str:
    return " et ".join(books.chart.lookup(a)[0].code for a in books.chart_bank_accounts)


def _changes(coop_dir: Path, books, report: Report, report_account: str):
    """The exercice files with the operations inserted, and (file, line) → spreadsheet row."""
    by_exercice: dict[Exercice, list[tuple[int | None, str]]] = {}
    if report.opening:
        first = books.open_exercices[0]
        text = _opening_text(first.start, report.accounts_of_opening, report_account)
        by_exercice.setdefault(first, []).append((None, text))
    for item in sorted(report.converted, key=lambda c: (c.entry.date, c.row)):
        by_exercice.setdefault(item.exercice, []).append((item.row, format_entry(item.entry)))
    changes, where = {}, {}
    for exercice, blocks in by_exercice.items():
        current = (coop_dir / exercice.filename).read_text(encoding="utf-8")
        at = insert_position(current)
        line = current[:at].count("\n") + 1
        body = []
        for row, text in blocks:
            text = text.strip("\n") + "\n\n"
            if row is not None:
                for offset in range(text.count("\n")):
                    where[(exercice.filename, line + offset)] = row
            line += text.count("\n")
            body.append(text)
        changes[exercice.filename] = current[:at] + "".join(body) + current[at:]
    return changes, where


def _message(report: Report) -> str:
    text = f"Reprise du cahier « {report.filename} » : {len(report.converted)} opération(s)"
    if report.opening:
        text += ", soldes d'ouverture"
    if report.rejected:
        text += f" ({len(report.rejected)} ligne(s) non reprise(s))"
    return text
