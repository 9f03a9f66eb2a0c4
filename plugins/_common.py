"""What the rule plugins share: the AD's chart and rule settings for a ledger, the level of a
report (erreur or avertissement), and French formatting."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from beancount.core import data

from retkoop_tools.ad import AD_FILENAME, NotAnADRepositoryError, ad_config_cached, find_ad_root
from retkoop_tools.chart import Chart, ChartError, load_chart
from retkoop_tools.checks.regles import (
    AVERTISSEMENT,
    ERREUR,
    NATIONAL,
    Reglages,
    ReglesError,
    parse_reglages,
)
from retkoop_tools.fr import fmt_date, fmt_eur

ZERO = Decimal(0)

__all__ = ["fmt_date", "fmt_eur", "ledger_chart", "coop_dir", "where", "custom_values", "ledger_reglages",
           "report", "warning_twin"]


def coop_dir(options_map: dict[str, Any]) -> Path:
    """The folder of the coop, i.e. of the top-level ledger file."""
    return Path(options_map["filename"]).resolve().parent


def ledger_chart(options_map: dict[str, Any]) -> Chart:
    """The chart of the AD repository the ledger belongs to (the default one outside any)."""
    return load_chart(_ad_root(options_map))


def chart_or_error(options_map: dict[str, Any], error_cls: type) -> tuple[Chart | None, list]:
    """Load the chart; on a broken AD chart, one error at the top-level file instead.

    Only the plan comptable plugin reports it; the others call `chart_or_none` and stay quiet.
    """
    try:
        return ledger_chart(options_map), []
    except ChartError as exc:
        meta = data.new_metadata(options_map.get("filename", "<plan-comptable>"), 0)
        return None, [error_cls(meta, f"Plan comptable de l'AD invalide : {exc}", None)]


_AD_ROOTS: dict[str, Path | None] = {}


def _ad_root(options_map: dict[str, Any]) -> Path | None:
    """The AD repository of the ledger: found once per file (the rules ask it a score of
    times per load), trusted while its ad.yaml is still there."""
    filename = options_map.get("filename")
    if not filename or filename.startswith("<"):
        return None
    root = _AD_ROOTS.get(filename)
    if root is not None and (root / AD_FILENAME).is_file():
        return root
    root = find_ad_root(filename)
    if len(_AD_ROOTS) > 1024:
        _AD_ROOTS.clear()
    _AD_ROOTS[filename] = root
    return root


def ledger_reglages(options_map: dict[str, Any]) -> Reglages:
    """The rules' levels and thresholds of the AD the ledger belongs to (`regles:` in ad.yaml);
    the national ones outside any AD. ReglesError when ad.yaml's are wrong."""
    root = _ad_root(options_map)
    if root is None:
        return NATIONAL
    try:
        config = ad_config_cached(root)
    except (OSError, yaml.YAMLError, NotAnADRepositoryError) as exc:
        raise ReglesError(f"ad.yaml illisible : {exc}") from exc
    return parse_reglages(config)


def ledger_ad_config(options_map: dict[str, Any]) -> dict[str, Any]:
    """The content of the AD's ad.yaml ({} outside an AD or when unreadable)."""
    root = _ad_root(options_map)
    try:
        return ad_config_cached(root) if root is not None else {}
    except (OSError, yaml.YAMLError, NotAnADRepositoryError):
        return {}


def reglages_or_error(options_map: dict[str, Any], error_cls: type) -> tuple[Reglages | None, list]:
    """The settings; on wrong ones, one error at the top-level file (reported by the plan
    comptable plugin only; the others call `reglages_or_none` and stay quiet)."""
    try:
        return ledger_reglages(options_map), []
    except ReglesError as exc:
        meta = data.new_metadata(options_map.get("filename", "<ad.yaml>"), 0)
        return None, [error_cls(meta, f"Règles de l'AD invalides : {exc}", None)]


def reglages_or_none(options_map: dict[str, Any]) -> Reglages | None:
    try:
        return ledger_reglages(options_map)
    except ReglesError:
        return None


_TWINS: dict[type, type] = {}


def warning_twin(error_cls: type) -> type:
    """The avertissement of a rule's error class: same fields and message, `level` avertissement.

    Declared next to the error class in the rule's module (`XWarning = warning_twin(XError)`),
    so that Fava shows its own name and it pickles like any module-level class.
    """
    name = error_cls.__name__.removesuffix("Error") + "Warning"
    twin = type(name, (error_cls,), {"__slots__": (), "level": AVERTISSEMENT,
                                     "__module__": error_cls.__module__, "__qualname__": name,
                                     "__doc__": f"{error_cls.__name__}, as an avertissement."})
    _TWINS[error_cls] = twin
    return twin


def report(reglages: Reglages, code: str, error_cls: type, meta: Any, message: str, entry: Any, *,
           at_most: str | None = None) -> list:
    """The report of rule `code` at the level the AD gives it: [] when it ignores it, else one
    error (the rule's class) or avertissement (its twin, see `warning_twin`). `at_most`
    avertissement: never an erreur here (the books cannot be judged yet)."""
    level = reglages.niveau(code)
    if level == ERREUR and at_most == AVERTISSEMENT:
        level = AVERTISSEMENT
    if level == ERREUR:
        return [error_cls(meta, message, entry)]
    if level == AVERTISSEMENT:
        return [_TWINS[error_cls](meta, message, entry)]
    return []


def chart_or_none(options_map: dict[str, Any]) -> Chart | None:
    """The chart, or None when it is broken (reported once, by the plan comptable plugin)."""
    try:
        return ledger_chart(options_map)
    except ChartError:
        return None


