"""What changed between two versions of a coop's books, entry by entry.

Entries are matched, not lines: an entry re-indented, moved or with its metadata reordered
is the same entry. Matching goes from the surest to the loosest:

1. same content (the closing seal's canonical form, ticks aside): unchanged — but a tick
   added or removed is reported as a pointage;
2. same pièce in the same exercice, or same directive on the same day: modified;
3. same day and same payee: modified;
4. what is left was added or deleted.
"""

from __future__ import annotations

import collections
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.parser import lexer
from beancount.parser.grammar import ValueType

from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.conventions import (
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_CLOTURE,
    CUSTOM_COOPERATIVE,
    CUSTOM_FAVA_EXTENSION,
    CUSTOM_FAVA_OPTION,
    CUSTOM_RELEVE,
    META_CHEQUE,
    META_MODE,
    META_PIECE,
    META_RELEVE,
)
from retkoop_tools.ledger.describe import describe, operation_amount
from retkoop_tools.ledger.digest import canonical_text
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.parsed import parse_text
from retkoop_tools.ledger.region import Region, changed_region


@dataclass
class Change:
    """One change in French: `kind` is ajout, modification, suppression, pointage, …"""

    kind: str
    date: datetime.date
    description: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"type": self.kind, "date": self.date.isoformat(), "description": self.description,
                "details": list(self.details)}


#: A declaration of a file (option, plugin, include…), followed as a pseudo-directive.
DECLARATION = "declaration"
_DECLARATION_TOKENS = {"OPTION": "option", "PLUGIN": "plugin", "INCLUDE": "include",
                       "PUSHTAG": "pushtag", "POPTAG": "poptag", "PUSHMETA": "pushmeta",
                       "POPMETA": "popmeta"}


def _declarations(text: str, filename: str, entries: list[Any]) -> list[Any]:
    """The file's options, plugins and includes, as Custom pseudo-entries (by Beancount's lexer)."""
    exercice = Exercice.from_filename(filename.rsplit("/", 1)[-1])
    dated = [e.date for e in entries if hasattr(e, "date")]
    date = exercice.start if exercice else (min(dated) if dated else datetime.date.today())
    tokens = list(lexer.lex_iter_string(text.encode("utf-8")))
    out = []
    for i, (kind, line, _raw, _value) in enumerate(tokens):
        if kind not in _DECLARATION_TOKENS:
            continue
        words = [_DECLARATION_TOKENS[kind]]
        for token in tokens[i + 1:]:
            if token[0] == "EOL":
                break
            words.append(f'"{token[3]}"' if token[0] == "STRING" else token[2].decode("utf-8", "replace"))
        out.append(data.Custom(data.new_metadata(filename, line), date, DECLARATION,
                               [ValueType(" ".join(words), str)]))
    return out


def parse_entries(text: str, filename: str = "<git>") -> list[Any]:
    """The entries of one ledger file that the history follows: every directive, and the
    file's declarations (options, plugins, includes)."""
    entries, _errors, _options = parse_text(text, filename)
    followed = [e for e in entries if not _is_insert_marker(e)]
    return followed + _declarations(text, filename, entries)


def _is_insert_marker(entry: Any) -> bool:
    """Fava's insertion marker at the end of each exercice file: layout, not bookkeeping."""
    return (isinstance(entry, data.Custom) and entry.type == CUSTOM_FAVA_OPTION
            and bool(entry.values) and entry.values[0].value == "insert-entry")


def _ticks(entry: Any) -> dict[str, datetime.date]:
    """Ticks of an operation: `*` for the whole operation, or the account of a posting."""
    if not isinstance(entry, data.Transaction):
        return {}
    ticks = {}
    if isinstance(entry.meta.get(META_RELEVE), datetime.date):
        ticks["*"] = entry.meta[META_RELEVE]
    for posting in entry.postings:
        tick = (posting.meta or {}).get(META_RELEVE)
        if isinstance(tick, datetime.date):
            ticks[posting.account] = tick
    return ticks


def _identity(entry: Any) -> tuple | None:
    if isinstance(entry, data.Transaction):
        piece = entry.meta.get(META_PIECE)
        if piece is not None:
            return ("piece", Exercice.of_date(entry.date), str(piece).strip().upper())
        return None
    if isinstance(entry, data.Custom):
        first = entry.values[0].value if entry.values else None
        return ("custom", entry.type, entry.date, str(first))
    if isinstance(entry, data.Open):
        return ("open", entry.account)
    return None


