"""The treasurer's actions, written through the store: one action, one commit, or nothing.

Each action checks its fields (French message per field), builds the file changes as text
and hands them to the store, which checks the OCCE rules on the result, writes atomically
and commits with the teacher as author. When the rules refuse, the message comes back on
the form and no file changes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.chart import Compte
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import (
    CURRENCY,
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_RELEVE,
    DENOMINATIONS,
    ECART_CAISSE_ACCOUNTS,
    META_DOCUMENT,
    META_MODE,
    META_NATURE,
    META_PIECE,
    NATURE_ECART_CAISSE,
)
from retkoop_tools.ledger.describe import describe
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import DOCUMENTS_DIRNAME, LayoutError, regie_changes
from retkoop_tools.ledger.writer import format_entry
from retkoop_tools.policy.documents import MAX_DOCUMENT
from retkoop_tools.policy.documents import document_kind as kind_of_content
from retkoop_tools.policy.writes import Scope
from retkoop_tools.store.store import Author, RuleViolationError, Store, StoreError
from retkoop_tools.tresorier.books import Books, CashCount
from retkoop_tools.tresorier.editing import EditError, Edits
from retkoop_tools.tresorier.numbering import next_piece
from retkoop_tools.tresorier.operations import Form, build_operation, date_refusal
from retkoop_tools.tresorier.parsing import parse_amount, parse_date


@dataclass
class Upload:
    filename: str
    content: bytes


@dataclass
class Result:
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    commit: str | None = None
    opened: str = ""  # the exercice this action opened first (the rentrée), in French
    warnings: list[str] = field(default_factory=list)  # avertissements the save added, in French


    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        message = f"{self.opened} {self.message}".strip() if self.opened and self.ok else self.message
        if self.ok and self.warnings:
            message = f"{message.rstrip('.')}. Attention : " + " ".join(self.warnings)
        return {"ok": self.ok, "erreurs": self.errors, "message": message, "commit": self.commit,
                "ouvert": self.opened, "avertissements": self.warnings}


def commit_result(store: Store, uai: str, changes: dict, author: Author, message: str,
                  result: Result, scope: Scope = Scope.RECORDS) -> Result:
    """One store write of our own records or actions into `result`: its commit, or the French
    reason it was refused."""
    added: list = []
    try:
        result.commit = store.write(uai, changes, author, message, scope=scope, warnings=added)
    except RuleViolationError as exc:
        result.errors["general"] = "Refusé par les règles OCCE : " + " ".join(e.message for e in exc.errors)
    except StoreError as exc:
        result.errors["general"] = str(exc)
    if result.ok:
        result.message = message
        result.warnings += [w.message for w in added]
    return result


def _coop_dir(store: Store, uai: str) -> Path:
    return store.root / LEDGERS_DIRNAME / uai


def document_kind(upload: Upload) -> str | None:
    """The file's type from its first bytes (not from its name): pdf, jpg, png or None."""
    return kind_of_content(upload.content)


def _check_upload(upload: Upload | None, key: str, errors: dict[str, str]) -> str | None:
    if upload is None or not upload.content:
        return None
    if len(upload.content) > MAX_DOCUMENT:
        errors[key] = f"Le fichier fait plus de {MAX_DOCUMENT // (1024 * 1024)} Mo : réduisez la photo ou le PDF."
        return None
    kind = document_kind(upload)
    if kind is None:
        errors[key] = (f"« {upload.filename} » n'est ni un PDF, ni une photo JPEG ou PNG : "
                       "enregistrez le justificatif dans l'un de ces formats.")
    return kind


def _document_path(account: str, date: datetime.date, name: str, kind: str) -> str:
    """Where Beancount's documents option finds it, attached to `account`."""
    return f"{DOCUMENTS_DIRNAME}/{account.replace(':', '/')}/{date.isoformat()}.{name}.{kind}"


def _write(store: Store, uai: str, changes: dict, author: Author, message: str, result: Result,
           field_hints: dict[str, str] | None = None) -> Result:
    added: list = []
    try:
        result.commit = store.write(uai, changes, author, message, expected=getattr(changes, "originals", None),
                                    warnings=added)
    except RuleViolationError as exc:
        messages = [e.message for e in exc.errors]
        result.errors["general"] = "Enregistrement refusé : " + " ".join(messages)
        for word, key in (field_hints or {}).items():
            if any(word in m.lower() for m in messages):
                result.errors.setdefault(key, result.errors["general"])
    except (StoreError, EditError) as exc:
        result.errors["general"] = str(exc)
    if result.ok:
        result.message = message
        result.warnings += [w.message for w in added]
    return result


