"""The Saisie form: what a teacher fills in, checked field by field, turned into an operation.

`build_operation(books, form)` returns a `Draft`: the operation's Beancount entry and the
other files it needs (a new régie opens its account), or the errors, one French message per
field, naming what to fix. Nothing here writes: `actions` hands a valid draft to the store,
whose plugins have the last word.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from beancount.core import data

from retkoop_tools.chart import Compte
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import (
    CURRENCY,
    META_CHEQUE,
    META_DOCUMENT,
    META_MODE,
    META_NATURE,
    META_PIECE,
    META_RELEVE,
    MODES,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.policy.text import MARKUP
from retkoop_tools.tresorier.books import (
    DEPENSE,
    KIND_LABELS,
    RECETTE,
    REGIE_JUSTIFICATION,
    REGIE_RESTITUTION,
    REGIE_VERSEMENT,
    REMISE,
    VIREMENT,
    Books,
    Operation,
)
from retkoop_tools.tresorier.numbering import STYLE_CONTINUE, next_cheque, next_piece
from retkoop_tools.tresorier.parsing import parse_amount, parse_date

KINDS = (RECETTE, DEPENSE, VIREMENT, REMISE, REGIE_VERSEMENT, REGIE_JUSTIFICATION, REGIE_RESTITUTION)
CAISSE_TO_BANK, BANK_TO_CAISSE, BANK_TO_BANK = "caisse-banque", "banque-caisse", "banque-banque"
NEW_REGIE = "nouvelle"
_TAG_RE = re.compile(r"[^a-z0-9]+")


@dataclass
class Form:
    """What the Saisie form sends (all text, as typed)."""

    type: str = ""
    date: str = ""
    piece: str = ""
    libelle: str = ""
    tiers: str = ""
    mode: str = ""
    cheque: str = ""
    montant: str = ""
    comptes: list[str] = field(default_factory=list)  # ventilation: chart codes…
    montants: list[str] = field(default_factory=list)  # …and their amounts
    projet: str = ""
    sens: str = ""  # virement interne: caisse-banque, banque-caisse or banque-banque
    cheques: list[str] = field(default_factory=list)  # remise: ids of the cheques deposited
    regie: str = ""  # régie account, or "nouvelle"
    enseignant: str = ""  # the teacher of a new régie
    remplace: str = ""  # id of the operation being corrected
    banque: str = ""  # the coop's bank account, when it has two (else its only one)
    vers: str = ""  # virement banque-banque: the account credited (`banque` is the one debited)

    @classmethod
    def from_multidict(cls, form) -> Form:
        """From Flask's `request.form` (lists for the repeated fields)."""
        single = {k: (form.get(k) or "").strip() for k in (
            "type", "date", "piece", "libelle", "tiers", "mode", "cheque", "montant", "projet",
            "sens", "regie", "enseignant", "remplace", "banque", "vers")}
        return cls(**single, comptes=[c.strip() for c in form.getlist("compte")],
                   montants=[m.strip() for m in form.getlist("ventilation")],
                   cheques=[c.strip() for c in form.getlist("cheques") if c.strip()])


@dataclass
class Draft:
    """A checked operation, or the reasons it cannot be written."""

    errors: dict[str, str] = field(default_factory=dict)
    entry: data.Transaction | None = None
    exercice: Exercice | None = None
    regie_teacher: str | None = None  # a régie to open with this operation
    replaces: Operation | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.entry is not None


def project_tag(text: str) -> str:
    """"Classe de découverte" → "classe-de-decouverte" (tags are ASCII in Beancount)."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _TAG_RE.sub("-", ascii_).strip("-")


def is_receipt(kind: str, sens: str = "") -> bool:
    """Which series an operation's pièce belongs to (R or D)."""
    return kind in (RECETTE, REMISE, REGIE_RESTITUTION) or (kind == VIREMENT and sens not in (BANK_TO_CAISSE, BANK_TO_BANK))