def _loose(entry: Any) -> tuple | None:
    if isinstance(entry, data.Transaction):
        return ("txn", entry.date, entry.payee or "", entry.narration or "")
    return None


def _postings(entry: data.Transaction) -> str:
    lines = collections.defaultdict(lambda: 0)
    for p in entry.postings:
        number = getattr(p.units, "number", None)
        if isinstance(number, Decimal):
            lines[p.account] += number
    return ", ".join(f"{acc} {fmt_eur(n)}" for acc, n in sorted(lines.items()))


def _details(old: Any, new: Any) -> list[str]:
    if not (isinstance(old, data.Transaction) and isinstance(new, data.Transaction)):
        before, after = describe(old), describe(new)
        return [f"{before} → {after}"] if before != after else ["métadonnées modifiées"]
    out = []

    def compare(label: str, a: Any, b: Any, fmt=str) -> None:
        if a != b:
            out.append(f"{label} : {fmt(a) if a is not None else '—'} → {fmt(b) if b is not None else '—'}")

    compare("date", old.date, new.date, fmt_date)
    compare("pièce", old.meta.get(META_PIECE), new.meta.get(META_PIECE))
    compare("tiers", old.payee, new.payee)
    compare("libellé", old.narration, new.narration)
    compare("montant", operation_amount(old), operation_amount(new), fmt_eur)
    compare("mode", old.meta.get(META_MODE), new.meta.get(META_MODE))
    compare("chèque", old.meta.get(META_CHEQUE), new.meta.get(META_CHEQUE))
    if _postings(old) != _postings(new):
        out.append(f"comptes : {_postings(old)} → {_postings(new)}")
    compare("étiquettes", ", ".join(sorted(old.tags)) or None, ", ".join(sorted(new.tags)) or None)
    return out or ["autres informations modifiées"]


_KINDS = {data.Open: "compte", data.Close: "fermeture", data.Note: "note", data.Document: "document",
          data.Balance: "solde", data.Pad: "directive", data.Event: "directive", data.Query: "directive",
          data.Price: "directive", data.Commodity: "directive"}


def _kind_of_added(entry: Any) -> str:
    if isinstance(entry, data.Custom):
        return {CUSTOM_RELEVE: "relevé", CUSTOM_ARRETE_CAISSE: "arrêté de caisse",
                CUSTOM_CLOTURE: "clôture", DECLARATION: "déclaration", CUSTOM_FAVA_OPTION: "déclaration",
                CUSTOM_FAVA_EXTENSION: "déclaration", CUSTOM_COOPERATIVE: "déclaration",
                }.get(entry.type, "directive")
    return _KINDS.get(type(entry), "ajout")


def _label(kind: str) -> str:
    return {
        "ajout": "Opération ajoutée", "suppression": "Opération supprimée",
        "modification": "Opération modifiée", "relevé": "Relevé enregistré",
        "arrêté de caisse": "Caisse comptée", "clôture": "Exercice clos", "compte": "Compte ouvert",
        "pointage": "Opération pointée", "dépointage": "Pointage retiré",
        "fermeture": "Compte fermé", "note": "Note ajoutée", "document": "Document ajouté",
        "solde": "Solde (report à nouveau) ajouté", "directive": "Directive ajoutée",
        "déclaration": "Déclaration ajoutée",
    }[kind]


