"""The à-nouveaux: what the closed exercices hand to the open ones, so that these load alone.

A closed exercice is sealed: its entries cannot change without the AD reopening it. So the
open exercices need not be loaded after all the closed ones: they load after their *opening
state* as of the end of the last closed exercice `K`, computed once from a full load:

- `a_nouveaux`: synthetic transactions (file `<a-nouveaux>`) that bring every account to its
  balance at the end of `K`. The bank's part is split by the statements it was ticked on and
  ticked on the carried statements below, the caisse's by the carried cash counts, so that
  the pointage and cash count rules find the same totals as in a full load;
- `reports`: the real entries of the closed exercices that the open ones still work with
  (kept with their file and line): bank operations not ticked by the end of `K` (cheques
  issued not yet debited…), cheques received not yet deposited, the last versement of a régie
  not returned, and the statements and cash counts of `K`;
- `cheques`: the first use of every cheque number issued in the closed exercices (a number
  is used once, across years);
- `erreurs`: the errors of the closed exercices' files, as a full load gives them (those of
  the carried entries are found again by the open load);
- `fichiers`: the sha256 of each closed file and a hash of its ticks, so that a later load
  verifies cheaply that nothing but ticks of carried entries changed (a cheque of August
  ticked on September's statement is written in the closed file: the seal ignores ticks).

When something does not fit (a carried entry ticked on a statement that is not carried, an
account opened after the date it must be brought to…), `NotStandaloneError`: the coop is then
loaded in full, as before.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from beancount.core import data

from retkoop_tools.ledger.conventions import (
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_CLOTURE,
    CUSTOM_RELEVE,
    META_CHEQUE,
    META_MODE,
    META_NATURE,
    META_RELEVE,
    NATURES,
    NATURES_WITHOUT_TREASURY,
)
from retkoop_tools.ledger.digest import entry_fingerprint
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.writer import format_entry

#: The key of the options map under which a standalone load hands its state to the plugins.
OPTION_KEY = "retkoop_a_nouveaux"
#: The options map keys telling readers (pages, summaries) where the loaded entries start
#: (the first exercice loaded in full), and how many operations the closed ones hold.
OPEN_FROM_KEY = "retkoop_ouvert_depuis"
CLOSED_OPERATIONS_KEY = "retkoop_operations_closes"
#: The file name of the synthetic opening transactions.
SYNTHETIC_FILENAME = "<a-nouveaux>"
#: Bumped when the state's shape or meaning changes.
STATE_FORMAT = 4  # 4: the digest of the accounts up to the end of the closed exercices
ZERO = Decimal(0)

#: The rules that judge the days (or the pièces, the remises) of the closed exercices only when
#: they are loaded in full (`retkoop_plugins._common.judged_until`): their errors are kept with
#: the state even on a carried entry, which the open load does not judge again.
_JUDGED_AT_CLOSING = ("BankOverdraft", "CaisseLimit", "NegativeCaisse", "NegativeCheques", "RegieOverspent",
                      "RegieLimit", "DuplicatePiece", "RemiseMismatch")
#: The rules on a whole closed exercice that the open load computes again from the state's
#: `totaux` (they depend on files a closing does not seal, or on the days after it): not kept.
_FROM_TOTALS = ("RegieNotSettled", "NetSales", "AdhesionAmount")


def _rule_of(type_name: str) -> str:
    return type_name.removesuffix("Error").removesuffix("Warning")


class NotStandaloneError(Exception):
    """The open exercices cannot be loaded on their own: load the coop in full."""


class SealedCheque(NamedTuple):
    """The first use of a cheque number in a closed exercice, for the cheque rule's message."""

    date: datetime.date
    meta: dict


@dataclass
class PluginState:
    """What the rules of a standalone load know of the closed exercices (options map)."""

    fin: datetime.date  # the end of the last closed exercice
    cheques: dict[tuple[str, str], SealedCheque] = field(default_factory=dict)
    caisse_gaps: dict[str, Decimal] = field(default_factory=dict)  # last count's gap per caisse
    exercices: tuple = ()  # the closed exercices (Exercice), left out of the load
    #: per closed exercice (its name): what the rules on a whole exercice need of it (`_totals`)
    totaux: dict = field(default_factory=dict)