def suggestions(books: Books, kind: str = DEPENSE, sens: str = "") -> dict[str, str]:
    """What the form suggests: the next pièce of the series and the next cheque."""
    exercice = books.current
    piece = next_piece(books.entries, exercice, books.numbering, is_receipt(kind, sens)) if exercice else ""
    return {"piece": piece, "cheque": next_cheque(books.entries, books.bank_accounts)}


def ventilation_choices(books: Books, kind: str) -> list[Compte]:
    sens = "produit" if kind == RECETTE else "charge"
    return [c for c in books.chart.ventilation_comptes() if c.sens == sens]


def build_operation(books: Books, form: Form) -> Draft:
    draft = Draft()
    errors = draft.errors
    kind = form.type
    if kind not in KINDS:
        errors["type"] = "Choisissez le type d'opération (recette, dépense, virement interne, remise, régie)."
        return draft
    if form.remplace:
        draft.replaces = books.get(form.remplace)
        if draft.replaces is None:
            errors["remplace"] = ("L'opération à corriger a changé entre-temps (une autre saisie ?) : "
                                  "rechargez la page et recommencez.")
            return draft

    date = _date(books, form, errors)
    amount = _amount(form.montant, "montant", errors) if kind != REMISE else None
    libelle = form.libelle or _default_label(books, kind, form)
    if not libelle:
        errors["libelle"] = "Écrivez le libellé : ce qui a été acheté ou reçu, par exemple « Achat de peinture »."
    for key in ("libelle", "tiers", "enseignant", "projet"):
        value = getattr(form, key)
        if MARKUP.search(value) or any(ord(c) < 32 for c in value):
            errors[key] = ("Les caractères « < », « > » et les caractères de contrôle ne sont pas acceptés : "
                           "écrivez par exemple « moins de 5 ans » plutôt que « <5 ans ».")
    piece = form.piece.strip()
    if not piece:
        errors["piece"] = "Indiquez le numéro de pièce, reporté sur le justificatif."
    elif not re.fullmatch(r"[A-Za-z0-9-]{1,12}", piece):
        errors["piece"] = f"« {piece} » : un numéro de pièce s'écrit avec des lettres et des chiffres (D12, R03, 27)."
    elif books.numbering != STYLE_CONTINUE and not re.fullmatch(r"[RDrd]\d+", piece):
        errors["piece"] = f"« {piece} » : cette coopérative numérote R01, R02… les recettes et D01, D02… les dépenses."
    elif date:
        piece = piece.upper()
        other = _same_piece(books, Exercice.of_date(date), piece, draft.replaces)
        if other:
            better = next_piece(books.entries, Exercice.of_date(date), books.numbering, is_receipt(kind, form.sens))
            errors["piece"] = (f"La pièce {piece} est déjà utilisée par l'opération du {fmt_date(other.date)} "
                               f"« {other.label} » : prenez {better}.")

    meta: dict = {META_PIECE: piece}
    tags = frozenset({project_tag(form.projet)} - {""}) if form.projet else frozenset()
    if form.projet and not tags:
        errors["projet"] = "Le projet s'écrit avec des lettres ou des chiffres, par exemple « classe-verte »."
    links: set[str] = set()
    postings: list[tuple[str, Decimal]] = []
    bank = _bank_account(books, form, draft.replaces, errors)
    caisse, cheques_account = books.caisse_account, books.cheques_account
    mode = form.mode.upper()

    if kind in (RECETTE, DEPENSE):
        if mode not in MODES:
            errors["mode"] = "Choisissez le mode de paiement : chèque, espèces, virement, carte ou prélèvement."
        lines = _ventilation(books, form, kind, amount, errors)
        if mode in MODES:
            meta[META_MODE] = mode
            if kind == RECETTE:
                treasury = {"ESP": caisse, "CHQ": cheques_account}.get(mode, bank)
                if mode == "CHQ" and piece and date:
                    links.add(f"chq-{Exercice.of_date(date).start_year}-{piece}".lower())
                if form.cheque and mode == "CHQ":  # the payer's cheque number, for the remise
                    meta[META_CHEQUE] = form.cheque
                postings = [(treasury, amount or Decimal(0))] + [(c.account, -v) for c, v in lines]
            else:
                treasury = caisse if mode == "ESP" else bank
                if mode == "CHQ":
                    _issued_cheque(books, form, draft.replaces, errors, meta)
                postings = [(c.account, v) for c, v in lines] + [(treasury, -(amount or Decimal(0)))]
    elif kind == VIREMENT:
        meta[META_NATURE] = "virement"
        meta[META_MODE] = "ESP"
        if form.sens == CAISSE_TO_BANK:
            postings = [(bank, amount), (caisse, -(amount or 0))]
        elif form.sens == BANK_TO_CAISSE:
            postings = [(caisse, amount), (bank, -(amount or 0))]
        elif form.sens == BANK_TO_BANK:
            meta[META_MODE] = "VIR"
            target = _target_bank_account(books, form, bank, draft.replaces, errors)
            postings = [(target, amount), (bank, -(amount or 0))]
        else:
            errors["sens"] = "Choisissez le sens du virement : de la caisse vers la banque, ou l'inverse."
    elif kind == REMISE:
        meta[META_NATURE] = "remise"
        meta[META_MODE] = "CHQ"
        chosen = _remise(books, form, date, draft.replaces, errors)
        total = sum((op.cheques for op in chosen), Decimal(0))
        if form.montant and chosen:
            typed = _amount(form.montant, "montant", errors)
            if typed is not None and typed != total:
                errors["montant"] = (f"Les chèques choisis font {fmt_eur(total)}, pas {fmt_eur(typed)} : "
                                     "cochez les chèques du bordereau de remise.")
        for op in chosen:
            links.update(op.links or {f"chq-{Exercice.of_date(op.date).start_year}-{op.piece}".lower()})
        postings = [(bank, total), (cheques_account, -total)]
    else:  # régie
        account = _regie_account(books, form, kind, draft, errors)
        balance = books.balance(account) if account and account in books.regie_accounts else Decimal(0)
        if draft.replaces is not None and draft.replaces.regie_account == account:
            balance -= draft.replaces.regie
        regie = next((r for r in books.regies() if r.account == account), None)
        if not form.tiers:  # the cahier and the history name the teacher
            form.tiers = form.enseignant if form.regie == NEW_REGIE else (regie.teacher if regie else "")
        if kind == REGIE_VERSEMENT:
            meta[META_NATURE] = "regie"
            if mode not in ("CHQ", "ESP"):
                errors["mode"] = "Une régie se verse par chèque ou en espèces."
            else:
                meta[META_MODE] = mode
                if mode == "CHQ":
                    _issued_cheque(books, form, draft.replaces, errors, meta)
                source = bank if mode == "CHQ" else caisse
                postings = [(account, amount), (source, -(amount or 0))]
            if account and date:
                links.add(f"regie-{account.rsplit(':', 1)[-1].lower()}-{date:%Y%m%d}")
        else:
            if regie is None or (balance <= 0 and not errors.get("regie")):
                errors.setdefault("regie", "Cette régie n'a rien à justifier ni à restituer : choisissez la bonne régie.")
            elif amount is not None and amount > balance:
                errors["montant"] = (f"La régie de {regie.teacher} ne détient que {fmt_eur(balance)} : "
                                     f"le montant ne peut pas dépasser ce reste.")
            if regie is not None and regie.link:
                links.add(regie.link)
            meta[META_MODE] = "ESP"
            if kind == REGIE_JUSTIFICATION:
                lines = _ventilation(books, form, DEPENSE, amount, errors)
                postings = [(c.account, v) for c, v in lines] + [(account, -(amount or 0))]
            else:
                meta[META_NATURE] = "regie"
                postings = [(caisse, amount), (account, -(amount or 0))]

    if draft.replaces is not None:  # a correction keeps the tick and the justificatif
        for key in (META_RELEVE, META_DOCUMENT):
            if key in draft.replaces.entry.meta:
                meta[key] = draft.replaces.entry.meta[key]
    if errors or date is None:
        return draft
    if any(account is None for account, _ in postings):
        errors["type"] = "Le plan comptable de l'AD n'a pas le compte de trésorerie que demande cette opération."
        return draft
    draft.exercice = Exercice.of_date(date)
    draft.entry = data.Transaction(
        meta, date, "*", form.tiers or None, libelle, tags, frozenset(links),
        [data.Posting(account, data.Amount(value, CURRENCY), None, None, None, None)
         for account, value in postings],
    )
    return draft