def ensure_open(store: Store, uai: str, books: Books, exercice: Exercice, author: Author,
                result: Result) -> bool:
    """Open the current exercice when its first operation is recorded (the rentrée): True when
    the exercice has its file (it had, or it now has), else the reason is in `result`."""
    if exercice in books.exercices:
        return True
    from retkoop_tools.tresorier.rentree import open_exercice

    opened = open_exercice(store, uai, exercice, author, books.today)
    if not opened.ok:
        result.errors.update(opened.errors)
        return False
    result.opened = opened.message
    return True


_OPERATION_HINTS = {"caisse serait négative": "montant", "pièce": "piece", "chèque": "cheque",
                    "régie": "regie"}


def save_operation(store: Store, uai: str, books: Books, form: Form, author: Author,
                   upload: Upload | None = None) -> Result:
    """Record (or correct, with `form.remplace`) one operation of the Saisie form."""
    result = Result()
    draft = build_operation(books, form)
    result.errors.update(draft.errors)
    kind = _check_upload(upload, "justificatif", result.errors)
    if not draft.ok or result.errors:
        return result
    assert draft.entry is not None and draft.exercice is not None
    counted = _count_after(books, draft.entry) if draft.replaces is None else None
    if counted is not None:
        result.errors["date"] = (
            f"La caisse a été comptée le {fmt_date(counted.date)}, après le {fmt_date(draft.entry.date)} : une "
            "opération en espèces de cette date fausserait cet arrêté de caisse. Vérifiez la date : une opération "
            "se date du jour où elle a eu lieu (celles du jour d'un arrêté, saisies après lui, comptent pour la suite).")
        return result
    if not ensure_open(store, uai, books, draft.exercice, author, result):
        return result
    coop_dir = _coop_dir(store, uai)
    edits = Edits(coop_dir)
    entry = draft.entry
    if kind and upload is not None:
        ventilated = [p.account for p in entry.postings
                      if (compte := books.chart.by_account.get(p.account)) and compte.is_ventilation]
        target = ventilated[0] if ventilated else entry.postings[0].account
        rel = _document_path(target, entry.date, entry.meta["piece"], kind)
        edits.extra[rel] = upload.content
        entry = entry._replace(meta={**entry.meta, META_DOCUMENT: rel})
    if draft.regie_teacher:
        try:
            _account, comptes = regie_changes(store.root, coop_dir, draft.regie_teacher, entry.date)
        except LayoutError as exc:
            result.errors["enseignant"] = str(exc)
            return result
        edits.extra.update(comptes)
    text = format_entry(entry)
    old = draft.replaces
    try:
        if old is not None and Exercice.from_filename(old.filename) == draft.exercice:
            edits.replace(old.entry.meta, text)
        else:
            if old is not None:
                edits.remove(old.entry.meta)
            edits.insert(draft.exercice, text)
        changes = edits.changes()
    except EditError as exc:
        result.errors["general"] = str(exc)
        return result
    verb = "Correction" if old is not None else "Saisie"
    message = f"{verb} {describe(entry)}"
    return _write(store, uai, changes, author, message, result, _OPERATION_HINTS)


def _count_after(books: Books, entry) -> CashCount | None:
    """The first arrêté de caisse that a new operation moving the caisse would contradict:
    one dated after the operation (the day's own count was made before it)."""
    moved = sum((p.units.number for p in entry.postings if p.account == books.caisse_account and p.units), Decimal(0))
    if not moved:
        return None
    return next((c for c in books.cash_counts() if c.date > entry.date), None)


def delete_operation(store: Store, uai: str, books: Books, op_id: str, author: Author) -> Result:
    result = Result()
    op = books.get(op_id)
    if op is None:
        result.errors["general"] = "Cette opération a changé entre-temps : rechargez la page."
        return result
    exercice = Exercice.of_date(op.date)
    if exercice in books.closed:
        result.errors["general"] = f"L'exercice {exercice} est clôturé : ses opérations ne se suppriment plus."
        return result
    edits = Edits(_coop_dir(store, uai))
    try:
        edits.remove(op.entry.meta)
        changes = edits.changes()
    except EditError as exc:
        result.errors["general"] = str(exc)
        return result
    return _write(store, uai, changes, author, f"Suppression {describe(op.entry)}", result)


