"""Helpers for tests on real git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store

ADMIN = Author("Compta AD", "compta@ad91.fr")
TEACHER = Author("Mme Martin", "martin@ecole.fr")
OPENING_TEXT = """2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR
"""


def env_with_retkoop() -> dict[str, str]:
    """The environment of git commands whose hooks call `retkoop`."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.org",
                GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.org")


def run_git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env=env_with_retkoop(), input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {args} failed: {proc.stdout}{proc.stderr}")
    return proc


def make_ad_repo(root: Path, uais: tuple[str, ...] = ("0910001A",)) -> Store:
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    store = Store(root)
    for uai in uais:
        create_coop(root, uai, f"École {uai}", "Évry", Exercice(2025))
        store.commit_new_coop(uai, ADMIN, f"Nouvelle coopérative {uai}")
        store.insert_entries(uai, OPENING_TEXT, ADMIN, "Reprise des soldes", Exercice(2025))
    return store


def sale(n: int, amount: str = "15.00", day: int = 10) -> str:
    return f"""2025-10-{day:02d} * "Famille {n}" "Participation volontaire"
  piece: "R{n:03d}"
  mode: "ESP"
  Actif:530-Caisse                        {amount} EUR
  Produits:7562-Participation-familles  -{amount} EUR
"""