# -- fields ------------------------------------------------------------------------------------
def _bank_account(books: Books, form: Form, replaces: Operation | None, errors: dict[str, str]) -> str | None:
    """The bank account the operation moves: the one chosen, the corrected operation's, or the
    coop's default (its only one)."""
    if form.banque:
        if form.banque in books.bank_accounts:
            return form.banque
        errors["banque"] = "Choisissez le compte bancaire de l'opération dans la liste."
        return None
    if replaces is not None and replaces.bank_account in books.bank_accounts:
        return replaces.bank_account
    return books.bank_account


def _target_bank_account(books: Books, form: Form, source: str | None, replaces: Operation | None,
                         errors: dict[str, str]) -> str | None:
    """The account a transfer between the coop's bank accounts credits: the one chosen, the
    corrected transfer's, or the coop's other account (when it has exactly two)."""
    if len(books.bank_accounts) < 2:
        errors["sens"] = ("La coopérative n'a qu'un compte bancaire : un virement d'un compte à l'autre "
                          "demande deux comptes (banque et chèques postaux).")
        return None
    others = [a for a in books.bank_accounts if a != source]
    if form.vers:
        if form.vers not in books.bank_accounts:
            errors["vers"] = "Choisissez dans la liste le compte bancaire qui reçoit le virement."
            return None
        if form.vers == source:
            errors["vers"] = (f"Le virement part du compte « {books.bank_label(source)} » : choisissez "
                              "l'autre compte pour le recevoir.")
            return None
        return form.vers
    if replaces is not None:
        credited = [a for a, v in replaces.banks.items() if v > 0 and a in others]
        if credited:
            return credited[0]
    if len(others) == 1:
        return others[0]
    errors["vers"] = "Choisissez le compte bancaire qui reçoit le virement."
    return None


