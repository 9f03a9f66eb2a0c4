"""Pointage: a bank statement, its balance, and the operations ticked on it.

The statement is typed (date, balance, boxes to tick) or imported from the bank's file (OFX
or CSV): the file is read and matched (`retkoop_tools.banque`), the teacher checks the
proposed new operations, and one click records everything. The same page plugs our
importers into Fava's own import page and records what is saved there the same way.
"""

from __future__ import annotations

import datetime
from http import HTTPStatus
from pathlib import Path

from fava.ext import FavaExtensionBase, extension_endpoint
from fava.json_api import json_err
from flask import abort, jsonify, request

from retkoop_tools.banque import fava_config
from retkoop_tools.banque.apply import Choice, apply_import, default_choice
from retkoop_tools.banque.formats import load_formats
from retkoop_tools.banque.importers import MARK_FILE, MARK_LINE, imports_dir
from retkoop_tools.banque.matching import plan_import
from retkoop_tools.banque.readers import read_statement
from retkoop_tools.banque.statement import StatementError
from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.actions import Result
from retkoop_tools.tresorier.books import DEPENSE, RECETTE
from retkoop_tools.tresorier.operations import ventilation_choices
from retkoop_tools.tresorier.pages import COMMITTED, _base
from retkoop_tools.tresorier.parsing import parse_amount