def record_statement(store: Store, uai: str, books: Books, *, date_text: str, balance_text: str,
                     ticked: list[str], author: Author, account: str | None = None,
                     upload: Upload | None = None) -> Result:
    """A bank statement: its closing balance, and the operations found on it."""
    result = Result()
    errors = result.errors
    account = account or books.bank_account or ""
    if account not in books.bank_accounts:
        errors["compte"] = "Choisissez le compte bancaire du relevé."
        return result
    try:
        date = parse_date(date_text)
    except ValueError as exc:
        errors["date"] = str(exc)
        date = None
    try:
        balance = parse_amount(balance_text, allow_zero=True, allow_negative=True)
    except ValueError as exc:
        errors["solde"] = str(exc)
        balance = None
    if date is not None:
        problem = date_refusal(books, date)
        if date > books.today:
            errors["date"] = f"Le {fmt_date(date)} est dans le futur."
        elif problem:
            errors["date"] = problem
        elif any(s.date == date and s.account == account for s in books.statements(account)):
            errors["date"] = f"Le relevé du {fmt_date(date)} est déjà saisi."
    ops = []
    for op_id in ticked:
        op = books.get(op_id)
        if op is None or not op.on(account) or op.releve_on(account) is not None:
            errors["operations"] = "Une des opérations cochées a changé ou est déjà pointée : rechargez la page."
            break
        if date is not None and op.date > date:
            errors["operations"] = (f"L'opération {op.piece} du {fmt_date(op.date)} est postérieure au relevé "
                                    f"du {fmt_date(date)} : elle ne peut pas y figurer.")
            break
        ops.append(op)
    kind = _check_upload(upload, "document", errors)
    if errors or date is None or balance is None:
        return result
    gap = balance - books.ticked_total(account, date) - sum((op.on(account) for op in ops), Decimal(0))
    if gap != 0:
        errors["ecart"] = (f"Écart de {fmt_eur(gap)} entre le relevé et les opérations pointées : "
                           "cochez les opérations qui figurent sur le relevé, et elles seules, "
                           "ou vérifiez le solde saisi.")
        return result
    exercice = Exercice.of_date(date)
    if not ensure_open(store, uai, books, exercice, author, result):
        return result
    edits = Edits(_coop_dir(store, uai))
    meta: dict = {}
    if kind and upload is not None:
        rel = _document_path(account, date, "releve", kind)
        edits.extra[rel] = upload.content
        meta[META_DOCUMENT] = rel
    lines = [f'{date.isoformat()} custom "{CUSTOM_RELEVE}" {account} {balance:.2f} {CURRENCY}']
    lines += [f'  {key}: "{value}"' for key, value in meta.items()]
    try:
        for op in ops:
            edits.tick(op, account, date.isoformat())
        edits.insert(exercice, "\n".join(lines) + "\n")
        changes = edits.changes()
    except EditError as exc:
        errors["general"] = str(exc)
        return result
    message = f"Pointage du relevé du {fmt_date(date)} : solde {fmt_eur(balance)}, {len(ops)} opération(s) pointée(s)"
    return _write(store, uai, changes, author, message, result)


def cash_count_total(counts: dict[str, int]) -> Decimal:
    return sum((DENOMINATIONS[k] * n for k, n in counts.items()), Decimal(0))


def ecart_comptes(books: Books, ad_config: dict | None = None) -> dict[str, Compte | None]:
    """The chart accounts of an écart de caisse: `manque` (a charge) and `excedent` (a produit),
    as the AD names them in ad.yaml (`arrete_caisse:`), else charges and produits exceptionnels."""
    named = {**ECART_CAISSE_ACCOUNTS, **((ad_config or {}).get("arrete_caisse") or {})}
    result: dict[str, Compte | None] = {}
    for key, sens in (("manque", "charge"), ("excedent", "produit")):
        compte = books.chart.by_code.get(str(named.get(key, "")))
        result[key] = compte if compte is not None and compte.is_ventilation and compte.sens == sens else None
    return result


