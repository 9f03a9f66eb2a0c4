"""Loading a coop's books: the open exercices on their own, after the closed ones' à-nouveaux.

A coop keeps ten years of exercices; all but one or two are closed and sealed. Loading them
all on every save, every Fava reload, every check would make a coop's tenth year cost ten
times its first. So `load_books` loads:

- `coop.beancount`, `comptes.beancount` and the exercices after the last closed one `K`
  (every exercice up to `K` being sealed), parsed from the disk or from the texts a write is
  about to put there;
- the opening state of `K` (`anouveaux.closed_state`): kept by the closing in
  `cloture-<K>.json` beside the books, or computed once from a full load and kept in the
  local cache; trusted only while every closed file is the one it was computed on — same
  bytes, or (a tick of a carried cheque) same seal and same ticks but the carried ones — and
  the accounts up to the end of `K` are the same (`accounts_digest`);
- then Beancount's booking, our rules and Beancount's validation, as `loader.load_file`.

The errors are those of a full load: the open exercices' found again, the closed ones' kept
with the state. Anything unusual — an exercice reopened, a seal broken, a closed file changed
otherwise than by a tick, a state that does not apply — and the coop is loaded in full, as
before (`load_full`, which `load_coop` remains).

Each load is remembered in the process under the content of the coop's files, so the load
done to check a write is the one Fava shows after it (one Beancount load per save).
"""

from __future__ import annotations

import collections
import datetime
import functools
import hashlib
import json
import os
import pickle
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data
from beancount.parser import parser

from retkoop_tools.ad import COOP_FILENAME, find_ad_root
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.cache import SUMMARY_FILENAME
from retkoop_tools.fsutil import file_digest
from retkoop_tools.ledger import anouveaux, booking
from retkoop_tools.ledger.anouveaux import NotStandaloneError, PluginState, SealedCheque
from retkoop_tools.ledger.conventions import (
    CUSTOM_CLOTURE,
    CUSTOM_FAVA_OPTION,
    META_RELEVE,
)
from retkoop_tools.ledger.digest import entries_digest, entry_fingerprint
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import COMPTES_FILENAME, ROOT_OPTIONS
from retkoop_tools.ledger.parsed import parse_text
from retkoop_tools.ledger.sealed_errors import error_type
from retkoop_tools.policy.files import UnsafeLedgerError, scan_file, verify_coop_dir

__all__ = ["Loaded", "load_books", "load_full", "results_filename", "UnsafeLedgerError"]

_SEAL_BYTES_RE = re.compile(rb'^\d{4}-\d{2}-\d{2} custom "cloture" "(\d{4}-\d{4})" "([0-9a-f]*)"', re.M)
_SEAL_MARK = b' custom "cloture" '


def _seal_lines(content: bytes) -> list[re.Match]:
    """The seal lines of a file's bytes: the few lines holding the marker, not the whole
    text through a regular expression (a closed file is read on every load)."""
    found, at = [], content.find(_SEAL_MARK)
    while at >= 0:
        start = content.rfind(b"\n", 0, at) + 1
        match = _SEAL_BYTES_RE.match(content, start)
        if match is not None:
            found.append(match)
        at = content.find(_SEAL_MARK, at + len(_SEAL_MARK))
    return found
_DATED = (data.Transaction, data.Balance, data.Pad, data.Close)  # what changes a closed exercice's load


def results_filename(exercice: Exercice | str) -> str:
    """Where the closing keeps what it computed of an exercice, beside the books."""
    return f"cloture-{exercice}.json"


@dataclass
class Loaded:
    """One load of a coop: Beancount's (entries, errors, options), and how it was done."""

    entries: list
    errors: list
    options: dict
    #: The first exercice loaded in full (None: every exercice was loaded).
    open_from: Exercice | None = None
    #: The opening state used, when open_from is set; `results`: the closing's file it came
    #: from (None when computed here); `state_key`: the closed exercices' seals it belongs to.
    state: dict | None = None
    results: dict | None = None
    state_key: str = ""
    why_full: str = ""
    #: The cheque register of the closed exercices this load's rules used (lines as they are).
    cheques: dict | None = None

    @property
    def operations(self) -> int:
        """How many operations the coop's books hold (the closed ones counted by the state)."""
        return count_operations(self.entries, self.options)

    def triple(self) -> tuple[list, list, dict]:
        return self.entries, self.errors, self.options


def count_operations(entries: list, options: dict) -> int:
    """How many operations a load of a coop holds, as a full load counts them: a standalone
    load's own (not the à-nouveaux, not the carried entries), plus the closed exercices'."""
    own = [e for e in entries if isinstance(e, data.Transaction)]
    open_from = options.get(anouveaux.OPEN_FROM_KEY)
    if not open_from:
        return len(own)
    start = Exercice.parse(open_from)
    counted: dict[str, bool] = {}  # by file: a few files, thousands of entries
    mine = 0
    for entry in own:
        filename = str(entry.meta.get("filename", ""))
        if filename not in counted:
            counted[filename] = (not filename.startswith("<")
                                 and (Exercice.from_filename(filename) or start) >= start)
        mine += counted[filename]
    return mine + int(options.get(anouveaux.CLOSED_OPERATIONS_KEY, 0))