def _date(books: Books, form: Form, errors: dict[str, str]) -> datetime.date | None:
    try:
        date = parse_date(form.date)
    except ValueError as exc:
        errors["date"] = str(exc)
        return None
    problem = date_refusal(books, date)
    if problem:
        errors["date"] = problem
        return None
    return date


def date_refusal(books: Books, date: datetime.date) -> str | None:
    """Why an operation, statement or count dated `date` cannot be recorded today, and what
    to do (in French); None when it can (in an open exercice, or in the current one, which
    the first operation opens)."""
    exercice = Exercice.of_date(date)
    if date > books.today:
        return f"Le {fmt_date(date)} est dans le futur : une opération se saisit une fois faite."
    if exercice in books.closed:
        return (f"Le {fmt_date(date)} est dans l'exercice {exercice}, qui est clôturé : on n'y ajoute plus rien."
                + (f" Si l'opération est en fait de {books.current}, corrigez la date ; si c'est un oubli de "
                   f"{exercice}, demandez à l'AD de rouvrir l'exercice (avec le motif)." if exercice != books.current
                   else ""))
    if books.writable(exercice):
        return None
    opened = ", ".join(f"{e} ({fmt_date(e.start)} – {fmt_date(e.end)})" for e in books.open_exercices)
    if books.exercices and exercice < books.exercices[0]:
        first = books.exercices[0]
        return (f"Le {fmt_date(date)} n'est pas dans un exercice ouvert : l'exercice ouvert est {opened}. Cette date "
                f"est avant le premier exercice de la coopérative ({first}) : les soldes d'avant sont dans son "
                "ouverture ; vérifiez la date.")
    return (f"Le {fmt_date(date)} n'est pas dans un exercice ouvert"
            + (f" : l'exercice ouvert est {opened}" if opened else "")
            + f". L'exercice {exercice} n'a pas de fichier : demandez à l'AD de l'ouvrir, ou vérifiez la date.")