def ecart_entry(books: Books, date: datetime.date, gap: Decimal, compte: Compte) -> str:
    """The operation that books an écart de caisse found by the count of `date` (gap: counted − books)."""
    exercice = Exercice.of_date(date)
    piece = next_piece(books.entries, exercice, books.numbering, receipt=gap > 0)
    caisse = books.caisse_account or ""
    amount = abs(gap)
    lines = [f'{date.isoformat()} * "Écart de caisse constaté à l\'arrêté du {fmt_date(date)}"',
             f'  {META_PIECE}: "{piece}"', f'  {META_NATURE}: "{NATURE_ECART_CAISSE}"', f'  {META_MODE}: "ESP"']
    if gap > 0:  # more money than the books: a produit
        lines += [f"  {caisse}  {amount:.2f} {CURRENCY}", f"  {compte.account}  {-amount:.2f} {CURRENCY}"]
    else:
        lines += [f"  {compte.account}  {amount:.2f} {CURRENCY}", f"  {caisse}  {-amount:.2f} {CURRENCY}"]
    return "\n".join(lines) + "\n"


def record_cash_count(store: Store, uai: str, books: Books, *, date_text: str, counts: dict[str, str],
                      author: Author, ecart: bool = False, ad_config: dict | None = None) -> Result:
    """An arrêté de caisse: how many notes and coins of each kind were counted.

    The count compares with the caisse's book balance now, at the end of the operations
    recorded up to its day. A gap is refused (recount, or record the forgotten operation),
    unless `ecart`: the gap that remains is then booked as an écart de caisse, just before
    the count, which then equals the books."""
    result = Result()
    errors = result.errors
    try:
        date = parse_date(date_text)
    except ValueError as exc:
        errors["date"] = str(exc)
        date = None
    if date is not None:
        problem = date_refusal(books, date)
        done = books.counted_on(date)
        if date > books.today:
            errors["date"] = f"Le {fmt_date(date)} est dans le futur : on compte la caisse le jour même."
        elif problem:
            errors["date"] = problem
        elif done is not None:
            errors["date"] = (f"La caisse a déjà été comptée le {fmt_date(date)} ({fmt_eur(done.total)} comptés) : "
                              "un arrêté par jour. Indiquez la date du nouveau comptage.")
    numbers: dict[str, int] = {}
    for key in DENOMINATIONS:
        text = (counts.get(key) or "").strip()
        if not text:
            continue
        if not text.isdigit():
            errors[key] = f"« {text} » : indiquez un nombre de billets ou de pièces (0, 1, 2…)."
            continue
        if int(text):
            numbers[key] = int(text)
    if errors or date is None:
        return result
    account = books.caisse_account or ""
    total = cash_count_total(numbers)
    book = books.balance(account, date)
    gap = total - book
    later = [c for c in books.cash_counts() if c.date > date]
    if later:
        errors["date"] = (f"La caisse a déjà été comptée après le {fmt_date(date)}, le {fmt_date(later[0].date)} : "
                          "un arrêté se saisit le jour du comptage, après le précédent.")
        return result
    edits = Edits(_coop_dir(store, uai))
    text = ""
    if gap and not ecart:
        errors["ecart"] = (f"Écart de {fmt_eur(gap)} : {fmt_eur(total)} comptés, {fmt_eur(book)} dans les comptes. "
                           "Recomptez, ou saisissez d'abord l'opération en espèces oubliée ; si l'écart demeure, "
                           "enregistrez-le comme écart de caisse.")
        return result
    if gap:
        compte = ecart_comptes(books, ad_config)["excedent" if gap > 0 else "manque"]
        if compte is None:
            errors["ecart"] = ("Le plan comptable n'a pas le compte d'écart de caisse que l'AD indique "
                               "(arrete_caisse: dans ad.yaml) : prévenez l'AD.")
            return result
        text = ecart_entry(books, date, gap, compte)
    meta = {k: numbers[k] for k in DENOMINATIONS if k in numbers}
    lines = [f'{date.isoformat()} custom "{CUSTOM_ARRETE_CAISSE}" {account}']
    lines += [f"  {k}: {n}" for k, n in meta.items()]
    if not ensure_open(store, uai, books, Exercice.of_date(date), author, result):
        return result
    try:
        if text:
            edits.insert(Exercice.of_date(date), text)
        edits.insert(Exercice.of_date(date), "\n".join(lines) + "\n")
        changes = edits.changes()
    except EditError as exc:
        errors["general"] = str(exc)
        return result
    verdict = "juste" if not gap else f"écart de caisse {fmt_eur(gap)} enregistré en {compte.code} {compte.libelle}"
    message = f"Arrêté de caisse du {fmt_date(date)} : {fmt_eur(total)} comptés ({verdict})"
    return _write(store, uai, changes, author, message, result)