def plugin_state(options_map: dict) -> PluginState | None:
    state = options_map.get(OPTION_KEY)
    return state if isinstance(state, PluginState) else None


def is_synthetic(entry: Any) -> bool:
    return (entry.meta or {}).get("filename") == SYNTHETIC_FILENAME


# -- what the rules do with ticks and cheques, spelled out once for both sides ---------------
def counted_ticks(entry: data.Transaction, bank_accounts: set[str],
                  statements: set[tuple[str, datetime.date]]) -> dict[int, datetime.date]:
    """The bank postings (by index) whose tick the pointage rule counts, with their tick: the
    same tests as `retkoop_plugins.pointage` (a date, a statement of that account on that day,
    not before the operation, not two different ticks)."""
    result: dict[int, datetime.date] = {}
    txn_tick = entry.meta.get(META_RELEVE)
    if txn_tick is not None and not isinstance(txn_tick, datetime.date):
        return result
    for index, posting in enumerate(entry.postings):
        if posting.account not in bank_accounts or posting.units is None:
            continue
        post_tick = (posting.meta or {}).get(META_RELEVE)
        if post_tick is not None and txn_tick is not None and post_tick != txn_tick:
            continue
        tick = post_tick if post_tick is not None else txn_tick
        if not isinstance(tick, datetime.date) or (posting.account, tick) not in statements \
                or entry.date > tick:
            continue
        result[index] = tick
    return result


def valid_statements(entries: Iterable[Any], bank_accounts: set[str]) -> dict[tuple[str, datetime.date], Any]:
    """The statements the pointage rule accepts (the first one of an account and day)."""
    found: dict[tuple[str, datetime.date], Any] = {}
    for entry in entries:
        if not (isinstance(entry, data.Custom) and entry.type == CUSTOM_RELEVE):
            continue
        values = [getattr(v, "value", v) for v in entry.values or ()]
        if len(values) != 2 or not isinstance(values[0], str) or not (
                isinstance(values[1], data.Amount) and values[1].currency == "EUR"):
            continue
        if values[0] in bank_accounts and (values[0], entry.date) not in found:
            found[(values[0], entry.date)] = entry
    return found


def issued_cheque_key(entry: data.Transaction, chart) -> tuple[str, str] | None:
    """The (bank account, number) under which the cheque rule registers an issued cheque."""
    nature = entry.meta.get(META_NATURE)
    if (nature is not None and nature not in NATURES) or nature in NATURES_WITHOUT_TREASURY:
        return None
    number, mode = entry.meta.get(META_CHEQUE), entry.meta.get(META_MODE)
    if mode != "CHQ" or not isinstance(number, str) or not number:
        return None
    for posting in entry.postings:
        compte, _ = chart.lookup(posting.account)
        if compte is None or posting.units is None or posting.units.number is None:
            continue
        if compte.is_treasury and compte.type == "banque" and posting.units.number < 0:
            return (posting.account, number.strip())
    return None


def _tick_items(entry: data.Transaction, carried: bool, fin: datetime.date) -> list[str]:
    """The ticks of an entry that a later load must find unchanged (all of them, or for a
    carried entry those up to `fin`, its later ticks being free to change)."""
    fp = entry_fingerprint(entry)
    items = []
    values = [("", entry.meta.get(META_RELEVE))]
    values += [(p.account, (p.meta or {}).get(META_RELEVE)) for p in entry.postings]
    for account, tick in values:
        if tick is None:
            continue
        if carried and isinstance(tick, datetime.date) and tick > fin:
            continue
        items.append(f"{fp}|{account}|{tick!r}")
    return items


_MODULUS = 1 << 256


def _item_sum(items: Iterable[str]) -> int:
    return sum(int.from_bytes(hashlib.sha256(item.encode()).digest(), "big") for item in items) % _MODULUS