def _amount(text: str, key: str, errors: dict[str, str]) -> Decimal | None:
    try:
        return parse_amount(text)
    except ValueError as exc:
        errors[key] = str(exc)
        return None


def _default_label(books: Books, kind: str, form: Form) -> str:
    if kind == VIREMENT and form.sens == BANK_TO_BANK:
        source = form.banque or books.bank_account or ""
        target = form.vers or next((a for a in books.bank_accounts if a != source), "")
        if source and target:
            return f"Virement {books.bank_short_label(source)} → {books.bank_short_label(target)}"
    return {
        VIREMENT: "Versement d'espèces à la banque" if form.sens == CAISSE_TO_BANK else "Retrait d'espèces",
        REMISE: "Remise de chèques à la banque",
        REGIE_VERSEMENT: "Versement de la régie d'avance",
        REGIE_RESTITUTION: "Restitution du reliquat de la régie",
    }.get(kind, "")


def _same_piece(books: Books, exercice: Exercice, piece: str, replaces: Operation | None) -> Operation | None:
    for op in books.operations:
        if op is not replaces and exercice.contains(op.date) and op.piece.strip().upper() == piece:
            return op
    return None


def _ventilation(books: Books, form: Form, kind: str, amount: Decimal | None,
                 errors: dict[str, str]) -> list[tuple[Compte, Decimal]]:
    choices = {c.code: c for c in books.chart.ventilation_comptes()}
    wanted = "produit" if kind == RECETTE else "charge"
    lines: list[tuple[Compte, Decimal]] = []
    rows = list(itertools.zip_longest(form.comptes, form.montants, fillvalue=""))
    rows = [(c, m) for c, m in rows if c or m]
    if len(rows) == 1 and not rows[0][1] and amount is not None:
        rows = [(rows[0][0], str(amount))]  # one account: the whole amount
    if not rows:
        errors["ventilation"] = ("Ventilez l'opération : choisissez au moins un compte "
                                 + ("de produits (7…)." if wanted == "produit" else "de charges (6…)."))
        return lines
    for index, (code, text) in enumerate(rows, 1):
        compte = choices.get(code)
        if compte is None:
            errors[f"ventilation-{index}"] = f"Ligne {index} : choisissez un compte dans la liste."
            continue
        if compte.sens != wanted:
            errors[f"ventilation-{index}"] = (
                f"Ligne {index} : {compte.code} {compte.libelle} est un compte de "
                f"{'charges' if compte.sens == 'charge' else 'produits'} ; une "
                f"{'recette' if wanted == 'produit' else 'dépense'} se ventile sur un compte de "
                f"{'produits (7…)' if wanted == 'produit' else 'charges (6…)'}.")
            continue
        try:
            lines.append((compte, parse_amount(text)))
        except ValueError as exc:
            errors[f"ventilation-{index}"] = f"Ligne {index} : {exc}"
    if amount is not None and lines and not any(k.startswith("ventilation") for k in errors):
        total = sum((v for _, v in lines), Decimal(0))
        if total != amount:
            diff = amount - total
            errors["ventilation"] = (
                f"La ventilation fait {fmt_eur(total)} pour un montant de {fmt_eur(amount)} : "
                + (f"il manque {fmt_eur(diff)}." if diff > 0 else f"il y a {fmt_eur(-diff)} de trop."))
    return lines


