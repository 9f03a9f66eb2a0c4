"""Documents to HTML (Jinja2 templates of `templates/`) and to PDF (WeasyPrint)."""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal
from pathlib import Path

import jinja2

from retkoop_tools import templates as _templates_package
from retkoop_tools.fr import fmt_date, fmt_datetime, fmt_eur, fmt_number

TEMPLATES_DIR = Path(_templates_package.__file__).parent


def _eur(value) -> str:
    return "" if value is None else fmt_eur(Decimal(value))


def _eur_or_dash(value) -> str:
    return "–" if not value else fmt_eur(Decimal(value))


def _date(value) -> str:
    if isinstance(value, datetime.datetime):
        return fmt_datetime(value)
    if isinstance(value, datetime.date):
        return fmt_date(value)
    if isinstance(value, str) and len(value) >= 10:
        try:
            return _date(datetime.datetime.fromisoformat(value) if "T" in value
                         else datetime.date.fromisoformat(value))
        except ValueError:
            return value
    return "" if value is None else str(value)


_SCHOOL_WORD = re.compile(r"^\s*[ée]cole\b", re.IGNORECASE)


def school_name(name: str) -> str:
    """The school after « l' »: « école Jean Moulin », or the name itself when it says « École … »
    already (« à l'École élémentaire Jean Jaurès », never « à l'école École … »)."""
    name = str(name or "").strip()
    return name if _SCHOOL_WORD.match(name) else f"école {name}"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(eur=_eur, eur0=_eur_or_dash, date=_date, nombre=fmt_number, ecole=school_name)
    return env


def render_html(template: str, **context) -> str:
    """`template` (e.g. "crf.html") of templates/ rendered with `context`."""
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    import weasyprint  # imported on use: its start-up costs ~0.3 s

    return weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    return html_to_pdf(render_html(template, **context))