def ticks_sum(entries: Iterable[Any], carried_fps: Iterable[str], fin: datetime.date) -> int:
    """The ticks of some transactions, summed as a multiset hash (see `_tick_items`): a file's
    is the sum over its entries, so that a later closing can update it entry by entry. The
    carried entries are recognised by fingerprint (as a multiset)."""
    remaining: dict[str, int] = defaultdict(int)
    for fp in carried_fps:
        remaining[fp] += 1
    total = 0
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        fp = entry_fingerprint(entry)
        carried = remaining[fp] > 0
        if carried:
            remaining[fp] -= 1
        total += _item_sum(_tick_items(entry, carried, fin))
    return total % _MODULUS


def ticks_hash(entries: Iterable[Any], carried_fps: Iterable[str], fin: datetime.date) -> str:
    """`ticks_sum` as kept in a state (hexadecimal)."""
    return format(ticks_sum(entries, carried_fps, fin), "064x")


def file_sha(content: bytes | str) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(raw).hexdigest()


# -- computing the state from a full load ------------------------------------------------------
def _resolver():
    """`str(Path(name).resolve())`, once per distinct name (thousands of entries share a few)."""
    known: dict[str, str] = {}

    def resolved(name: str) -> str:
        if name not in known:
            known[name] = str(Path(name).resolve())
        return known[name]

    return resolved


def _rel(filename: str, coop_dir: Path) -> str:
    return _relative(str(filename), str(coop_dir))


@functools.lru_cache(maxsize=256)
def _relative(filename: str, coop_dir: str) -> str:
    try:
        return Path(filename).resolve().relative_to(Path(coop_dir).resolve()).as_posix()
    except ValueError:
        return filename


def _record(entry: Any, coop_dir: Path) -> dict[str, Any]:
    return {"fichier": _rel(str(entry.meta.get("filename", "")), coop_dir),
            "ligne": int(entry.meta.get("lineno") or 0),
            "empreinte": entry_fingerprint(entry),
            "texte": format_entry(entry)}


