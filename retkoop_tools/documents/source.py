"""Where documents read from: a coop's books loaded with its plugins, and the AD's identity."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from retkoop_tools.ad import AD, LEDGERS_DIRNAME, load_ad
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.regles import AVERTISSEMENT, level_of
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.standalone import load_books
from retkoop_tools.tresorier.books import Books


def ad_identity(config: dict) -> dict:
    """What a document's header shows of the AD (from ad.yaml)."""
    return {key: str((config or {}).get(key, "") or "") for key in ("numero", "nom", "adresse", "email")}


@dataclass
class CoopSource:
    """One coop as the documents see it."""

    ad: AD
    uai: str
    books: Books
    errors: list  # Beancount and plugin errors of the load (erreurs only)
    warnings: list = field(default_factory=list)  # the rules' avertissements

    @classmethod
    def of_load(cls, ad: AD, uai: str, books: Books, errors: list) -> CoopSource:
        """The source of a load's `errors`, split into erreurs and avertissements."""
        return cls(ad, uai, books, [e for e in errors if level_of(e) != AVERTISSEMENT],
                   [e for e in errors if level_of(e) == AVERTISSEMENT])

    @property
    def coop_dir(self) -> Path:
        return self.ad.root / LEDGERS_DIRNAME / self.uai


def load_source(ad_root: Path | str, uai: str, today: datetime.date | None = None, *,
                exercice: Exercice | None = None, full: bool = False) -> CoopSource:
    """The coop's books: its open exercices loaded on their own (`ledger.standalone`), every
    exercice when `full` or when `exercice` is a closed one they leave out (loaded on demand)."""
    ad = load_ad(ad_root)
    coop_dir = ad.root / LEDGERS_DIRNAME / uai
    loaded = load_books(coop_dir, uai, full=full)
    if exercice is not None and loaded.open_from is not None and exercice < loaded.open_from:
        loaded = load_books(coop_dir, uai, full=True)
    books = Books(loaded.entries, load_chart(ad.root), coop_dir, today)
    return CoopSource.of_load(ad, uai, books, list(loaded.errors))