def diff_entries(old: list[Any], new: list[Any]) -> list[Change]:
    """The changes from `old` to `new` (each a list of parsed entries)."""
    changes: list[Change] = []
    by_text: dict[str, list[Any]] = collections.defaultdict(list)
    for entry in old:
        by_text[canonical_text(entry)].append(entry)
    unmatched_new = []
    for entry in new:
        bucket = by_text.get(canonical_text(entry))
        if bucket:
            before = bucket.pop()
            changes.extend(_tick_changes(before, entry))
        else:
            unmatched_new.append(entry)
    unmatched_old = [e for bucket in by_text.values() for e in bucket]

    for keyer in (_identity, _loose):
        index: dict[tuple, list[Any]] = collections.defaultdict(list)
        for entry in unmatched_old:
            key = keyer(entry)
            if key is not None:
                index[key].append(entry)
        still_new = []
        for entry in unmatched_new:
            key = keyer(entry)
            if key is not None and index.get(key):
                before = index[key].pop(0)
                unmatched_old.remove(before)
                if isinstance(entry, data.Transaction):
                    label = _label("modification")
                else:
                    label = f"{_label(_kind_of_added(entry))}, modifié"
                changes.append(Change("modification", entry.date, f"{label} : {describe(entry)}",
                                      _details(before, entry)))
                changes.extend(_tick_changes(before, entry))
            else:
                still_new.append(entry)
        unmatched_new = still_new

    for entry in unmatched_new:
        kind = _kind_of_added(entry)
        changes.append(Change(kind, entry.date, f"{_label(kind)} : {describe(entry)}"))
    for entry in unmatched_old:
        kind = _kind_of_added(entry)
        if kind == "déclaration":
            changes.append(Change(kind, entry.date, f"Déclaration retirée : {describe(entry)}"))
            continue
        label = "Opération supprimée" if isinstance(entry, data.Transaction) else "Supprimé"
        changes.append(Change("suppression", entry.date, f"{label} : {describe(entry)}"))
    declared = [c for c in changes if c.kind == "déclaration"]
    if len(declared) > 3:  # a new coop, or its header rewritten: one line
        changes = [c for c in changes if c.kind != "déclaration"]
        changes.append(Change("déclaration", min(c.date for c in declared),
                              f"En-tête des livres : {len(declared)} déclarations ajoutées ou retirées "
                              "(options, règles OCCE, pages, fichiers inclus)"))
    opened = [c for c in changes if c.kind == "compte"]
    if len(opened) > 3:  # a new coop, or the chart regenerated: one line, not thirty
        changes = [c for c in changes if c.kind != "compte"]
        changes.append(Change("compte", min(c.date for c in opened),
                              f"{len(opened)} comptes ouverts (plan comptable de l'AD)"))
    changes.sort(key=lambda c: (c.date, c.kind, c.description))
    return changes


def diff_texts(old_text: str, new_text: str, filename: str) -> list[Change]:
    """`diff_entries(parse_entries(old_text, filename), parse_entries(new_text, filename))`:
    the changes between two texts of one ledger file, found in the region the edit changed
    when that gives the same changes (an exercice file, see `_region_is_enough`)."""
    region = None
    if Exercice.from_filename(filename.rsplit("/", 1)[-1]) is not None:
        region = changed_region(old_text, new_text, filename)
    if region is None or not _region_is_enough(region):
        return diff_entries(parse_entries(old_text, filename), parse_entries(new_text, filename))
    return diff_entries([e for e in region.old if not _is_insert_marker(e)],
                        [e for e in region.new if not _is_insert_marker(e)])


def _region_is_enough(region: Region) -> bool:
    """Whether `diff_entries` of the region's entries gives what it gives of the whole texts.

    Around the region, the two texts hold the same entries (and, in an exercice file, the same
    declarations, dated from the file's name): in the whole diff each of them is matched by
    its content with one of the same content, and no change comes of it, unless an entry of
    the region has the content of one around it (it might be matched with that one), or two
    entries around it have the same content but other ticks (matched crosswise, the whole diff
    reports a pointage). The region alone is then not enough."""
    inside = [e for e in (*region.old, *region.new) if not _is_insert_marker(e)]
    if any(isinstance(e, data.Custom) and e.type == DECLARATION for e in inside):
        return False
    outside = [e for e in region.outside if not _is_insert_marker(e)]
    kinds = {(type(e), e.date) for e in inside}
    texts = {canonical_text(e) for e in inside}
    if any((type(e), e.date) in kinds and canonical_text(e) in texts for e in outside):
        return False
    alike: dict[tuple, list[Any]] = collections.defaultdict(list)
    for entry in outside:
        if isinstance(entry, data.Transaction):
            alike[(entry.date, entry.payee, entry.narration)].append(entry)
    for group in alike.values():
        if len(group) > 1:
            ticks: dict[str, dict] = {}
            for entry in group:
                if ticks.setdefault(canonical_text(entry), _ticks(entry)) != _ticks(entry):
                    return False
    return True


def _tick_changes(old: Any, new: Any) -> list[Change]:
    before, after = _ticks(old), _ticks(new)
    if before == after:
        return []
    out = []
    for account, date in after.items():
        if before.get(account) != date:
            out.append(Change("pointage", new.date,
                              f"{_label('pointage')} : {describe(new)}, sur le relevé du {fmt_date(date)}"))
    for account, date in before.items():
        if account not in after:
            out.append(Change("dépointage", new.date,
                              f"{_label('dépointage')} : {describe(new)} (relevé du {fmt_date(date)})"))
    return out
