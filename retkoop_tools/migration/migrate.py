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
from retkoop_tools.tresorier.books import OUVERTURE

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

    def lines(self) -> list[str]:
        out = [f"Reprise du cahier « {self.filename} » pour {self.uai} : {len(self.converted)} opération(s) "
               f"reprise(s), {len(self.rejected)} ligne(s) non reprise(s)."]
        if self.opening:
            out.append("Soldes d'ouverture : " + ", ".join(f"{k} {fmt_eur(v)}" for k, v in self.opening.items()) + ".")
        for item in self.rejected:
            out.append(f"  ligne {item.row} : {item.reason}  [{item.content}]")
        return out

    def csv(self) -> bytes:
        return csv_bytes(["Ligne", "Raison", "Contenu de la ligne"],
                         [[r.row, r.reason, r.content] for r in self.rejected])


def _opening_text(date: datetime.date, bank: str, caisse: str | None, report: str,
                  amounts: dict[str, Decimal]) -> str:
    lines = [f'{date.isoformat()} * "Reprise des soldes" "Soldes d\'ouverture repris du cahier"',
             f'  nature: "{NATURE_OUVERTURE}"']
    total = Decimal("0.00")
    for account, value in ((bank, amounts.get("banque")), (caisse, amounts.get("caisse"))):
        if account and value:
            lines.append(f"  {account}  {value:.2f} EUR")
            total += value
    lines.append(f"  {report}  {-total:.2f} EUR")
    return "\n".join(lines) + "\n"


def migrate(store: Store | None, ad_root: Path, uai: str, content: bytes, filename: str, author: Author, *,
            opening: dict[str, Decimal] | None = None, columns_file: Path | None = None,
            sheet: str | None = None, dry_run: bool = False, progress=None) -> Report:
    """Take over a cahier. Raises CahierError (nothing written) when it cannot start at all."""
    if store is not None and not dry_run:  # read and write under the coop's lock (nothing lost)
        with store.prepare(uai):
            return _migrate(store, ad_root, uai, content, filename, author, opening=opening,
                            columns_file=columns_file, sheet=sheet, dry_run=dry_run, progress=progress)
    return _migrate(store, ad_root, uai, content, filename, author, opening=opening,
                    columns_file=columns_file, sheet=sheet, dry_run=dry_run, progress=progress)


def _migrate(store: Store | None, ad_root: Path, uai: str, content: bytes, filename: str, author: Author, *,
             opening: dict[str, Decimal] | None, columns_file: Path | None, sheet: str | None,
             dry_run: bool, progress) -> Report:
    source = load_source(ad_root, uai)
    if source.errors:
        raise CahierError(f"Les comptes de {uai} ont des erreurs : corrigez-les d'abord (retkoop check {uai}).")
    books = source.books
    table = read_cahier(content, filename, books.chart, load_columns(columns_file), sheet)
    conversion = convert(table, books)
    report = Report(uai, filename, conversion.converted, conversion.rejected, dict(opening or {}))
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


def _changes(coop_dir: Path, books, report: Report, report_account: str):
    """The exercice files with the operations inserted, and (file, line) → spreadsheet row."""
    by_exercice: dict[Exercice, list[tuple[int | None, str]]] = {}
    if report.opening:
        first = books.open_exercices[0]
        text = _opening_text(first.start, books.bank_account, books.caisse_account, report_account, report.opening)
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