def where(entry: Any) -> str:
    """`2025-2026.beancount:42`, to point to another entry in a message."""
    meta = entry.meta or {}
    return f"{Path(str(meta.get('filename', '?'))).name}:{meta.get('lineno', '?')}"


def custom_values(entry: data.Custom) -> list[Any]:
    """The plain values of a custom directive (Beancount wraps each with its type)."""
    return [getattr(v, "value", v) for v in entry.values or ()]


def is_amount_in_eur(value: Any) -> bool:
    return isinstance(value, data.Amount) and value.currency == "EUR"


def dated(value: Any) -> datetime.date | None:
    return value if isinstance(value, datetime.date) else None



def daily_balances(moves: list[tuple]) -> Iterator[tuple[str, datetime.date, Decimal, Decimal, Any]]:
    """End-of-day balances from moves `(date, account, amount, entry)` in date order (the order
    of a ledger's entries): per account, `(account, date, balance before the day, balance at the
    end of the day, the day's last entry)`."""
    by_account: dict[str, list[tuple]] = {}
    for move in moves:
        by_account.setdefault(move[1], []).append(move)
    for account in sorted(by_account):
        balance = ZERO
        day = before = last = None
        # Stable and linear on moves already in date order (a ledger's entries are).
        for date, _account, amount, entry in sorted(by_account[account], key=operator.itemgetter(0)):
            if date != day:
                if day is not None:
                    yield account, day, before, balance, last
                day, before = date, balance
            balance += amount
            last = entry
        if day is not None:
            yield account, day, before, balance, last


def first_days(balances: Iterable[tuple], crossed: Callable[[Decimal], bool],
               judged_until: datetime.date | None = None) -> Iterator[tuple]:
    """The days a balance starts to be `crossed` (negative, above a limit…): one per stretch.
    Days up to `judged_until` (the closed exercices of a standalone load, judged at their
    closing: see `judged_until`) only bring the stretch forward."""
    previous: dict[str, bool] = {}
    for item in balances:
        account, balance = item[0], item[3]
        now = crossed(balance)
        if now and not previous.get(account, False) and (judged_until is None or item[1] > judged_until):
            yield item
        previous[account] = now


def exercices_of(options_map) -> set:
    """The coop's exercices (Exercice): those of its files, and in a standalone load the
    closed ones left out (a rule on records, the quitus, judges them all as a full load does)."""
    from retkoop_tools.ledger.anouveaux import plugin_state
    from retkoop_tools.ledger.exercice import Exercice

    found = {e for e in (Exercice.from_filename(p) for p in options_map.get("include", [])) if e}
    state = plugin_state(options_map)
    return found | set(state.exercices) if state is not None else found


def judged_until(options_map) -> datetime.date | None:
    """The end of the closed exercices when the open ones are loaded on their own
    (`retkoop_tools.ledger.standalone`): their days were judged when they were closed (the
    errors are kept with their seal), and the à-nouveaux that stand for them are sums, not
    days to judge. None in a full load."""
    from retkoop_tools.ledger.anouveaux import plugin_state

    state = plugin_state(options_map)
    return state.fin if state is not None else None


def closed_totals(options_map) -> dict:
    """What a standalone load knows of each closed exercice for the rules on a whole exercice
    (`retkoop_tools.ledger.anouveaux._totals`), by exercice: {} in a full load."""
    from retkoop_tools.ledger.anouveaux import plugin_state
    from retkoop_tools.ledger.exercice import Exercice

    state = plugin_state(options_map)
    return {Exercice.parse(k): v for k, v in state.totaux.items()} if state is not None else {}


def located(options_map, where_: list | None) -> dict | None:
    """The metadata of an entry of a closed exercice known by `[file, line, …]` from its totals."""
    if not where_:
        return None
    return data.new_metadata(str(coop_dir(options_map) / where_[0]), int(where_[1]))


class Accounts:
    """The chart's account of each Beancount account of a ledger, looked up once."""

    def __init__(self, chart: Chart):
        self.chart = chart
        self._known: dict[str, Any] = {}

    def __call__(self, account: str):
        try:
            return self._known[account]
        except KeyError:
            compte = self._known[account] = self.chart.lookup(account)[0]
            return compte


def amounts(entry: data.Transaction):
    """`(posting, number)` of each posting of a transaction that has an amount."""
    for posting in entry.postings:
        units = posting.units
        if units is not None and units.number is not None:
            yield posting, units.number


#: (entries, chart, len(entries), result) of the last ledger: replaced in one assignment, so that
#: a thread loading another ledger never sees half of it.
_TRANSACTIONS: tuple = (None, None, 0, None)


def transactions(entries: list, chart: Chart) -> list[tuple[data.Transaction, tuple]]:
    """Each transaction with its postings on the chart's accounts: `(entry, ((posting, number,
    compte), …))`. Computed once per load and shared by the rules that run on the same entries
    (the same list object, unchanged, held here until the next load so it cannot be mistaken)."""
    global _TRANSACTIONS
    cached_entries, cached_chart, length, result = _TRANSACTIONS
    if cached_entries is entries and cached_chart is chart and length == len(entries):
        return result
    comptes = Accounts(chart)
    result = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        lines = []
        for posting in entry.postings:
            units = posting.units
            if units is None or units.number is None:
                continue
            compte = comptes(posting.account)
            if compte is not None:
                lines.append((posting, units.number, compte))
        result.append((entry, tuple(lines)))
    _TRANSACTIONS = (entries, chart, len(entries), result)
    return result
