"""An AD repository: its root (the folder holding `ad.yaml`), its identity and its coops."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

AD_FILENAME = "ad.yaml"
LEDGERS_DIRNAME = "ledgers"
COOP_FILENAME = "coop.beancount"


class NotAnADRepositoryError(Exception):
    """No `ad.yaml` was found in the folder or its parents."""


def find_ad_root(start: Path | str) -> Path | None:
    """The nearest folder at or above `start` that holds an `ad.yaml`, or None."""
    path = Path(start).resolve()
    if path.is_file():
        path = path.parent
    for candidate in (path, *path.parents):
        if (candidate / AD_FILENAME).is_file():
            return candidate
    return None


def require_ad_root(start: Path | str) -> Path:
    root = find_ad_root(start)
    if root is None:
        raise NotAnADRepositoryError(
            f"Aucun dépôt d'AD trouvé dans {Path(start).resolve()} ni au-dessus "
            f"(il faut un fichier {AD_FILENAME}). Indiquez-le avec --repo DOSSIER."
        )
    return root


@dataclass(frozen=True)
class AD:
    root: Path
    config: dict[str, Any]

    @property
    def numero(self) -> str:
        return str(self.config.get("numero", ""))

    @property
    def nom(self) -> str:
        return str(self.config.get("nom", ""))

    @property
    def ledgers_dir(self) -> Path:
        return self.root / LEDGERS_DIRNAME

    def coop_dir(self, uai: str) -> Path:
        return self.ledgers_dir / uai

    def coop_file(self, uai: str) -> Path:
        return self.coop_dir(uai) / COOP_FILENAME

    def uais(self) -> list[str]:
        """Every coop of the AD (folders of `ledgers/` holding a `coop.beancount`), sorted."""
        if not self.ledgers_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.ledgers_dir.glob(f"*/{COOP_FILENAME}"))


def echeance(config: dict, name: str, after: datetime.date) -> datetime.date | None:
    """The AD's deadline `name` (``echeances: {crf: "09-30"}``) falling next on or after `after`."""
    value = ((config or {}).get("echeances") or {}).get(name)
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value or "").strip())
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        due = datetime.date(after.year, month, day)
        return due if due >= after else datetime.date(after.year + 1, month, day)
    except ValueError:
        return None


def load_ad(root: Path | str) -> AD:
    root = Path(root)
    with open(root / AD_FILENAME, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise NotAnADRepositoryError(f"{root / AD_FILENAME} : fichier invalide.")
    return AD(root=root, config=config)
