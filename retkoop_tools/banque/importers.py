"""beangulp importers over our readers and matching: Fava's import page, the `beangulp` tools.

Two importers: OFX, and the CSV of any bank of `banques.yaml` (the AD's own file included,
found from the statement's path). `extract` returns what the import would do, the way Fava's
import page can show it:
- one transaction per line missing from the cahier, prefilled (account, pièce, tick);
- one note per line matched to an operation of the cahier (it will be ticked);
- one note for the statement itself (its closing balance), or for what blocks it.
Every entry carries `retkoop-releve` (the file) and, for lines, `retkoop-ligne` (the line's
reference). Saving them on Fava's import page does not write them as they are: the Pointage
extension takes the request and records the statement through `apply.apply_import`, with
the accounts and labels the teacher edited.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import beangulp
from beancount.core import data

from retkoop_tools.ad import COOP_FILENAME, find_ad_root
from retkoop_tools.banque.apply import new_operations
from retkoop_tools.banque.formats import load_formats
from retkoop_tools.banque.matching import ImportPlan, plan_import
from retkoop_tools.banque.readers import identify, read_statement
from retkoop_tools.banque.statement import BankStatement, StatementError
from retkoop_tools.chart import load_chart
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.pages._base import today

MARK_FILE = "retkoop-releve"
MARK_LINE = "retkoop-ligne"
def _formats_for(path: str):
    return load_formats(find_ad_root(Path(path).resolve().parent))


def books_from_entries(entries: list) -> Books | None:
    """The coop's books from a loaded ledger's entries (its folder from their file names)."""
    coop_dir = None
    for entry in entries:
        filename = str(entry.meta.get("filename", "")) if entry.meta else ""
        if filename.endswith(COOP_FILENAME):
            coop_dir = Path(filename).resolve().parent
            break
    if coop_dir is None:
        return None
    ad_root = find_ad_root(coop_dir)
    return Books(list(entries), load_chart(ad_root), coop_dir, today())


def plan_entries(plan: ImportPlan, books: Books, path: str) -> list:
    """What Fava's import page shows of a plan (see the module's docstring)."""
    mark = {MARK_FILE: Path(path).name}  # the file, in this coop's upload folder
    account = plan.account
    out: list = []
    if plan.already:
        return out
    created, errors, _ = new_operations(books, plan)
    by_ref = {new.proposal.line.ref: new for new in created}
    for index, proposal in enumerate(plan.proposals, 1):
        line = proposal.line
        new = by_ref.get(line.ref)
        meta = {**mark, MARK_LINE: line.ref, "filename": str(path), "lineno": line.number}
        if new is not None:
            out.append(new.entry._replace(meta={**new.entry.meta, **meta}))
        else:
            message = errors.get(f"ligne-{index}", f"Ligne du {fmt_date(line.date)} à saisir.")
            out.append(data.Note(meta, line.date, account, f"À régler : {message}", None, None))
    for match in plan.matches:
        meta = {**mark, MARK_LINE: match.line.ref, "filename": str(path), "lineno": match.line.number}
        out.append(data.Note(meta, match.line.date, account,
                             f"Pointée : {match.line.label} ({fmt_eur(match.line.amount)}) = {match.op.piece} "
                             f"du {fmt_date(match.op.date)} « {match.op.label} » ({match.reason})", None, None))
    summary = (f"Relevé {plan.statement.bank} du {fmt_date(plan.date)} : solde {fmt_eur(plan.balance)} — "
               f"{len(plan.matches) + len(plan.openings)} opération(s) à pointer, {len(created)} à créer"
               if plan.balance is not None else "Relevé sans solde")
    if plan.problems:
        summary += ". À régler avant d'enregistrer : " + " ".join(plan.problems)
    out.append(data.Note({**mark, "filename": str(path), "lineno": 0}, plan.date, account, summary, None, None))
    return out


class _StatementImporter(beangulp.Importer):
    kind = ""

    def _matches(self, fmt_id: str | None) -> bool:
        raise NotImplementedError

    def identify(self, filepath: str) -> bool:
        try:
            content = Path(filepath).read_bytes()
        except OSError:
            return False
        return self._matches(identify(content, _formats_for(filepath)))

    def account(self, filepath: str) -> str:
        return ""  # the coop's bank account; known once the books are loaded (extract)

    def _read(self, filepath: str) -> BankStatement:
        return read_statement(Path(filepath).read_bytes(), Path(filepath).name, _formats_for(filepath))

    def date(self, filepath: str) -> datetime.date | None:
        try:
            return self._read(filepath).date
        except StatementError:
            return None

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        books = books_from_entries(existing)
        try:
            statement = self._read(filepath)
        except StatementError as exc:
            return [data.Note({"filename": filepath, "lineno": 0}, today(),
                              (books.bank_account if books else None) or "Actif:512-Banque",
                              f"À régler : {exc}", None, None)]
        if books is None:
            return []
        return plan_entries(plan_import(books, statement), books, filepath)

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Lines already ticked are left out by the matching itself."""

    def sort(self, entries: data.Entries, reverse: bool = False) -> None:
        """Kept in the plan's order: new operations, ticks, then the statement."""


class OfxImporter(_StatementImporter):
    @property
    def name(self) -> str:
        return "Relevé OFX"

    def _matches(self, fmt_id: str | None) -> bool:
        return fmt_id == "ofx"


class CsvImporter(_StatementImporter):
    @property
    def name(self) -> str:
        return "Relevé CSV de la banque"

    def _matches(self, fmt_id: str | None) -> bool:
        return fmt_id is not None and fmt_id != "ofx"


def importers() -> list[beangulp.Importer]:
    return [OfxImporter(), CsvImporter()]


def imports_dir(ad_root: Path, uai: str) -> Path:
    """Where Fava's import page keeps a coop's uploaded statements until they are recorded:
    outside the books (never committed), one folder per coop (a coop sees only its own)."""
    root = Path(ad_root)
    base = root / ".git" if (root / ".git").is_dir() else root / ".retkoop-imports"
    return base / "retkoop-imports" / uai
