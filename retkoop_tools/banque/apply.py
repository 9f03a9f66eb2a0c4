"""An import plan, with the teacher's choices, written as one validated commit.

Matched operations are ticked (`releve:`), proposed ones the teacher kept are created through
the Saisie form's own checks (so an imported operation obeys the same rules as a typed one),
and the statement's closing balance becomes the `custom "releve"` directive, with the file
itself kept among the coop's documents. Either everything is written, or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from beancount.core import data

from retkoop_tools.banque.matching import ImportPlan, Proposal
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import (
    CURRENCY,
    CUSTOM_RELEVE,
    META_LIBELLE_BANQUE,
    META_REF_BANQUE,
    META_RELEVE,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import DOCUMENTS_DIRNAME
from retkoop_tools.ledger.writer import format_entry, quote_string
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, _coop_dir, _write
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.editing import EditError, Edits
from retkoop_tools.tresorier.numbering import next_piece
from retkoop_tools.tresorier.operations import Form, build_operation, is_receipt

_TRAILING = re.compile(r"^(.*?)(\d+)$")


@dataclass
class Choice:
    """What the teacher decided for a proposed line."""

    create: bool = True
    code: str = ""  # chart code of the ventilation
    libelle: str = ""
    tiers: str = ""


def default_choice(proposal: Proposal) -> Choice:
    return Choice(create=not proposal.blocked, code=proposal.code, libelle=proposal.narration,
                  tiers=proposal.payee)


def _bump(piece: str) -> str:
    match = _TRAILING.match(piece)
    if not match:
        return piece + "1"
    prefix, digits = match.groups()
    return f"{prefix}{int(digits) + 1:0{len(digits)}d}"


@dataclass
class NewOperation:
    proposal: Proposal
    entry: data.Transaction  # with its tick, the line's reference and the bank's label
    exercice: Exercice


def new_operations(books: Books, plan: ImportPlan, choices: dict[str, Choice] | None = None
                   ) -> tuple[list[NewOperation], dict[str, str], list[str]]:
    """The operations to create, checked by the Saisie form's rules.

    Returns (operations, errors by line key, lines left out by the teacher)."""
    choices = choices or {}
    pieces: dict[tuple[Exercice, bool], str] = {}
    created: list[NewOperation] = []
    errors: dict[str, str] = {}
    left_out: list[str] = []
    for index, proposal in enumerate(plan.proposals, 1):
        line = proposal.line
        choice = choices.get(line.ref) or default_choice(proposal)
        where = f"Ligne du {fmt_date(line.date)} « {line.label} » ({fmt_eur(line.amount)})"
        if proposal.blocked:
            errors[f"ligne-{index}"] = f"{where} : {proposal.blocked}."
            continue
        if not choice.create:
            left_out.append(where)
            continue
        exercice = Exercice.of_date(line.date)
        receipt = is_receipt(proposal.kind, proposal.sens)
        key = (exercice, receipt)
        pieces[key] = _bump(pieces[key]) if key in pieces else next_piece(books.entries, exercice, books.numbering, receipt)
        form = Form(type=proposal.kind, date=fmt_date(line.date), piece=pieces[key],
                    libelle=(choice.libelle or line.label)[:200], tiers=choice.tiers, mode=proposal.mode,
                    cheque=line.cheque, montant=f"{abs(line.amount):.2f}".replace(".", ","),
                    comptes=[choice.code] if choice.code else [], sens=proposal.sens,
                    banque=plan.account)  # the statement's account, not the coop's default
        draft = build_operation(books, form)
        if not draft.ok:
            messages = " ".join(dict.fromkeys(re.sub(r"^Ligne \d+ : ", "", m) for m in draft.errors.values()))
            if not choice.code and proposal.kind in ("recette", "depense"):
                messages = "choisissez le compte (aucune opération semblable dans vos comptes)."
            errors[f"ligne-{index}"] = f"{where} : {messages}"
            continue
        entry = draft.entry
        meta = {**entry.meta, META_RELEVE: plan.date, META_REF_BANQUE: line.ref, META_LIBELLE_BANQUE: line.label}
        created.append(NewOperation(proposal, entry._replace(meta=meta), draft.exercice))
    return created, errors, left_out


def apply_import(store: Store, uai: str, books: Books, plan: ImportPlan, author: Author,
                 choices: dict[str, Choice] | None = None, source: tuple[str, bytes] | None = None) -> Result:
    """Write the plan. `choices` by line reference (default: every proposal as suggested);
    `source` is the statement file (name, bytes), kept in the coop's documents."""
    result = Result()
    if plan.already:
        result.message = plan.problems[0] if plan.problems else "Ce relevé est déjà importé : rien à faire."
        return result
    if plan.problems:
        result.errors["general"] = " ".join(plan.problems)
        return result
    created, errors, left_out = new_operations(books, plan, choices)
    result.errors.update(errors)
    if left_out:
        result.errors["general"] = (
            f"{len(left_out)} ligne(s) du relevé sans opération : " + " ; ".join(left_out)
            + ". Créez-les ici, ou saisissez-les (page Saisie) puis importez à nouveau : sinon le relevé "
            "ne tombe pas juste.")
    if result.errors:
        result.errors.setdefault("general", "Certaines lignes ne peuvent pas être créées : voyez le détail.")
        return result
    edits = Edits(_coop_dir(store, uai))
    date_text = plan.date.isoformat()
    for new in created:
        edits.insert(new.exercice, format_entry(new.entry))
    for match in plan.matches:
        edits.tick(match.op, plan.account, date_text)
        edits.set_meta(match.op.entry.meta, META_REF_BANQUE, quote_string(match.line.ref))
        edits.set_meta(match.op.entry.meta, META_LIBELLE_BANQUE, quote_string(match.line.label))
    for op in plan.openings:
        edits.tick(op, plan.account, date_text)
    lines = [f'{date_text} custom "{CUSTOM_RELEVE}" {plan.account} {plan.balance:.2f} {CURRENCY}',
             f"  banque: {quote_string(plan.statement.bank)}"]
    if plan.statement.account_hint:
        lines.append(f"  compte-banque: {quote_string(plan.statement.account_hint)}")
    if source is not None:
        name, content = source
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else "txt"
        suffix = suffix if suffix in ("ofx", "qfx", "csv", "xlsx", "qif", "zip") else "txt"  # never .html
        rel = f"{DOCUMENTS_DIRNAME}/{plan.account.replace(':', '/')}/{date_text}.releve-banque.{suffix}"
        edits.extra[rel] = content
        lines.append(f"  fichier: {quote_string(rel)}")
    try:
        edits.insert(Exercice.of_date(plan.date), "\n".join(lines) + "\n")
        changes = edits.changes()
    except EditError as exc:
        result.errors["general"] = str(exc)
        return result
    ticked = len(plan.matches) + len(plan.openings)
    message = (f"Import du relevé {plan.statement.bank} du {fmt_date(plan.date)} : solde {fmt_eur(plan.balance)}, "
               f"{ticked} opération(s) pointée(s), {len(created)} créée(s)")
    return _write(store, uai, changes, author, message, result)
