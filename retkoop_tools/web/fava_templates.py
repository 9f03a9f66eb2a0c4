"""Fava's templates, with every user text escaped.

Fava renders the Journal from `_journal_table.html`, whose loop sits in `{% autoescape false %}`:
a payee, a narration, a metadata value or a note holding `<img onerror=…>` would run in the
page of whoever opens the Journal (an AD admin too). The ledger's files may come from git, so
refusing markup when the portal writes is not enough: our Fava apps render that template with
autoescaping on. The patched text is made at runtime from the installed Fava template by exact
substitutions; if Fava's template no longer contains them, loading fails loudly
(`FavaTemplateChangedError`) rather than serving an unreviewed template.

The same substitutions put Fava's templates in French (`fava_francais.TEMPLATE_SUBSTITUTIONS`:
`<html lang="fr">`, the Journal's entry types and metadata keys).

The other Fava templates were reviewed for Fava 1.30.16: `_layout.html` and `_query_table.html`
autoescape (Flask does so for `.html`); `beancount_file` (`|safe`, no autoescape) is the text
download of the Journal, sent as an attachment, never as a page.
"""

from __future__ import annotations

from collections.abc import Callable

import jinja2
from flask import Flask

from retkoop_tools.web.fava_francais import TEMPLATE_SUBSTITUTIONS

#: Per template: (text Fava must contain exactly once, its replacement).
_ESCAPING: dict[str, tuple[tuple[str, str], ...]] = {
    "_journal_table.html": (
        ("{% autoescape false %}\n", "{% autoescape true %}\n"),
    ),
}
_SUBSTITUTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    name: _ESCAPING.get(name, ()) + TEMPLATE_SUBSTITUTIONS.get(name, ())
    for name in {**_ESCAPING, **TEMPLATE_SUBSTITUTIONS}
}


class FavaTemplateChangedError(RuntimeError):
    """The installed Fava template no longer has the text we patch: review it again."""

    def __init__(self, name: str, old: str, count: int) -> None:
        super().__init__(
            f"Fava template {name!r}: expected {old!r} once, found it {count} times. "
            "Fava changed: review the template for unescaped user data and update "
            "retkoop_tools/web/fava_templates.py."
        )


def escaped_source(name: str, source: str) -> str:
    """The source of Fava's template `name`, with our substitutions applied."""
    for old, new in _SUBSTITUTIONS.get(name, ()):
        count = source.count(old)
        if count != 1:
            raise FavaTemplateChangedError(name, old, count)
        source = source.replace(old, new)
    return source


class EscapingLoader(jinja2.BaseLoader):
    """Serves Fava's templates through `escaped_source`."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        return escaped_source(template, source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def use_escaping_templates(app: Flask) -> None:
    """Make a Fava app (and its extensions, which chain to its loader) escape user texts.

    The patched templates are built once here, so a changed Fava fails at app creation.
    """
    inner = app.jinja_loader
    if inner is None or isinstance(inner, EscapingLoader):
        return
    loader = EscapingLoader(inner)
    for name in _SUBSTITUTIONS:
        loader.get_source(app.jinja_env, name)
    app.jinja_loader = loader  # type: ignore[method-assign,assignment]
