"""Reprise du cahier: a coop that kept its books in a spreadsheet uploads the cahier (XLSX or
CSV, what `retkoop migrer` reads), sees the rows kept and the rows refused with their reason —
checked by the OCCE rules, nothing written — then confirms: one commit through the store."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import jsonify, request

from retkoop_tools.fr import fmt_date
from retkoop_tools.migration.migrate import Report, migrate
from retkoop_tools.migration.reader import CahierError
from retkoop_tools.store.store import StoreError
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.books import OUVERTURE
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.parsing import parse_amount

#: A year's cahier is tens of kilobytes; a bigger file is not a cahier.
MAX_CAHIER = 5 * 1024 * 1024
#: What an XLSX may expand to once unzipped (a "zip bomb" is refused before it is opened).
MAX_UNZIPPED = 60 * 1024 * 1024


def cahier_problem(filename: str, content: bytes) -> str | None:
    """Why the upload is not a cahier the portal reads (French), judged by its content; else None."""
    if not content:
        return f"« {filename} » est vide."
    if len(content) > MAX_CAHIER:
        return (f"« {filename} » fait {len(content) / 1024 / 1024:.1f} Mo : un cahier fait quelques dizaines de Ko "
                f"({MAX_CAHIER // (1024 * 1024)} Mo au plus). Est-ce bien le cahier de comptabilité ?")
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
                size = sum(i.file_size for i in archive.infolist())
                mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, KeyError):
            return f"« {filename} » est un classeur abîmé : enregistrez-le à nouveau depuis le tableur."
        if b"opendocument.spreadsheet" in mimetype:
            return (f"« {filename} » est un classeur LibreOffice (.ods) : dans LibreOffice, « Enregistrer sous » "
                    "au format Excel (.xlsx) ou CSV, puis recommencez.")
        if "xl/workbook.xml" not in names:
            return f"« {filename} » est une archive, pas un classeur Excel (.xlsx) ni un CSV."
        if size > MAX_UNZIPPED:
            return f"« {filename} » est un classeur bien trop gros pour un cahier de coopérative."
        return None
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return (f"« {filename} » est un ancien classeur Excel (.xls) : enregistrez-le au format .xlsx "
                "ou CSV, puis recommencez.")
    if content.startswith(b"%PDF"):
        return f"« {filename} » est un PDF : il faut le classeur (XLSX) ou son export CSV, pas son impression."
    head = content[:4096]
    if b"\x00" in head or head.lstrip()[:1] == b"<":
        return f"« {filename} » n'est ni un classeur Excel (.xlsx) ni un fichier CSV."
    return None


@dataclass
class Row:
    """A kept row, as the preview shows it."""

    row: int
    date: str
    piece: str
    libelle: str
    montant: Decimal
    ventilation: str


class Reprise(_base.Page, FavaExtensionBase):
    report_title = "Reprise du cahier"

    def context(self) -> dict:
        books = self.books()
        busy = [e for e in books.open_exercices
                if any(e.contains(op.date) and op.kind != OUVERTURE for op in books.operations)]
        banks = []
        for account in books.bank_accounts:
            compte, _ = books.chart.lookup(account)
            if compte is not None:
                banks.append((compte.code, books.bank_label(account)))
        return {
            "books": books,
            "banks": banks,
            "busy": busy,
            "has_opening": any(op.kind == OUVERTURE for op in books.operations),
            "can_write": self.can_write() and self.forced_exercice() is None,
            "max_mo": MAX_CAHIER // (1024 * 1024),
        }

    def rows(self, report: Report) -> list[Row]:
        chart = self.books().chart
        out = []
        for item in report.converted:
            entry = item.entry
            money = sum((p.units.number for p in entry.postings if p.units.number > 0), Decimal(0))
            parts = []
            for posting in entry.postings:
                compte, _ = chart.lookup(posting.account)
                if compte is not None and compte.is_ventilation:
                    parts.append(f"{compte.code} {compte.libelle} ({self.eur(abs(posting.units.number))})")
            out.append(Row(item.row, fmt_date(entry.date), str(entry.meta.get("piece", "") or ""),
                           entry.narration, money, ", ".join(parts) or "non ventilée (virement interne, régie)"))
        return out

    @extension_endpoint("lire", ["POST"])
    def read(self):
        """`etape=lire`: the preview as an HTML fragment (nothing written); `etape=enregistrer`:
        the same file written, one commit."""
        if not self.can_write() or self.forced_exercice() is not None:
            return self.answer(Result(errors={"general": "Votre compte ne peut que consulter : la reprise se fait "
                                                         "par le mandataire."}))
        upload = self.upload("fichier")
        if upload is None:
            return self.answer(Result(errors={"fichier": "Choisissez le fichier du cahier (XLSX ou CSV)."}))
        problem = cahier_problem(upload.filename, upload.content)
        if problem:
            return self.answer(Result(errors={"fichier": problem}))
        opening, errors = {}, {}
        for key in ("banque", "caisse"):
            value = (request.form.get(key) or "").strip()
            if value:
                try:
                    opening[key] = parse_amount(value, allow_zero=True)
                except ValueError as exc:
                    errors[key] = str(exc)
        if errors:
            return self.answer(Result(errors=errors))
        digest = hashlib.sha256(upload.content).hexdigest()
        confirm = request.form.get("etape") == "enregistrer"
        if confirm and request.form.get("empreinte") != digest:
            return self.answer(Result(errors={"fichier": "Le fichier n'est plus celui de l'aperçu : cliquez de "
                                                         "nouveau sur « Lire le cahier » avant de confirmer."}))
        try:
            report = migrate(self.store(), self.ad_root, self.uai, upload.content, upload.filename, self.author(),
                             opening=opening, dry_run=not confirm,
                             bank=(request.form.get("compte_bancaire") or "").strip() or None)
        except CahierError as exc:
            return self.answer(Result(errors={"fichier": str(exc)}))
        except StoreError as exc:
            return self.answer(Result(errors={"general": str(exc)}))
        if not confirm:
            html = self.jinja_env.get_template("_reprise_apercu.html").render(
                extension=self, report=report, rows=self.rows(report), digest=digest)
            return jsonify({"ok": True, "html": html, "pret": bool(report.converted or report.opening)})
        result = Result(commit=report.commit)
        result.message = (f"reprise du cahier « {upload.filename} » : {len(report.converted)} opération(s) "
                          f"enregistrée(s), {len(report.rejected)} ligne(s) non reprise(s).")
        response = self.answer(result)
        payload = response.get_json()
        payload["suite"] = self.page_url("Cahier")
        return jsonify(payload)