def _issued_cheque(books: Books, form: Form, replaces: Operation | None, errors: dict[str, str],
                   meta: dict) -> None:
    number = form.cheque.strip()
    if not number:
        suggestion = next_cheque(books.entries, books.bank_accounts)
        errors["cheque"] = "Indiquez le numéro du chèque émis" + (
            f" (le suivant du chéquier est {suggestion})." if suggestion else ".")
        return
    if not re.fullmatch(r"[0-9A-Za-z-]{1,20}", number):
        errors["cheque"] = f"« {number} » : un numéro de chèque s'écrit en chiffres, comme sur le talon."
        return
    for op in books.operations:
        if op is not replaces and op.cheque == number and op.mode == "CHQ" and op.bank < 0:
            errors["cheque"] = (f"Le chèque n° {number} a déjà été émis le {fmt_date(op.date)} "
                                f"pour « {op.label} » : vérifiez le numéro sur le talon.")
            return
    meta[META_CHEQUE] = number


def _remise(books: Books, form: Form, date: datetime.date | None, replaces: Operation | None,
            errors: dict[str, str]) -> list[Operation]:
    pending = {op.id: op for op in books.pending_cheques()}
    if replaces is not None:  # its own cheques stay choosable
        for op in books.operations:
            if op.cheques > 0 and set(op.links) & set(replaces.links):
                pending[op.id] = op
    if not form.cheques:
        errors["cheques"] = "Cochez les chèques que vous déposez à la banque."
        return []
    chosen = []
    for op_id in form.cheques:
        op = pending.get(op_id)
        if op is None:
            errors["cheques"] = "Un des chèques cochés a déjà été remis, ou a changé : rechargez la page."
            return []
        if date and op.date > date:
            errors["cheques"] = (f"Le chèque de « {op.label} » est reçu le {fmt_date(op.date)}, "
                                 "après la date de la remise.")
        chosen.append(op)
    return chosen


def _regie_account(books: Books, form: Form, kind: str, draft: Draft, errors: dict[str, str]) -> str | None:
    if form.regie == NEW_REGIE and kind == REGIE_VERSEMENT:
        from retkoop_tools.chart import ChartError, sub_account_name

        if not form.enseignant:
            errors["enseignant"] = "Écrivez le nom de l'enseignant qui reçoit la régie."
            return None
        try:
            account = f"{books.regie_parent}:{sub_account_name(form.enseignant)}"
        except ChartError as exc:
            errors["enseignant"] = str(exc)
            return None
        if account in books.regie_accounts:
            return account  # already opened: use it
        draft.regie_teacher = form.enseignant
        return account
    if form.regie not in books.regie_accounts:
        errors["regie"] = "Choisissez la régie (l'enseignant qui l'a reçue)" + (
            ", ou « Nouvelle régie »." if kind == REGIE_VERSEMENT else ".")
        return None
    return form.regie


def form_from_operation(books: Books, op: Operation) -> dict:
    """The Saisie form filled in from an operation, to correct it."""
    values = {
        "type": op.kind, "date": fmt_date(op.date), "piece": op.piece, "libelle": op.narration,
        "tiers": op.payee, "mode": op.mode, "cheque": op.cheque, "montant": str(op.amount).replace(".", ","),
        "projet": op.tags[0] if op.tags else "", "remplace": op.id,
        "lignes": [{"compte": c.code, "montant": str(v).replace(".", ",")} for c, v in op.ventilation],
        "sens": "", "regie": op.regie_account or "", "cheques": [],
        "banque": op.bank_account or books.bank_account or "", "vers": "",
    }
    if op.kind == VIREMENT and op.caisse == 0 and len(op.banks) > 1:  # from one bank account to the other
        values["sens"] = BANK_TO_BANK
        values["banque"] = next((a for a, v in op.banks.items() if v < 0), values["banque"])
        values["vers"] = next((a for a, v in op.banks.items() if v > 0), "")
    elif op.kind == VIREMENT:
        values["sens"] = CAISSE_TO_BANK if op.bank > 0 else BANK_TO_CAISSE
    if op.kind == REMISE:
        values["cheques"] = [o.id for o in books.operations
                             if o.cheques > 0 and o.kind != REMISE and set(o.links) & set(op.links)]
    return values


__all__ = ["KINDS", "KIND_LABELS", "Form", "Draft", "build_operation", "suggestions",
           "form_from_operation", "ventilation_choices", "project_tag", "is_receipt"]
