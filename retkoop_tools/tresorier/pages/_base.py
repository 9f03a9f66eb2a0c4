"""What every treasurer page shares: the coop's books, the acting user, JSON answers.

`Page` is a plain mixin (not a FavaExtensionBase): Fava instantiates every extension class
a module exposes, so the shared part must not be one.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from flask import jsonify, request, url_for

from retkoop_tools.ad import find_ad_root, load_ad
from retkoop_tools.chart import load_chart
from retkoop_tools.fr import fmt_date, fmt_eur, fmt_number
from retkoop_tools.ledger.exercice import TODAY_ENV, today  # noqa: F401  (the project's clock)
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, Upload
from retkoop_tools.tresorier.books import Books


class Page:
    """Mixin of the treasurer's pages."""

    ledger: object  # the FavaLedger, set by FavaExtensionBase

    # -- where we are ------------------------------------------------------------------------
    @functools.cached_property
    def coop_dir(self) -> Path:
        return Path(self.ledger.beancount_file_path).resolve().parent  # type: ignore[attr-defined]

    @property
    def uai(self) -> str:
        return self.coop_dir.name

    @functools.cached_property
    def ad_root(self) -> Path:
        return find_ad_root(self.coop_dir) or self.coop_dir

    def ad_config(self) -> dict:
        try:
            return load_ad(self.ad_root).config
        except Exception:  # noqa: BLE001 - a coop outside an AD has no deadlines
            return {}

    def books_for(self, exercice) -> Books:
        """The books to show `exercice` from: Fava's, or when they leave it out (a closed
        exercice before the à-nouveaux the coop's app starts from), every exercice, loaded on
        demand (and remembered while the files do not change)."""
        from retkoop_tools.ledger.anouveaux import OPEN_FROM_KEY
        from retkoop_tools.ledger.exercice import Exercice
        from retkoop_tools.ledger.standalone import load_books

        books = self.books()
        open_from = self.ledger.options.get(OPEN_FROM_KEY)  # type: ignore[attr-defined]
        if exercice is None or not open_from or exercice >= Exercice.parse(open_from):
            return books
        loaded = load_books(self.coop_dir, self.uai, full=True)
        key = (id(loaded.entries), today())
        cached = getattr(self, "_full_books", None)
        if cached is None or cached[0] != key:
            self._full_books = (key, Books(loaded.entries, books.chart, self.coop_dir, today()))
        return self._full_books[1]

    def books(self) -> Books:
        """The books as Fava loaded them (cached until the next load)."""
        key = (id(self.ledger.all_entries), today())  # type: ignore[attr-defined]
        cached = getattr(self, "_books", None)
        if cached is None or cached[0] != key:
            chart = load_chart(self.ad_root if (self.ad_root / "ad.yaml").exists() else None)
            books = Books(self.ledger.all_entries, chart, self.coop_dir, today())  # type: ignore[attr-defined]
            self._books = (key, books)
        return self._books[1]

    # -- who acts ----------------------------------------------------------------------------
    @property
    def user(self):
        return request.environ.get("retkoop.user")

    def forced_exercice(self):
        """The one exercice a vérificateur may read (None for everyone else)."""
        from retkoop_tools.ledger.exercice import Exercice

        user = self.user
        if user is not None and user.role == "verificateur" and user.exercice:
            return Exercice.parse(user.exercice)
        return None

    def can_write(self) -> bool:
        user = self.user
        return True if user is None else bool(user.can_write(self.uai))

    def author(self) -> Author:
        user = self.user
        if user is not None:
            return Author(user.name, user.login)
        return Author(os.environ.get("GIT_AUTHOR_NAME", "Fava (poste local)"),
                      os.environ.get("GIT_AUTHOR_EMAIL", "fava@localhost"))

    def store(self) -> Store:
        return request.environ.get("retkoop.store") or Store(self.ad_root)

    # -- answers -----------------------------------------------------------------------------
    @staticmethod
    def answer(result: Result):
        response = jsonify(result.as_dict())
        response.status_code = 200 if result.ok else 422
        return response

    @staticmethod
    def upload(name: str) -> Upload | None:
        file = request.files.get(name)
        if file is None or not file.filename:
            return None
        return Upload(file.filename, file.read())

    def page_url(self, name: str, **params: str) -> str:
        return url_for("extension_report", extension_name=name, **params)

    def endpoint_url(self, name: str, endpoint: str) -> str:
        # (url_for's own first parameter is called `endpoint`: build on the page's URL)
        return url_for("extension_report", extension_name=name).split("?")[0] + endpoint

    # -- formatting for templates ----------------------------------------------------------
    eur = staticmethod(fmt_eur)
    date = staticmethod(fmt_date)
    number = staticmethod(fmt_number)
