"""Fin d'exercice: closing checklist and button, CRF, quitus, submission, CRA and exports."""

from __future__ import annotations

from fava.ext import FavaExtensionBase, extension_endpoint
from flask import Response, abort, request
from markupsafe import escape

from retkoop_tools.ad import InvalidSirenError
from retkoop_tools.cloture import actions as cloture
from retkoop_tools.cloture.conditions import closing_conditions, unmet
from retkoop_tools.documents import cra as cra_module
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.dossier import (
    QUALITES,
    parse_verificateurs,
    quitus_problems,
)
from retkoop_tools.documents.exports import FecError, export_content
from retkoop_tools.documents.render import html_to_pdf, render_html
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.pages import _base
from retkoop_tools.tresorier.parsing import parse_date

PDF, HTML = "application/pdf", "text/html; charset=utf-8"
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "fec": "text/plain; charset=iso-8859-15",
}


def download(content: bytes | str, filename: str, mimetype: str, inline: bool = False) -> Response:
    response = Response(content, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


class FinExercice(_base.Page, FavaExtensionBase):
    report_title = "Fin d'exercice"

    # -- which exercice --------------------------------------------------------------------
    def exercice(self) -> Exercice:
        """The one asked (?exercice=), else the one to close: the oldest open exercice that
        has ended, else the latest closed, else the current one. A vérificateur sees theirs."""
        forced = self.forced_exercice()
        if forced is not None:
            return forced
        books = self.books()
        asked = request.args.get("exercice") or request.form.get("exercice")
        if asked:
            try:
                exercice = Exercice.parse(asked)
            except InvalidExerciceError:
                abort(404)
            if exercice not in books.exercices:
                abort(404)
            return exercice
        ended = [e for e in books.open_exercices if e.end < books.today]
        if ended:
            return ended[0]
        closed = sorted(books.closed)
        if closed:
            return closed[-1]
        return books.current or books.exercices[-1]

    def is_ad(self) -> bool:
        user = self.user
        return True if user is None else bool(user.is_ad)

    def source(self) -> CoopSource:
        books = self.books_for(self.exercice())  # a closed exercice: every one, loaded on demand
        return CoopSource.of_load(self._ad(), self.uai, books, list(self.ledger.errors))  # type: ignore[attr-defined]

    def _ad(self):
        from retkoop_tools.ad import AD

        return AD(self.ad_root, self.ad_config())

    def context(self) -> dict:
        exercice = self.exercice()
        source = self.source()
        books = source.books
        conditions = closing_conditions(books, exercice, len(source.errors), books.today,
                                        warnings=[w.message for w in source.warnings])
        crf = compute_crf(source, exercice)
        dossier = crf.dossier
        config = self.ad_config()
        try:
            questions = cra_module.questionnaire(config, exercice)
            cra_error = ""
        except cra_module.CRAError as exc:
            questions, cra_error = [], str(exc)
        answers = cra_module.load_answers(self.coop_dir, exercice)
        closed = exercice in books.closed
        return {
            "exercice": exercice,
            "exercices": books.exercices,
            "closed": closed,
            "conditions": conditions,
            "ready": not unmet(conditions),
            "crf": crf,
            "dossier": dossier,
            "verificateurs": dossier.verificateurs + [None] * max(0, 3 - len(dossier.verificateurs)),
            "qualites": QUALITES,
            "quitus_problems": quitus_problems(dossier, config.get("quitus")),
            "questions": questions,
            "answers": answers.valeurs if answers else {},
            "cra_error": cra_error,
            "can_write": self.can_write() and self.forced_exercice() is None,
            "is_ad": self.is_ad() and self.can_write(),
            "crf_stored": (self.coop_dir / cloture.crf_document_path(exercice)).exists(),
        }

    # -- documents (GET) ---------------------------------------------------------------------
    @extension_endpoint("crf", ["GET"])
    def crf_document(self):
        exercice = self.exercice()
        report = compute_crf(self.source(), exercice)
        html = render_html("crf.html", crf=report, ad=report.ad, coop=report.coop, genere_le=report.genere_le)
        if request.args.get("format") == "html":
            return download(html, f"crf-{self.uai}-{exercice}.html", HTML, inline=True)
        return download(html_to_pdf(html), f"crf-{self.uai}-{exercice}.pdf", PDF)

    @extension_endpoint("cra", ["GET"])
    def cra_document(self):
        exercice = self.exercice()
        books = self.books()
        coop = dict(books.identity, uai=self.uai)
        try:
            pdf = cra_module.cra_pdf(self.ad_config(), coop, exercice,
                                     cra_module.load_answers(self.coop_dir, exercice))
        except cra_module.CRAError as exc:
            abort(404, str(exc))
        return download(pdf, f"cra-{self.uai}-{exercice}.pdf", PDF)

    @extension_endpoint("export", ["GET"])
    def export(self):
        fmt = request.args.get("format", "xlsx")
        if fmt not in EXPORT_TYPES:
            abort(404)
        try:
            content, name = export_content(self.books_for(self.exercice()), self.exercice(), fmt,
                                           self.ad_config(), self.uai)
        except (InvalidSirenError, FecError) as exc:  # e.g. the AD's SIREN missing for the FEC
            page = (f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>Export impossible</title>'
                    f"<h1>Export impossible</h1><p>{escape(str(exc))}</p>"
                    f'<p><a href="{escape(request.path.rsplit("/", 2)[0])}/">Retour à la fin d\'exercice</a></p></html>')
            return Response(page, status=409, mimetype="text/html")
        return download(content, name, EXPORT_TYPES[fmt])

    # -- actions (POST) ----------------------------------------------------------------------
    def _refuse(self, message: str):
        return self.answer(Result(errors={"general": message}))

    @extension_endpoint("cloturer", ["POST"])
    def close(self):
        force = request.form.get("forcer") == "oui"
        if force and not self.is_ad():
            return self._refuse("Seule l'AD peut forcer une clôture.")
        return self.answer(cloture.close_exercice(self.store(), self.uai, self.exercice(), self.author(),
                                                  force=force, today=self.books().today))

    @extension_endpoint("rouvrir", ["POST"])
    def reopen(self):
        if not self.is_ad():
            return self._refuse("Seule l'AD peut rouvrir un exercice clôturé : écrivez-lui.")
        return self.answer(cloture.reopen_exercice(self.store(), self.uai, self.exercice(), self.author(),
                                                   request.form.get("motif", "")))

    @extension_endpoint("quitus", ["POST"])
    def quitus(self):
        verificateurs, errors = parse_verificateurs(request.form.getlist("nom"), request.form.getlist("qualite"))
        date = None
        if request.form.get("date", "").strip():
            try:
                date = parse_date(request.form["date"])
            except ValueError as exc:
                errors["date"] = str(exc)
        if errors:
            return self.answer(Result(errors=errors))
        return self.answer(cloture.save_quitus(self.store(), self.uai, self.exercice(), self.author(),
                                               verificateurs, date))

    @extension_endpoint("soumettre", ["POST"])
    def submit(self):
        return self.answer(cloture.submit_crf(self.store(), self.uai, self.exercice(), self.author(),
                                              rules=self.ad_config().get("quitus"), today=self.books().today))

    @extension_endpoint("verrouiller", ["POST"])
    def lock(self):
        if not self.is_ad():
            return self._refuse("Seule l'AD peut verrouiller un CRF.")
        return self.answer(cloture.lock_crf(self.store(), self.uai, self.exercice(), self.author()))

    @extension_endpoint("renvoyer", ["POST"])
    def send_back(self):
        if not self.is_ad():
            return self._refuse("Seule l'AD peut renvoyer un CRF.")
        return self.answer(cloture.send_back_crf(self.store(), self.uai, self.exercice(), self.author(),
                                                 request.form.get("motif", "")))

    @extension_endpoint("cra-enregistrer", ["POST"])
    def save_cra(self):
        form = {k: v for k, v in request.form.items() if k != "exercice"}
        return self.answer(cra_module.save_answers(self.store(), self.uai, self.exercice(), self.author(), form))
