"""Fixtures: a real AD repository in a temp folder, with one coop whose books we write."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("BEANCOUNT_DISABLE_LOAD_CACHE", "1")


@pytest.fixture(autouse=True)
def _isolated_check_cache(tmp_path_factory, monkeypatch):
    """Each test has its own cache of check results (subprocesses inherit it)."""
    monkeypatch.setenv("RETKOOP_CACHE_DIR", str(tmp_path_factory.mktemp("check-cache")))

from retkoop_tools.checks.runner import CheckError, check_coop  # noqa: E402
from retkoop_tools.ledger.exercice import Exercice  # noqa: E402
from retkoop_tools.ledger.layout import create_coop, insert_position  # noqa: E402

UAI = "0910001A"


@dataclass
class Coop:
    root: Path
    uai: str
    dir: Path

    def exercice_file(self, name: str = "2025-2026") -> Path:
        return self.dir / f"{name}.beancount"

    def add(self, text: str, exercice: str = "2025-2026") -> int:
        """Insert entries before the footer of an exercice file; return their first line."""
        path = self.exercice_file(exercice)
        content = path.read_text(encoding="utf-8")
        at = insert_position(content)
        body = textwrap.dedent(text).strip("\n") + "\n\n"
        path.write_text(content[:at] + body + content[at:], encoding="utf-8")
        return content[:at].count("\n") + 1

    def line_of(self, needle: str, exercice: str = "2025-2026") -> int:
        """The line number of the first line containing `needle`."""
        for n, line in enumerate(self.exercice_file(exercice).read_text().splitlines(), 1):
            if needle in line:
                return n
        raise AssertionError(f"{needle!r} not found")

    def errors(self) -> list[CheckError]:
        return check_coop(self.root, self.uai).errors

    def warnings(self) -> list[CheckError]:
        """The avertissements of the books (the erreurs are in `errors`)."""
        return check_coop(self.root, self.uai).warnings

    def set_rules(self, text: str) -> None:
        """Set the AD's rule settings: the `regles:` block of ad.yaml (YAML text)."""
        path = self.root / "ad.yaml"
        kept = path.read_text(encoding="utf-8").split("\nregles:")[0].rstrip("\n")
        path.write_text(kept + "\nregles:\n" + textwrap.indent(textwrap.dedent(text).strip("\n"), "  ") + "\n",
                        encoding="utf-8")

    def messages(self) -> list[str]:
        return [e.message for e in self.errors()]


def make_ad(root: Path, numero: str = "91") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ad.yaml").write_text(f'numero: "{numero}"\nnom: "AD de test"\n', encoding="utf-8")
    return root


@pytest.fixture
def ad_root(tmp_path: Path) -> Path:
    return make_ad(tmp_path / "ad")


@pytest.fixture
def coop(ad_root: Path) -> Coop:
    coop_dir = create_coop(ad_root, UAI, "École Jean Jaurès", "Évry", Exercice(2025))
    return Coop(ad_root, UAI, coop_dir)


# Entries that open a coop's books: balances brought in, ticked on the first statement.
OPENING = """
2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR
"""


def spaced(message: str) -> str:
    """A French message with its non-breaking spaces (1 234,56 €) as plain ones, to compare."""
    return message.replace("\u00a0", " ").replace("\u202f", " ")