# -- the parts of beancount.loader._load, on files given by their text ------------------------
def _read(coop_dir: Path, rel: str, texts: Mapping[str, str | bytes | None] | None) -> bytes:
    if texts is not None and rel in texts:
        content = texts[rel]
        if content is None:
            raise FileNotFoundError(coop_dir / rel)
        return content.encode("utf-8") if isinstance(content, str) else content
    return (coop_dir / rel).read_bytes()


def _exists(coop_dir: Path, rel: str, texts: Mapping[str, str | bytes | None] | None) -> bool:
    if texts is not None and rel in texts:
        return texts[rel] is not None
    return (coop_dir / rel).is_file()


def _parse(coop_dir: Path, rel: str, content: bytes) -> tuple[list, list, dict]:
    """One file of the coop, parsed. Every included file is scanned first (remembered when
    clean): `load_books` leaves the closed ones to be scanned here, when they are read at all."""
    if rel == COOP_FILENAME:  # its options are the load's own (Beancount updates them in place)
        return parser.parse_string(content, report_filename=str(coop_dir / rel))
    violations = scan_file(content, rel)
    if violations:
        raise UnsafeLedgerError(violations)
    return parse_text(content, str(coop_dir / rel))


def _included(options: dict, coop_dir: Path) -> list[str]:
    """The files coop.beancount includes, relative to the coop's folder (as Beancount globs)."""
    result = []
    for name in options["include"]:
        path = Path(name) if Path(name).is_absolute() else coop_dir / name
        try:
            result.append(path.resolve().relative_to(coop_dir.resolve()).as_posix())
        except ValueError:
            result.append(name)
    return result


class _InOrder(list):
    """Entries in Beancount's order. Its loader sorts them again after each plugin ("don't
    trust the plugins"), ~17 sorts of a load, each computing every entry's key; the rules'
    plugins only read them and hand back the same list. Sorted again here only when the list
    holds other entries, or in another order, than after its last sort: the result is the
    same (sorting a sorted list changes nothing), without the keys."""

    def __init__(self, entries: list):
        super().__init__(entries)
        self.sort(key=data.entry_sortkey)

    def sort(self, *, key=None, reverse=False) -> None:
        last = getattr(self, "_sorted", None)
        if key is data.entry_sortkey and not reverse and last is not None and len(last) == len(self) \
                and all(a is b for a, b in zip(self, last)):
            return
        super().sort(key=key, reverse=reverse)
        self._sorted = list(self) if key is data.entry_sortkey and not reverse else None


def _finish(entries: list, parse_errors: list, options: dict, others: list[dict],
            files: list[str], plugin_state: PluginState | None = None) -> tuple[list, list, dict]:
    """Booking, plugins and validation, as Beancount's loader does after parsing."""
    options["include"] = sorted(files)
    options = loader.aggregate_options_map(options, others)
    entries.sort(key=data.entry_sortkey)
    entries, balance_errors = booking.book(entries, options)  # Beancount's, or its shortcut
    parse_errors.extend(balance_errors)
    if plugin_state is not None:
        options[anouveaux.OPTION_KEY] = plugin_state
    try:
        entries, errors = loader.run_transformations(_InOrder(entries), parse_errors, options, None)
    finally:
        options.pop(anouveaux.OPTION_KEY, None)
    entries = list(entries)  # a plain list, as Beancount's loader gives (pickled for Fava)
    errors.extend(booking.validate(entries, options))  # Beancount's, or its shortcut
    options["input_hash"] = loader.compute_input_hash(options["include"])
    return entries, errors, options


def load_full(coop_dir: Path | str, texts: Mapping[str, str | bytes | None] | None = None) -> tuple[list, list, dict]:
    """Every file of the coop, as `beancount.loader.load_file` loads them (not verified here),
    with `texts` (path in the coop's folder → content) in place of what the disk holds."""
    coop_dir = Path(coop_dir).resolve()
    entries, errors, options = _parse(coop_dir, COOP_FILENAME, _read(coop_dir, COOP_FILENAME, texts))
    others, files = [], [str(coop_dir / COOP_FILENAME)]
    for rel in _included(options, coop_dir):
        path = coop_dir / rel
        if not _exists(coop_dir, rel, texts):
            errors.append(loader.LoadError(data.new_metadata("<load>", 0), f'File "{path}" does not exist'))
            continue
        more, more_errors, more_options = _parse(coop_dir, rel, _read(coop_dir, rel, texts))
        entries += more
        errors += more_errors
        others.append(more_options)
        files.append(str(path))
    return _finish(entries, errors, options, others, files)


