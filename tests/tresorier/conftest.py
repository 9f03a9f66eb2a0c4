"""A real AD repository with one coop (exercice 2025-2026 open, balances brought in)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from beancount import loader

from retkoop_tools.chart import load_chart
from retkoop_tools.checks.regles import ERREUR, level_of
from retkoop_tools.store.store import Store
from retkoop_tools.tresorier.books import Books
from tests.gitrepo import make_ad_repo, run_git

UAI = "0910001A"
TODAY = datetime.date(2026, 3, 31)


@dataclass
class Repo:
    root: Path
    store: Store

    @property
    def coop_dir(self) -> Path:
        return self.root / "ledgers" / UAI

    def books(self, today: datetime.date = TODAY) -> Books:
        entries, errors, _ = loader.load_file(str(self.coop_dir / "coop.beancount"))
        errors = [e for e in errors if level_of(e) == ERREUR]  # avertissements do not stop the books
        assert not errors, [e.message for e in errors]
        return Books(entries, load_chart(self.root), self.coop_dir, today)

    def log(self) -> list[str]:
        return run_git(self.root, "log", "--format=%an|%s").stdout.splitlines()

    def text(self, name: str = "2025-2026.beancount") -> str:
        return (self.coop_dir / name).read_text(encoding="utf-8")


@pytest.fixture
def repo(tmp_path) -> Repo:
    root = tmp_path / "ad"
    return Repo(root, make_ad_repo(root))