def closed_state(entries: list, errors: list, options: dict, coop_dir: Path, upto: Exercice, *,
                 texts: dict[str, str] | None = None, previous: dict[str, Any] | None = None,
                 previous_cheques: dict[tuple[str, str], SealedCheque] | None = None) -> dict[str, Any]:
    """The opening state of the exercices after `upto`, from a load of the coop.

    Either a full load, or — `previous` given — a standalone load on `previous`, the state up to
    the exercice before `upto` (its synthetic à-nouveaux then stand for the older exercices,
    `previous_cheques` is the cheque register that load used): a closing then costs what the
    open exercices cost. Both give the same state. `texts` gives the content a closed file will
    have once written (the closing adds the seal). Raises NotStandaloneError when the open
    exercices cannot load on this state.
    """
    from retkoop_plugins._common import ledger_chart

    from retkoop_tools.checks.messages import is_ours, to_french
    from retkoop_tools.checks.regles import level_of
    from retkoop_tools.tresorier.books import Books

    coop_dir = Path(coop_dir).resolve()
    texts = texts or {}
    fin = upto.end
    chart = ledger_chart(options)
    bank_accounts = {c.account for c in chart.accounts_of_type("banque")}
    caisse_accounts = {c.account for c in chart.accounts_of_type("caisse")}
    fonds = sorted((c for c in chart.comptes if c.rubrique.key == "fonds"), key=lambda c: c.code)
    if not fonds:
        raise NotStandaloneError("no fonds account in the chart")
    fonds_account = fonds[0].account
    if previous is not None and previous.get("exercice") != str(upto.previous()):
        raise NotStandaloneError("the previous state is not the one of the exercice before")

    resolved = _resolver()
    closed_files: dict[str, Exercice] = {}
    for path in options.get("include", []):
        exercice = Exercice.from_filename(path)
        if exercice is not None and exercice <= upto:
            closed_files[resolved(path)] = exercice
    upto_file = next((p for p, e in closed_files.items() if e == upto), None)

    def in_closed(entry: Any) -> bool:
        filename = (entry.meta or {}).get("filename")
        return bool(filename) and resolved(filename) in closed_files

    closed = [e for e in entries if in_closed(e)]
    for entry in closed:
        if isinstance(entry, (data.Transaction, data.Balance, data.Pad)) or (
                isinstance(entry, data.Custom) and entry.type in (CUSTOM_RELEVE, CUSTOM_ARRETE_CAISSE)):
            if entry.date > fin:
                raise NotStandaloneError("a closed file holds an entry dated after its exercice")
    statements = valid_statements(entries, bank_accounts)
    statement_keys = set(statements)

    # The closed transactions: with a previous state, its à-nouveaux stand for the older ones.
    transactions = [e for e in entries if isinstance(e, data.Transaction)
                    and (in_closed(e) or (previous is not None and is_synthetic(e)))]
    carried: dict[int, Any] = {}
    counted: dict[int, dict[int, datetime.date]] = {}
    for entry in transactions:
        ticks = counted_ticks(entry, bank_accounts, statement_keys)
        counted[id(entry)] = ticks
        for index, posting in enumerate(entry.postings):
            if posting.account in bank_accounts and posting.units is not None:
                tick = ticks.get(index)
                if tick is None or tick > fin:
                    if is_synthetic(entry):
                        raise NotStandaloneError("an à-nouveau is not ticked")
                    carried[id(entry)] = entry
                    break
    closed_books = Books(transactions, chart)
    for op in closed_books.pending_cheques():
        carried[id(op.entry)] = op.entry
    for regie in closed_books.regie_accounts:
        if closed_books.balance(regie, fin):
            versements = [op for op in closed_books.operations
                          if op.regie_account == regie and op.kind == "regie-versement"]
            if versements:
                carried[id(versements[-1].entry)] = versements[-1].entry
    if any(is_synthetic(e) for e in carried.values()):
        raise NotStandaloneError("an à-nouveau would be carried")

    # The statements and cash counts of `upto` (else the last one before), carried too.
    carried_statements: dict[str, list] = defaultdict(list)
    for (account, date), entry in sorted(statements.items(), key=lambda kv: kv[0][1]):
        if in_closed(entry) and date <= fin:
            carried_statements[account].append(entry)
    for account, found in carried_statements.items():
        mine = [s for s in found if upto.contains(s.date)]
        carried_statements[account] = mine or found[-1:]
    counts: dict[str, list] = defaultdict(list)
    for entry in closed:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_ARRETE_CAISSE:
            values = [getattr(v, "value", v) for v in entry.values or ()]
            if values and values[0] in caisse_accounts:
                counts[values[0]].append(entry)
    carried_counts: dict[str, list] = {}
    caisse_gaps: dict[str, str] = {}
    for account, found in counts.items():
        found.sort(key=data.entry_sortkey)
        mine = [c for c in found if upto.contains(c.date)] or found[-1:]
        carried_counts[account] = mine
        before = [c for c in found if data.entry_sortkey(c) < data.entry_sortkey(mine[0])]
        gap = _count_gap(before, transactions, account)
        if gap is None and previous is not None:  # the gap the older counts left
            gap = Decimal(previous.get("ecarts_caisse", {}).get(account, "0"))
        if gap:
            caisse_gaps[account] = str(gap)

    # A carried entry's tick up to `fin` must point to a carried statement.
    carried_days = {(a, s.date) for a, found in carried_statements.items() for s in found}
    for entry in carried.values():
        for index, tick in counted[id(entry)].items():
            if tick <= fin and (entry.postings[index].account, tick) not in carried_days:
                raise NotStandaloneError("a carried entry is ticked on a statement that is not carried")

    # The synthetic à-nouveaux: every account brought to its balance at `fin`, without the
    # carried entries; the bank split by the statements it was ticked on, the caisse by counts.
    opens = {e.account: e.date for e in entries if isinstance(e, data.Open)}
    by_date: dict[datetime.date, dict[tuple[str, str | None], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in transactions:
        if id(entry) in carried:
            continue
        for index, posting in enumerate(entry.postings):
            if posting.units is None or posting.units.number is None:
                raise NotStandaloneError("a posting without amount")
            if posting.cost is not None or posting.price is not None:
                raise NotStandaloneError("a posting with a cost or a price")
            account, number = posting.account, posting.units.number
            if account in bank_accounts:
                tick = counted[id(entry)][index]
                days = sorted(s.date for s in carried_statements.get(account, []))
                day = next((d for d in days if d >= tick), None)
                if day is None:
                    raise NotStandaloneError("a bank posting ticked after every carried statement")
                by_date[day][(account, day.isoformat())] += number
            else:
                totals[account] += number
    late: dict[str, Decimal] = defaultdict(Decimal)  # on `fin`, written after its count
    for account in caisse_accounts:
        # A count covers what the ledger's order puts before it: the operations of earlier
        # days, and those of its day written before it (`retkoop_plugins.arrete_caisse`).
        count_keys = sorted((data.entry_sortkey(c), c.date) for c in carried_counts.get(account, []))
        if not count_keys:
            continue
        for entry in transactions:
            if id(entry) in carried:
                continue
            key = data.entry_sortkey(entry)
            for posting in entry.postings:
                if posting.account == account:
                    day = next((d for k, d in count_keys if k > key), None)
                    if day is None and count_keys[-1][1] == fin:
                        late[account] += posting.units.number  # after the count of `fin`
                    else:
                        by_date[day or fin][(account, None)] += posting.units.number
        totals.pop(account, None)
    for account, number in totals.items():
        by_date[fin][(account, None)] += number
    late_lines = [(a, n, None) for a, n in sorted(late.items()) if n]
    late_fonds = -sum((n for _, n, _ in late_lines), ZERO)
    if late_lines:
        by_date[fin][(fonds_account, None)] -= late_fonds
    a_nouveaux = []
    carry_fonds = ZERO  # what the dated parts before `fin` put on the fonds account
    for day in sorted(by_date):
        lines = [(a, n, t) for (a, t), n in sorted(by_date[day].items()) if n]
        if day < fin:
            balance = -sum((n for _, n, _ in lines), ZERO)
            if balance:
                lines.append((fonds_account, balance, None))
                carry_fonds += balance
        else:
            merged: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
            for a, n, t in [*lines, (fonds_account, -carry_fonds, None)]:
                merged[(a, t)] += n
            lines = [(a, n, t) for (a, t), n in sorted(merged.items()) if n]
        for account, _number, _tick in lines:
            if account in opens and opens[account] > day:
                raise NotStandaloneError(f"{account} opened after {day}")
        if lines:
            a_nouveaux.append({"date": day.isoformat(),
                               "postings": [[a, str(n), t] for a, n, t in lines]})
    if late_lines:  # after the cash count of `fin`, as the operations it stands for
        lines = late_lines + ([(fonds_account, late_fonds, None)] if late_fonds else [])
        a_nouveaux.append({"date": fin.isoformat(), "apres_arrete": True,
                           "postings": [[a, str(n), t] for a, n, t in lines]})

    # The first use of each cheque number, when it is not carried (then it is loaded).
    first_cheques: dict[tuple[str, str], Any] = dict(previous_cheques or {})
    for entry in entries:  # in the order the rule sees them
        if isinstance(entry, data.Transaction) and not is_synthetic(entry):
            key = issued_cheque_key(entry, chart)
            if key is not None and key not in first_cheques:
                first_cheques[key] = entry
    previous_fps = {(r[0], r[1]): r[5] for r in (previous or {}).get("cheques", [])}
    cheques = []
    for (account, number), e in sorted(first_cheques.items()):
        if isinstance(e, SealedCheque):  # an older one, as the previous state knew it
            cheques.append([account, number, e.date.isoformat(), _rel(e.meta["filename"], coop_dir),
                            int(e.meta.get("lineno") or 0), previous_fps[(account, number)]])
        elif in_closed(e) and id(e) not in carried:
            cheques.append([account, number, e.date.isoformat(), _rel(e.meta["filename"], coop_dir),
                            int(e.meta.get("lineno") or 0), entry_fingerprint(e)])

    # The errors of the closed files, but those of the carried entries (found again).
    carried_lines = {(resolved(e.meta["filename"]), int(e.meta.get("lineno") or 0))
                     for e in [*carried.values(), *(s for f in carried_statements.values() for s in f),
                               *(c for f in carried_counts.values() for c in f)]}
    stored_errors = []
    seen_errors = set()
    for error in errors:
        source = error.source or {}
        filename = str(source.get("filename") or "")
        if not filename or filename.startswith("<"):
            continue
        key = (resolved(filename), int(source.get("lineno") or 0))
        rule = _rule_of(type(error).__name__)
        if key[0] not in closed_files or rule in _FROM_TOTALS or (
                key in carried_lines and rule not in _JUDGED_AT_CLOSING):
            continue
        message = error.message if is_ours(error) else to_french(str(error.message))
        record = {"fichier": _rel(filename, coop_dir), "ligne": key[1], "message": message,
                  "type": type(error).__name__, "niveau": level_of(error)}
        if (record["fichier"], record["ligne"], message) not in seen_errors:
            seen_errors.add((record["fichier"], record["ligne"], message))
            stored_errors.append(record)
    stored_errors.sort(key=lambda r: (r["fichier"], r["ligne"], r["message"]))

    # The seals, and what a later load checks of each closed file.
    seals = sorted((_record(e, coop_dir) for e in closed if isinstance(e, data.Custom) and e.type == CUSTOM_CLOTURE),
                   key=lambda r: r["fichier"])
    carried_by_file: dict[str, list[str]] = defaultdict(list)
    for entry in carried.values():
        carried_by_file[resolved(entry.meta["filename"])].append(entry_fingerprint(entry))
    by_file: dict[str, list] = defaultdict(list)
    for entry in closed:
        by_file[resolved(entry.meta["filename"])].append(entry)
    previous_carried: dict[str, list[str]] = defaultdict(list)
    for record in (previous or {}).get("reports", []):
        previous_carried[str(coop_dir / record["fichier"])].append(record["empreinte"])
    files: dict[str, dict[str, str]] = {}
    for path in sorted(closed_files):
        rel = _rel(path, coop_dir)
        content = texts.get(rel)
        if content is None:
            content = Path(path).read_bytes()
        in_file = by_file.get(path, [])
        if previous is None or path == upto_file:
            total = ticks_sum(in_file, carried_by_file.get(path, []), fin)
        else:  # the file's other entries are as the previous state knew them
            kept = int(previous["fichiers"][rel]["pointages"], 16)
            present = [e for e in in_file if isinstance(e, data.Transaction)]
            before_sum = ticks_sum(present, previous_carried.get(path, []), Exercice.parse(previous["exercice"]).end)
            total = (kept - before_sum + ticks_sum(present, carried_by_file.get(path, []), fin)) % _MODULUS
        files[rel] = {"sha256": file_sha(content), "pointages": format(total, "064x")}
    reports = [_record(e, coop_dir) for e in sorted(carried.values(), key=data.entry_sortkey)]
    reports += [_record(s, coop_dir) for found in carried_statements.values() for s in found]
    reports += [_record(c, coop_dir) for found in carried_counts.values() for c in found]
    mine = sum(1 for e in transactions if not is_synthetic(e)
               and (previous is None or resolved(e.meta["filename"]) == upto_file))
    totals = dict((previous or {}).get("totaux", {}))
    for exercice in sorted(set(closed_files.values())):
        if previous is None or exercice == upto:
            totals[str(exercice)] = _totals(exercice, transactions, chart, coop_dir, totals.get(str(exercice.previous())))
    # The links of the cheques received and deposited in the closed exercices, not loaded again:
    # an open exercice's remise naming one is judged by a full load.
    links = sorted({link for e in transactions if not is_synthetic(e) and id(e) not in carried
                    for link in (e.links or ()) for p in e.postings
                    if (chart.lookup(p.account)[0] is not None and chart.lookup(p.account)[0].type == "cheques")}
                   | set((previous or {}).get("liens", [])))
    return {
        "format": STATE_FORMAT,
        "exercice": str(upto),
        "fin": fin.isoformat(),
        "exercices": sorted({str(e) for e in closed_files.values()}),
        "operations": mine + (int(previous.get("operations", 0)) if previous is not None else 0),
        "fichiers": files,
        "clotures": seals,
        "a_nouveaux": a_nouveaux,
        "reports": reports,
        "cheques": cheques,
        "ecarts_caisse": caisse_gaps,
        "erreurs": stored_errors,
        "totaux": totals,
        "liens": links,
    }


def _where(entry: Any, coop_dir: Path) -> list:
    return [_rel(str(entry.meta.get("filename", "")), coop_dir), int(entry.meta.get("lineno") or 0),
            entry.date.isoformat()]


def _totals(exercice: Exercice, transactions: list, chart, coop_dir: Path, previous: dict | None) -> dict[str, Any]:
    """What the rules on a whole exercice need of a closed one (`retkoop_plugins.cessions`,
    `.adhesion`, `.regies`), computed as they compute it in a full load: its sales and purchases
    for resale and its first sale, its last operation, what it booked on 6281 and 6168 (first
    entry, entry of each pièce), each régie's balance at its end and the day money was last
    handed out (`previous`: the same of the exercice before, for a régie untouched since)."""
    from retkoop_tools.adhesion.model import CODE_ASSURANCE, CODE_COTISATION

    ventes = achats = ZERO
    first_sale = last_date = None
    booked = {CODE_COTISATION: ZERO, CODE_ASSURANCE: ZERO}
    first_on, pieces = None, {}
    moves: dict[str, list] = defaultdict(list)
    for entry in transactions:
        for posting in entry.postings:
            compte, _ = chart.lookup(posting.account)
            if compte is not None and compte.type == "regie" and posting.units is not None \
                    and posting.units.number is not None and entry.date <= exercice.end:
                moves[posting.account].append((entry.date, posting.units.number, entry))
        if not exercice.contains(entry.date) or entry.meta.get(META_NATURE) in NATURES_WITHOUT_TREASURY:
            continue
        last_date = entry.date if last_date is None or entry.date > last_date else last_date
        for posting in entry.postings:
            compte, _ = chart.lookup(posting.account)
            if compte is None or posting.units is None or posting.units.number is None:
                continue
            number = posting.units.number
            if compte.rubrique.key == "ventes-cession":
                ventes -= number
                if number < 0 and first_sale is None:
                    first_sale = entry
            elif compte.rubrique.key == "achats-cession":
                achats += number
            if compte.sens == "charge" and compte.code in booked:
                booked[compte.code] += number
                first_on = first_on or entry
                piece = entry.meta.get("piece")
                if isinstance(piece, str):
                    pieces[piece.strip().upper()] = _where(entry, coop_dir)
    regies = {}
    before = (previous or {}).get("regies", {})
    for account in sorted(set(moves) | set(before)):
        balance, day, last, handed, start = ZERO, None, None, None, None
        for date, number, entry in sorted(moves.get(account, []), key=lambda m: m[0]):
            if date != day:
                if day is not None and exercice.contains(day):
                    last = (day, last_entry)
                    if balance > start:
                        handed = last
                day, start = date, balance
            balance += number
            last_entry = entry
        if day is not None and exercice.contains(day):
            last = (day, last_entry)
            if balance > start:
                handed = last
        kept = before.get(account)
        if handed is not None:
            record = [*_where(handed[1], coop_dir)[:2], handed[0].isoformat(), True]
        elif kept is not None and (kept["versement"][3] or last is None):
            record = kept["versement"]
        elif last is not None:
            record = [*_where(last[1], coop_dir)[:2], last[0].isoformat(), False]
        else:
            continue
        regies[account] = {"solde": str(balance), "versement": record}
    return {"ventes": str(ventes), "achats": str(achats),
            "premiere_vente": _where(first_sale, coop_dir) if first_sale is not None else None,
            "derniere": last_date.isoformat() if last_date else None,
            "adhesion": {code: str(n) for code, n in booked.items()},
            "premiere_adhesion": _where(first_on, coop_dir) if first_on is not None else None,
            "pieces_adhesion": pieces, "regies": regies}


def _count_gap(counts: list, transactions: list, account: str) -> Decimal | None:
    """The gap of the last valid count among `counts`, as the cash count rule computes it
    (None: no valid count)."""
    from retkoop_plugins.arrete_caisse import count_total

    for entry in reversed(counts):
        total, problems = count_total(entry.meta)
        if problems:
            continue
        at = data.entry_sortkey(entry)  # what the ledger's order puts before the count
        book = sum((p.units.number for t in transactions if data.entry_sortkey(t) < at
                    for p in t.postings if p.account == account and p.units is not None), ZERO)
        return total - book
    return None
