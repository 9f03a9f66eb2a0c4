"""What the rule plugins share: the AD's chart for a ledger, and French formatting."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from retkoop_tools.ad import find_ad_root
from retkoop_tools.chart import Chart, ChartError, load_chart
from retkoop_tools.fr import fmt_date, fmt_eur

__all__ = ["fmt_date", "fmt_eur", "ledger_chart", "coop_dir", "where", "custom_values"]


def coop_dir(options_map: dict[str, Any]) -> Path:
    """The folder of the coop, i.e. of the top-level ledger file."""
    return Path(options_map["filename"]).resolve().parent


def ledger_chart(options_map: dict[str, Any]) -> Chart:
    """The chart of the AD repository the ledger belongs to (the default one outside any)."""
    filename = options_map.get("filename")
    root = find_ad_root(filename) if filename and not filename.startswith("<") else None
    return load_chart(root)


def chart_or_error(options_map: dict[str, Any], error_cls: type) -> tuple[Chart | None, list]:
    """Load the chart; on a broken AD chart, one error at the top-level file instead.

    Only the plan comptable plugin reports it; the others call `chart_or_none` and stay quiet.
    """
    try:
        return ledger_chart(options_map), []
    except ChartError as exc:
        meta = data.new_metadata(options_map.get("filename", "<plan-comptable>"), 0)
        return None, [error_cls(meta, f"Plan comptable de l'AD invalide : {exc}", None)]


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


ZERO = Decimal(0)