class Pointage(_base.Page, FavaExtensionBase):
    report_title = "Pointage"

    def context(self) -> dict:
        books = self.books()
        account = request.args.get("compte") or ""
        if account not in books.bank_accounts:
            account = books.bank_account or ""
        statements = books.statements(account)
        last = statements[-1] if statements else None
        default = books.default_date()
        return {
            "books": books,
            "account": account,
            "accounts": [(a, books.bank_label(a)) for a in books.bank_accounts],
            "statements": statements[-6:],
            "last": last,
            "ticked_before": books.ticked_total(account, datetime.date.max),
            "unticked": books.unticked(account),
            "default_date": self.date(default) if default else "",
            "banks": sorted(load_formats(self.ad_root).values(), key=lambda f: f.nom),
        }

    @extension_endpoint("enregistrer", ["POST"])
    def save(self):
        result = actions.record_statement(
            self.store(), self.uai, self.books(), date_text=request.form.get("date", ""),
            balance_text=request.form.get("solde", ""), ticked=request.form.getlist("operations"),
            author=self.author(), account=request.form.get("compte") or None,
            upload=self.upload("document"))
        return self.answer(result)

    # -- import of the bank's file -----------------------------------------------------------
    @extension_endpoint("importer", ["POST"])
    def import_statement(self):
        """`etape=lire`: the plan as an HTML fragment; `etape=enregistrer`: record it."""
        upload = self.upload("fichier")
        if upload is None:
            return self.answer(Result(errors={"fichier": "Choisissez le fichier du relevé (OFX ou CSV), "
                                                         "téléchargé sur le site de la banque."}))
        bank = request.form.get("banque") or None
        try:
            statement = read_statement(upload.content, upload.filename, load_formats(self.ad_root), bank)
        except StatementError as exc:
            return self.answer(Result(errors={"fichier": str(exc)}))
        balance = None
        if (request.form.get("solde_fichier") or "").strip():
            try:
                balance = parse_amount(request.form["solde_fichier"], allow_zero=True, allow_negative=True)
            except ValueError as exc:
                return self.answer(Result(errors={"solde_fichier": str(exc)}))
        books = self.books()
        plan = plan_import(books, statement, request.form.get("compte") or None, balance)
        if request.form.get("etape") != "enregistrer":
            html = self.jinja_env.get_template("_import_releve.html").render(
                extension=self, plan=plan, books=books,
                choices={kind: ventilation_choices(books, kind) for kind in (RECETTE, DEPENSE)})
            return jsonify({"ok": True, "html": html, "pret": plan.ok})
        choices = {}
        for proposal in plan.proposals:
            ref = proposal.line.ref
            choices[ref] = Choice(create=request.form.get(f"creer-{ref}") == "1",
                                  code=(request.form.get(f"compte-{ref}") or "").strip(),
                                  libelle=(request.form.get(f"libelle-{ref}") or "").strip(),
                                  tiers=(request.form.get(f"tiers-{ref}") or "").strip())
        result = apply_import(self.store(), self.uai, books, plan, self.author(), choices,
                              (upload.filename, upload.content))
        return self.answer(result)

    # -- Fava's own import page ------------------------------------------------------------
    def after_load_file(self) -> None:
        """Give Fava's import page our importers and this coop's own upload folder."""
        # Always ours: an import configuration is a Python file that Fava runs, so no ledger
        # file ever chooses it (the files' verification refuses Fava options anyway).
        options = self.ledger.fava_options  # type: ignore[attr-defined]
        options.import_config = fava_config.__file__
        options.import_dirs = [str(imports_dir(self.ad_root, self.uai))]
        self.ledger.ingest.load_file()  # type: ignore[attr-defined]

    def before_request(self) -> None:
        """Entries saved from Fava's import page are recorded by us, not written as they are."""
        if request.endpoint == "json_api.get_extract":
            # Fava reads whatever path it is given: only this coop's uploads may be read.
            asked = Path(request.args.get("filename", "")).resolve()
            if not asked.is_relative_to(imports_dir(self.ad_root, self.uai).resolve()):
                abort(_json_error("Ce fichier n'est pas un relevé déposé pour cette coopérative.", 403))
            return
        if request.method != "PUT" or request.endpoint != "json_api.put_add_entries":
            return
        payload = request.get_json(silent=True) or {}
        entries = [e for e in payload.get("entries") or [] if isinstance(e, dict)]
        if any(MARK_FILE in (e.get("meta") or {}) for e in entries):
            abort(self._save_fava_import(entries))

    def _save_fava_import(self, entries: list[dict]):
        folder = imports_dir(self.ad_root, self.uai).resolve()
        names = {str((e.get("meta") or {}).get(MARK_FILE, "")) for e in entries} - {""}
        path = (folder / Path(names.pop()).name).resolve() if len(names) == 1 else None
        if path is None or not path.is_relative_to(folder) or not path.is_file():
            return _json_error("Ce relevé n'est plus dans le dossier d'import : déposez-le à nouveau.", 400)
        if not self.can_write():
            return _json_error("Votre compte est en lecture seule.", 403)
        content = path.read_bytes()
        try:
            statement = read_statement(content, path.name, load_formats(self.ad_root))
        except StatementError as exc:
            return _json_error(str(exc), 400)
        books = self.books()
        plan = plan_import(books, statement)
        sent = {str(e["meta"].get(MARK_LINE)): e for e in entries
                if e.get("t") == "Transaction" and (e.get("meta") or {}).get(MARK_LINE)}
        choices = {}
        for proposal in plan.proposals:
            entry = sent.get(proposal.line.ref)
            choice = default_choice(proposal)
            if entry is None:
                choice.create = False
            else:
                choice.libelle = str(entry.get("narration") or choice.libelle)
                choice.tiers = str(entry.get("payee") or "")
                for posting in entry.get("postings") or []:
                    compte, _ = books.chart.lookup(str(posting.get("account", "")))
                    if compte is not None and compte.is_ventilation:
                        choice.code = compte.code
            choices[proposal.line.ref] = choice
        result = apply_import(self.store(), self.uai, books, plan, self.author(), choices, (path.name, content))
        if not result.ok:
            return _json_error(" ".join(dict.fromkeys(result.errors.values())), 400)
        request.environ[COMMITTED] = True
        path.unlink(missing_ok=True)  # kept in the coop's documents now
        response = jsonify({"data": result.message, "mtime": str(getattr(self.ledger, "mtime", ""))})
        return response


def _json_error(message: str, status: int):
    return json_err(message, HTTPStatus(status))