# -- the opening state: committed, cached, or computed ---------------------------------------
@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version of what an opening state means: its format (`anouveaux.STATE_FORMAT`,
    bumped whenever the state computed from the same books changes — what is carried, the
    à-nouveaux, the cheque register, the hashes), Beancount's version (its parser and booking
    make the entries) and the national chart (each account's type). Not a hash of our code:
    an upgrade that computes the same state keeps every closing's state in use
    (`tests/test_state_pinned.py` pins the state of a synthetic coop, and fails when a change
    of the code changes it). Not the rules (`retkoop_plugins`, which only read entries) either:
    a closed exercice's errors are those of its check at its closing, kept by its seal like its
    CRF — a new version of the rules judges the open exercices, and judges the closed ones
    again only on demand (`retkoop check --complet`, a reopening). A state of another version
    is not used: the coop is loaded in full once, and its state computed again and kept
    locally."""
    import beancount

    import retkoop_tools

    h = hashlib.sha256(f"beancount {beancount.__version__}\nformat {anouveaux.STATE_FORMAT}\n".encode())
    # The national chart is data the state reads (each account's type), not code.
    h.update((Path(retkoop_tools.__file__).parent / "chart" / "plan-comptable.yaml").read_bytes())
    return h.hexdigest()


def rules_fingerprint(coop_dir: Path, upto: Exercice | None = None) -> str:
    """What a load depends on besides the books and the code: the AD's chart, and what the
    rules read of ad.yaml — their levels and settings (`regles`), the AD's name and its
    adhésion rates. For the opening state after `upto`: the settings, and the rates of the
    exercices up to `upto` (a rule made an avertissement, a threshold changed: the closed
    exercices' errors are those of the new settings; the rates of a new year, published each
    spring, change no closed exercice; nor does the AD's name, which only tells the adhésion
    rule an open year's payment)."""
    from retkoop_tools.ad import ad_config_cached

    root = find_ad_root(coop_dir)
    h = hashlib.sha256(b"plan-comptable\0")
    if root is not None and (root / AD_CHART_FILENAME).is_file():
        h.update((root / AD_CHART_FILENAME).read_bytes())
    if root is not None:
        try:
            config = ad_config_cached(root) or {}
        except Exception:  # an unreadable ad.yaml: the rules say so, nothing kept applies
            config = {"illisible": True}
        rates = config.get("adhesion") if isinstance(config.get("adhesion"), dict) else {}
        if upto is None:
            subset = {"regles": config.get("regles"), "nom": config.get("nom"), "adhesion": rates}
        else:
            subset = {"regles": config.get("regles"),
                      "adhesion": {str(k): v for k, v in rates.items() if str(k) <= str(upto)}}
        h.update(b"\0ad.yaml\0" + json.dumps(subset, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _records_entries(records: list[dict], coop_dir: Path) -> list:
    """Entries kept as text in a state, with their file and line (read back in one parse)."""
    if not records:
        return []
    text, starts = ROOT_OPTIONS, []
    for record in records:
        starts.append(text.count("\n") + 1)
        text += record["texte"].rstrip("\n") + "\n\n"
    if scan_file(text[len(ROOT_OPTIONS):].encode("utf-8"), "<à-nouveaux>"):
        # Kept entries are an exercice's: nothing a book may not hold (a Fava extension…).
        raise NotStandaloneError("kept entries hold what no book may")
    parsed, errors, _ = parser.parse_string(text)
    by_line = {entry.meta.get("lineno"): entry for entry in parsed}
    if errors or len(parsed) != len(records) or set(by_line) != set(starts):
        raise NotStandaloneError("kept entries do not read back")
    result = []
    for start, record in zip(starts, records):
        entry = by_line[start]
        if not isinstance(entry, (data.Transaction, data.Custom)):
            raise NotStandaloneError("kept entries do not read back")
        meta = dict(entry.meta)
        meta["filename"] = str(coop_dir / record["fichier"])
        meta["lineno"] = int(record["ligne"])
        result.append(entry._replace(meta=meta))
    return result


@dataclass
class _ClosedFile:
    rel: str
    exercice: Exercice
    content: bytes
    parsed: list | None = None  # when it differs from the state's: its entries, re-read


def _check_changed(closed: _ClosedFile, state: dict, coop_dir: Path) -> None:
    """A closed file that is not the one the state was computed on: only ticks of carried
    entries may have changed (its seal holds, its other ticks are the same)."""
    entries, errors, _ = _parse(coop_dir, closed.rel, closed.content)
    if errors:
        raise NotStandaloneError(f"{closed.rel} does not parse cleanly")
    path = str(coop_dir / closed.rel)
    seals = [e for e in entries if isinstance(e, data.Custom) and e.type == CUSTOM_CLOTURE]
    kept = [r for r in state["clotures"] if r["fichier"] == closed.rel]
    if len(seals) != 1 or len(kept) != 1 or entry_fingerprint(seals[0]) != kept[0]["empreinte"]:
        raise NotStandaloneError(f"{closed.rel}: its seal changed")
    digest = str(seals[0].values[1].value)
    sealed = [e for e in entries if e.meta.get("filename") == path
              and not (isinstance(e, data.Custom) and e.type in (CUSTOM_CLOTURE, CUSTOM_FAVA_OPTION))]
    if entries_digest(sealed) != digest:
        raise NotStandaloneError(f"{closed.rel}: its entries changed since the closing")
    carried = [r["empreinte"] for r in state["reports"] if r["fichier"] == closed.rel]
    fin = datetime.date.fromisoformat(state["fin"])
    if anouveaux.ticks_hash(entries, carried, fin) != state["fichiers"][closed.rel]["pointages"]:
        raise NotStandaloneError(f"{closed.rel}: ticks changed")
    if any(e["fichier"] == closed.rel or f"{Path(closed.rel).name}:" in e["message"] for e in state["erreurs"]):
        raise NotStandaloneError(f"{closed.rel}: an error of it is kept, its lines may have moved")
    closed.parsed = entries


_ACCOUNTS: dict[tuple, str] = {}


def accounts_digest(coop_dir: Path, upto: Exercice, texts: Mapping[str, Any] | None = None) -> str:
    """The digest of what coop.beancount and comptes.beancount hold dated up to the end of
    `upto` (the accounts' openings and closings…), Fava's options aside: the closed files'
    errors depend on it (an operation before its account's opening), so a state is the
    opening state of the closed files only while it is the same."""
    contents = []
    for rel in (COOP_FILENAME, COMPTES_FILENAME):
        try:
            contents.append((rel, _read(coop_dir, rel, texts)))
        except OSError:
            contents.append((rel, b""))
    key = (str(coop_dir), upto, *contents)
    found = _ACCOUNTS.get(key)
    if found is None:
        entries = [e for rel, content in contents for e in parse_text(content, str(coop_dir / rel))[0]
                   if e.date <= upto.end
                   and not (isinstance(e, data.Custom) and e.type in (CUSTOM_FAVA_OPTION, "fava-extension"))]
        found = entries_digest(entries)
        if len(_ACCOUNTS) > 64:
            _ACCOUNTS.clear()
        _ACCOUNTS[key] = found
    return found


def _state_applies(state: dict, closed: list[_ClosedFile], coop_dir: Path,
                   texts: Mapping[str, Any] | None = None) -> None:
    """NotStandaloneError unless `state` is the opening state of these closed files."""
    if state.get("format") != anouveaux.STATE_FORMAT or state.get("code") != code_fingerprint() \
            or state.get("regles") != rules_fingerprint(coop_dir, closed[-1].exercice):
        raise NotStandaloneError("state of another version or chart")
    if state.get("comptes") != accounts_digest(coop_dir, closed[-1].exercice, texts):
        raise NotStandaloneError("the accounts of the closed exercices changed")
    if sorted(state["fichiers"]) != sorted(c.rel for c in closed) or state["exercice"] != str(closed[-1].exercice):
        raise NotStandaloneError("state of other files")
    for item in closed:
        if anouveaux.file_sha(item.content) != state["fichiers"][item.rel]["sha256"]:
            _check_changed(item, state, coop_dir)


def state_applies_to(coop_dir: Path, state: dict, texts: Mapping[str, Any] | None = None) -> bool:
    """Whether `state` is the opening state of the coop's closed files as they are (or as
    `texts` leave them): same files, or only ticks of carried entries changed."""
    coop_dir = Path(coop_dir).resolve()
    try:
        upto = Exercice.parse(state["exercice"])
        closed = [c for c in _sealed_prefix(coop_dir, _exercice_files(coop_dir, texts), texts) if c.exercice <= upto]
        if not closed or closed[-1].exercice != upto:
            return False
        _state_applies(state, closed, coop_dir, texts)
    except (NotStandaloneError, KeyError, TypeError, ValueError, OSError):
        return False
    return True


def _from_changed(records: list[dict], closed: dict[str, _ClosedFile], coop_dir: Path) -> list:
    """The kept entries, taken from the re-read file when theirs changed (lines, ticks)."""
    by_file: dict[str, list[dict]] = collections.defaultdict(list)
    for record in records:
        by_file[record["fichier"]].append(record)
    result = []
    unchanged = [r for rel, mine in by_file.items() if closed.get(rel) is None or closed[rel].parsed is None
                 for r in mine]
    result += _records_entries(unchanged, coop_dir)  # one parse for all of them
    for rel, mine in by_file.items():
        item = closed.get(rel)
        if item is None or item.parsed is None:
            continue
        pool: dict[str, list] = collections.defaultdict(list)
        for entry in item.parsed:
            pool[entry_fingerprint(entry)].append(entry)
        for record in mine:
            found = pool.get(record["empreinte"])
            if not found:
                raise NotStandaloneError(f"{rel}: a kept entry is gone")
            result.append(found.pop(0))
    return result


_CHEQUES: dict[tuple[str, int], tuple[dict, dict]] = {}


def _cheques(state: dict, closed: dict[str, _ClosedFile], coop_dir: Path) -> dict[tuple[str, str], SealedCheque]:
    """The cheque register of the closed exercices (remembered for a state while its files
    are the ones it was computed on: a coop's ten years hold a thousand cheques)."""
    changed = any(item.parsed is not None for item in closed.values())
    key = (str(coop_dir), id(state))
    if not changed and key in _CHEQUES and _CHEQUES[key][0] is state:
        return _CHEQUES[key][1]
    result = _cheques_of(state, closed, coop_dir)
    if not changed:
        if len(_CHEQUES) > 64:
            _CHEQUES.clear()
        _CHEQUES[key] = (state, result)
    return result


def _cheques_of(state: dict, closed: dict[str, _ClosedFile], coop_dir: Path) -> dict[tuple[str, str], SealedCheque]:
    lines: dict[tuple[str, str], int] = {}
    for rel, item in closed.items():
        if item.parsed is not None:
            for entry in item.parsed:
                if isinstance(entry, data.Transaction):
                    lines.setdefault((rel, entry_fingerprint(entry)), int(entry.meta["lineno"]))
    result: dict[tuple[str, str], SealedCheque] = {}
    paths: dict[str, str] = {}
    for account, number, date, rel, line, fp in state["cheques"]:
        if closed.get(rel) is not None and closed[rel].parsed is not None:
            if (rel, fp) not in lines:
                raise NotStandaloneError(f"{rel}: a cheque's entry is gone")
            line = lines[(rel, fp)]
        if rel not in paths:
            paths[rel] = str(coop_dir / rel)
        meta = {"filename": paths[rel], "lineno": line}
        result[(account, number)] = SealedCheque(datetime.date.fromisoformat(date), meta)
    return result


def _synthetic(state: dict, exercice: Exercice) -> list:
    from retkoop_tools.fr import fmt_date

    fin = datetime.date.fromisoformat(state["fin"])
    result = []
    for item in state["a_nouveaux"]:
        postings = []
        for account, number, tick in item["postings"]:
            meta = {META_RELEVE: datetime.date.fromisoformat(tick)} if tick else None
            postings.append(data.Posting(account, data.Amount(Decimal(number), "EUR"), None, None, None, meta))
        # Line 0: first of its day, before the carried cash counts that follow it (but the part
        # written after the last count of the closed exercice's last day).
        meta = data.new_metadata(anouveaux.SYNTHETIC_FILENAME, 10 ** 9 if item.get("apres_arrete") else 0)
        meta["nature"] = "cloture"
        result.append(data.Transaction(
            meta, datetime.date.fromisoformat(item["date"]), "*", "Report à nouveau",
            f"Soldes de l'exercice {exercice} au {fmt_date(fin)} (exercices clos, chargés à la demande)",
            frozenset(), frozenset(), postings))
    return result


def _sealed_errors(state: dict, coop_dir: Path) -> list:
    return [error_type(e["type"], e.get("niveau"))({"filename": str(coop_dir / e["fichier"]), "lineno": e["ligne"]},
                                  e["message"], None)
            for e in state["erreurs"]]


# -- the local cache of states computed here -------------------------------------------------
def _state_cache_dir() -> Path:
    from retkoop_tools.checks.cache import default_cache_dir

    return default_cache_dir() / "a-nouveaux"


def _state_cache_key(coop_dir: Path, closed: list[_ClosedFile], texts: Mapping[str, Any] | None) -> str:
    upto = closed[-1].exercice
    h = hashlib.sha256(f"{anouveaux.STATE_FORMAT}\0{code_fingerprint()}\0{rules_fingerprint(coop_dir, upto)}\0"
                       f"{accounts_digest(coop_dir, upto, texts)}\0".encode())
    for item in closed:  # the seals: a tick does not change them
        h.update(item.rel.encode() + b"\0")
        h.update(b",".join(m.group(0) for m in _seal_lines(item.content)))
    return h.hexdigest()


def _cached_state(key: str) -> dict | None:
    path = _state_cache_dir() / key[:2] / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _keep_state(key: str, state: dict) -> None:
    from retkoop_tools.fsutil import atomic_write

    try:
        atomic_write(_state_cache_dir() / key[:2] / f"{key}.json", json.dumps(state, ensure_ascii=False),
                     durable=False)
    except OSError:
        pass


def compute_state(coop_dir: Path, upto: Exercice, loaded: tuple[list, list, dict] | Loaded,
                  texts: Mapping[str, str | bytes | None] | None = None) -> dict:
    """The opening state after `upto`, from a load of the coop (raises NotStandaloneError): a
    full load, or a standalone one whose state is the one up to the exercice before `upto`."""
    previous = cheques = None
    if isinstance(loaded, Loaded):
        if loaded.open_from is not None:
            if loaded.open_from != upto:
                raise NotStandaloneError("the load does not hold the exercice in full")
            previous, cheques = loaded.state, loaded.cheques
        loaded = loaded.triple()
    entries, errors, options = loaded
    plain = {k: (v.decode("utf-8") if isinstance(v, bytes) else v) for k, v in (texts or {}).items()
             if v is not None and k.endswith(".beancount")}
    state = anouveaux.closed_state(entries, errors, options, coop_dir, upto, texts=plain,
                                   previous=previous, previous_cheques=cheques)
    state["code"] = code_fingerprint()
    state["regles"] = rules_fingerprint(coop_dir, upto)
    state["comptes"] = accounts_digest(coop_dir, upto, texts)
    return state


# -- the load ---------------------------------------------------------------------------------
def _exercice_files(coop_dir: Path, texts: Mapping[str, Any] | None) -> list[tuple[Exercice, str]]:
    found = {Exercice.from_filename(p.name): p.name for p in coop_dir.glob("*.beancount")}
    for rel, content in (texts or {}).items():
        exercice = Exercice.from_filename(rel) if "/" not in rel else None
        if exercice is not None:
            if content is None:
                found.pop(exercice, None)
            else:
                found[exercice] = rel
    return sorted((e, n) for e, n in found.items() if e is not None)


def _sealed_prefix(coop_dir: Path, files: list[tuple[Exercice, str]],
                   texts: Mapping[str, Any] | None) -> list[_ClosedFile]:
    """The exercices from the first, as long as each carries its seal."""
    prefix = []
    for exercice, rel in files:
        content = _read(coop_dir, rel, texts)
        seals = [m.group(1).decode() for m in _seal_lines(content)]
        if str(exercice) not in seals:
            break
        prefix.append(_ClosedFile(rel, exercice, content))
    return prefix


_RESULTS: dict[bytes, Any] = {}


def _results_of(content: bytes) -> Any:
    """A `cloture-*.json` read, remembered by its content (read-only: it is read on every
    load, and the same object lets what is derived from it be remembered too)."""
    found = _RESULTS.get(content)
    if found is None:
        found = json.loads(content)
        if len(_RESULTS) > 64:
            _RESULTS.clear()
        _RESULTS[content] = found
    return found


def _find_state(coop_dir: Path, prefix: list[_ClosedFile],
                texts: Mapping[str, Any] | None) -> tuple[int, dict, dict | None, str] | None:
    """The longest sealed prefix with a state that applies: (its length, the state, the
    closing's results it was kept in, the prefix's key)."""
    for length in range(len(prefix), 0, -1):
        closed = prefix[:length]
        key = _state_cache_key(coop_dir, closed, texts)
        rel = results_filename(closed[-1].exercice)
        try:
            results = _results_of(_read(coop_dir, rel, texts))
        except (OSError, ValueError):
            results = None
        candidates: list[tuple[dict, dict | None]] = []
        if isinstance(results, dict) and isinstance(results.get("etat"), dict):
            candidates.append((results["etat"], results))
        if length == len(prefix):
            cached = _cached_state(key)
            if cached is not None:
                candidates.append((cached, None))
        for candidate, source in candidates:
            for item in closed:
                item.parsed = None
            try:
                _state_applies(candidate, closed, coop_dir, texts)
                return length, candidate, source, key
            except (NotStandaloneError, KeyError, TypeError, ValueError):
                continue
    return None


def _standalone(coop_dir: Path, texts: Mapping[str, Any] | None) -> Loaded | str:
    """The standalone load, or why the coop must be loaded in full."""
    files = _exercice_files(coop_dir, texts)
    prefix = _sealed_prefix(coop_dir, files, texts)
    if not prefix:
        return "no closed exercice"
    found = _find_state(coop_dir, prefix, texts)
    if found is None:
        return "no opening state"
    length, state, results, state_key = found
    closed = prefix[:length]
    last = closed[-1].exercice
    fin = last.end
    by_rel = {c.rel: c for c in closed}

    entries, errors, options = _parse(coop_dir, COOP_FILENAME, _read(coop_dir, COOP_FILENAME, texts))
    included = _included(options, coop_dir)
    if sorted(included) != sorted(["comptes.beancount", *(n for _, n in files)]):
        return "coop.beancount includes other files"
    others, loaded_files = [], [str(coop_dir / COOP_FILENAME)]
    for rel in included:
        loaded_files.append(str(coop_dir / rel))
        if rel in by_rel:
            continue
        more, more_errors, more_options = _parse(coop_dir, rel, _read(coop_dir, rel, texts))
        if Exercice.from_filename(rel) is not None:
            for entry in more:
                if (isinstance(entry, _DATED) or (isinstance(entry, data.Custom) and entry.type not in (
                        CUSTOM_FAVA_OPTION, "fava-extension", "cooperative"))) and entry.date <= fin:
                    return f"{rel} holds an entry dated in a closed exercice"
        entries += more
        errors += more_errors
        others.append(more_options)
    deposited = set(state.get("liens", []))
    if deposited and any(isinstance(e, data.Transaction) and e.links and not deposited.isdisjoint(e.links)
                         for e in entries):
        return "an open exercice names a cheque deposited in a closed one"
    try:
        kept = _from_changed(state["reports"], by_rel, coop_dir)
        seals = _from_changed(state["clotures"], by_rel, coop_dir)
        cheques = _cheques(state, by_rel, coop_dir)
    except NotStandaloneError as exc:
        return str(exc)
    entries += _synthetic(state, last) + kept
    plugin_state = PluginState(fin, cheques, {a: Decimal(g) for a, g in state.get("ecarts_caisse", {}).items()},
                               tuple(Exercice.parse(e) for e in state.get("exercices", [])),
                               state.get("totaux", {}))
    entries, errors, options = _finish(entries, errors, options, others, loaded_files, plugin_state)
    errors = errors + _sealed_errors(state, coop_dir)
    entries = sorted([*entries, *seals], key=data.entry_sortkey)
    options[anouveaux.OPEN_FROM_KEY] = str(last.next())
    options[anouveaux.CLOSED_OPERATIONS_KEY] = int(state.get("operations", 0))
    return Loaded(entries, errors, options, last.next(), state, results, state_key, cheques=cheques)


# -- remembered loads -------------------------------------------------------------------------
_MEMORY_SIZE = 16
_memory: collections.OrderedDict[tuple, Loaded] = collections.OrderedDict()
_memory_lock = threading.Lock()


def _content_key(coop_dir: Path, texts: Mapping[str, Any] | None, full: bool) -> tuple:
    """The coop's files as they are (or will be): their names and contents' hashes — the books,
    the closings' files, and the records the rules read (the quitus in crf-*.yaml, the adhésion,
    the mandataires); not the console's summary, derived from them."""
    h = hashlib.sha256()
    names = sorted({p.name for p in coop_dir.iterdir()
                    if p.suffix in (".beancount", ".json", ".yaml") and p.name != SUMMARY_FILENAME and p.is_file()}
                   | {k for k, v in (texts or {}).items() if "/" not in k and v is not None})
    for name in names:
        if texts is not None and name in texts and texts[name] is None:
            continue
        try:
            if texts is not None and name in texts:
                digest = hashlib.sha256(_read(coop_dir, name, texts)).digest()
            else:
                digest = file_digest(coop_dir / name)  # remembered while the file is unchanged
        except OSError:
            continue
        h.update(name.encode() + b"\0" + digest)
    documents = coop_dir / "documents"  # the rules look for statements' files there
    for folder, _dirs, names in sorted(os.walk(documents)) if documents.is_dir() else ():
        h.update(folder.encode() + b"\0" + "\0".join(sorted(names)).encode())
    return (str(coop_dir), full, h.hexdigest(), rules_fingerprint(coop_dir))


def forget(coop_dir: Path | str | None = None) -> None:
    """Drop the remembered loads (of one coop)."""
    with _memory_lock:
        for key in [k for k in _memory if coop_dir is None or k[0] == str(Path(coop_dir).resolve())]:
            del _memory[key]


def load_books(coop_dir: Path | str, uai: str | None = None, *,
               texts: Mapping[str, str | bytes | None] | None = None, full: bool = False,
               verify: bool = True) -> Loaded:
    """A coop's books, verified first (`policy.files`), loaded on their own when they can be.

    `texts` (path in the coop's folder → content, None: deleted) are loaded in place of what
    the disk holds: a write is checked before it reaches the disk. `full` loads every exercice
    (the old path, kept where correctness needs it). UnsafeLedgerError when the files may not
    be loaded at all.
    """
    coop_dir = Path(coop_dir).resolve()
    if verify:
        # The closed exercices are scanned when they are parsed (`_parse`): a standalone load
        # only hashes them (a tenth of a coop's ten years is read).
        sealed = [c.rel for c in _sealed_prefix(coop_dir, _exercice_files(coop_dir, texts), texts)]
        violations = verify_coop_dir(coop_dir, uai, texts=texts, scanned_later=sealed)
        if violations:
            raise UnsafeLedgerError(violations)
    full = full or os.environ.get(MODE_ENV, "").strip() == FULL_MODE
    key = _content_key(coop_dir, texts, full)
    with _memory_lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    loaded = _shared_load(key)
    if loaded is None:
        found: Loaded | str = "asked" if full else _standalone(coop_dir, texts)
        if isinstance(found, str):
            found = Loaded(*load_full(coop_dir, texts), why_full=found)
            if not full:
                _remember_state(coop_dir, texts, found)
        loaded = found
        _share_load(key, loaded)
    with _memory_lock:
        _memory[key] = loaded
        while len(_memory) > _MEMORY_SIZE:
            _memory.popitem(last=False)
    return loaded


# -- loads shared between the processes of the portal -----------------------------------------
#: `RETKOOP_CHARGEMENT=complet`: every load is a full load (the old path, for comparisons).
MODE_ENV = "RETKOOP_CHARGEMENT"
FULL_MODE = "complet"
_SHARED: dict[str, Any] = {"dir": None, "max_bytes": 0, "writes": 0, "portals": 0, "pid": None, "code": ""}
#: The folder where each process of the portal that reads the shared loads leaves its number.
MEMBERS_DIRNAME = "processus"
_PENDING = threading.local()  # .threads: the loads this thread is writing to the shared folder


def share_loads(directory: Path | str | None, max_mb: int = 200) -> None:
    """Keep each load on disk in `directory` (private to the portal's instance), so that the
    portal's other processes read it instead of loading the books again after a write (None:
    stop). A kept load is only ever read back by the processes that write them; it is written
    only while another portal reads the folder (a portal alone in its process writes none).
    Each call is one more portal reading it. The folder outlives the processes: a load is kept
    under the code that made it too (the rules, the loader), so that after an upgrade the old
    code's loads are not read."""
    if directory is None:
        _SHARED.update(dir=None, portals=0)
        return
    path = Path(directory)
    if path != _SHARED["dir"]:
        _SHARED["portals"] = 0
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    from retkoop_tools.checks.cache import _code_fingerprint

    _SHARED.update(dir=path, max_bytes=max_mb * 1024 * 1024, code=_code_fingerprint())
    _SHARED["portals"] += 1
    _join(path)


def _join(directory: Path) -> None:
    """Leave this process's number in the folder of the processes reading it."""
    members = directory / MEMBERS_DIRNAME
    try:
        members.mkdir(exist_ok=True)
        (members / str(os.getpid())).touch()
    except OSError:
        return
    _SHARED["pid"] = os.getpid()


def _others_read(directory: Path) -> bool:
    """Whether another portal reads the shared folder: another live process that left its
    number there, or another portal of this process."""
    if _SHARED["pid"] != os.getpid():  # forked since: this process leaves its own number
        _join(directory)
    if _SHARED["portals"] > 1:
        return True
    members = directory / MEMBERS_DIRNAME
    try:
        names = os.listdir(members)
    except OSError:
        return True
    alive = False
    for name in names:  # every number is looked at, so that those of ended processes go
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            os.kill(int(name), 0)
        except ProcessLookupError:  # a process that ended: its number goes
            (members / name).unlink(missing_ok=True)
            continue
        except OSError:
            pass  # lives, under another user
        alive = True
    return alive


def _shared_path(key: tuple) -> Path | None:
    directory = _SHARED["dir"]
    if directory is None:
        return None
    digest = hashlib.sha256(f"{_SHARED['code']}\0{key!r}".encode()).hexdigest()
    return directory / f"{digest}.pickle"


def _shared_load(key: tuple) -> Loaded | None:
    path = _shared_path(key)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            loaded = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return loaded if isinstance(loaded, Loaded) else None


def _share_load(key: tuple, loaded: Loaded) -> None:
    """Write the load to the shared folder, in a thread of its own (the caller goes on: its
    git commands run meanwhile); `wait_shared` waits for it."""
    path = _shared_path(key)
    if path is None or not _others_read(path.parent):
        return
    thread = threading.Thread(target=_write_shared, args=(path, loaded), name="retkoop-partage", daemon=True)
    pending = getattr(_PENDING, "threads", None)
    if pending is None:
        pending = _PENDING.threads = []
    pending[:] = [t for t in pending if t.is_alive()]
    pending.append(thread)
    thread.start()


def wait_shared() -> None:
    """Wait until the loads this thread shared are on disk (the other processes read them)."""
    for thread in getattr(_PENDING, "threads", None) or ():
        thread.join()
    _PENDING.threads = []


def _write_shared(path: Path, loaded: Loaded) -> None:
    from retkoop_tools.fsutil import atomic_write

    try:
        atomic_write(path, pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RuntimeError):
        return
    _SHARED["writes"] += 1
    if _SHARED["writes"] % 50 == 0:
        _prune_shared(path.parent, _SHARED["max_bytes"])


def _prune_shared(directory: Path, max_bytes: int) -> None:
    """The loads read or written the longest ago go first, down to 80 % of `max_bytes`."""
    try:
        files = sorted(((p.stat().st_mtime, p.stat().st_size, p) for p in directory.glob("*.pickle")),
                       key=lambda item: item[0])
    except OSError:
        return
    total = sum(size for _, size, _ in files)
    for _, size, path in files:
        if total <= max_bytes * 0.8:
            break
        path.unlink(missing_ok=True)
        total -= size


def _remember_state(coop_dir: Path, texts: Mapping[str, Any] | None, loaded: Loaded) -> None:
    """After a full load of a coop whose first exercices are sealed, keep their opening state
    in the local cache, so that the next loads are standalone (or that it cannot be)."""
    files = _exercice_files(coop_dir, texts)
    prefix = _sealed_prefix(coop_dir, files, texts)
    if not prefix:
        return
    key = _state_cache_key(coop_dir, prefix, texts)
    if _cached_state(key) is not None:
        return  # computed already (or known not to apply)
    try:
        state = compute_state(coop_dir, prefix[-1].exercice, loaded.triple(), texts)
    except NotStandaloneError as exc:
        state = {"format": 0, "impossible": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a state we cannot compute only means full loads
        state = {"format": 0, "impossible": repr(exc)}
    _keep_state(key, state)
