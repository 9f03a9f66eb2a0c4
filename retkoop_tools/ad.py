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


class InvalidSirenError(ValueError):
    """The AD's SIREN (`siren:` in ad.yaml) is missing or is not a SIREN; the message says which."""


def luhn_ok(digits: str) -> bool:
    """The Luhn check of the SIREN and SIRET numbers (INSEE)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def validate_siren(value: Any) -> str:
    """The AD's SIREN as 9 digits (`"123 456 782"` is accepted), or InvalidSirenError in French."""
    where = f"le SIREN de l'AD (clé « siren » de {AD_FILENAME})"
    if value is None or not str(value).strip():
        raise InvalidSirenError(f"Il manque {where} : le FEC est nommé d'après lui. Écrivez par exemple "
                                "« siren: \"123456782\" » (les 9 chiffres du SIREN de l'association).")
    text = str(value).strip()
    digits = re.sub(r"[\s.\u00a0\u202f]", "", text)
    if not digits.isdigit():
        raise InvalidSirenError(f"« {text} » n'est pas un SIREN : {where} s'écrit avec 9 chiffres.")
    if len(digits) == 14:
        raise InvalidSirenError(f"« {text} » est un SIRET (14 chiffres) : {where} est ses 9 premiers "
                                f"chiffres, « {digits[:9]} ».")
    if len(digits) != 9:
        quote = (" Écrivez-le entre guillemets (« siren: \"012345678\" ») : sans eux, un zéro en tête se perd."
                 if isinstance(value, int) and len(digits) < 9 else "")
        raise InvalidSirenError(f"« {text} » n'est pas un SIREN : {where} a 9 chiffres, pas {len(digits)}.{quote}")
    if not luhn_ok(digits):
        raise InvalidSirenError(f"« {text} » n'est pas un SIREN valide (sa clé de contrôle est fausse) : "
                                f"vérifiez {where} sur l'avis de situation SIRENE de l'association.")
    return digits


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

    @property
    def reglages(self):
        """The level and thresholds of each OCCE rule (`regles:`); ReglesError when they are wrong."""
        from retkoop_tools.checks.regles import parse_reglages

        return parse_reglages(self.config)

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


_CONFIG_CACHE: dict[bytes, dict[str, Any]] = {}


def ad_config_cached(root: Path) -> dict[str, Any]:
    """ad.yaml's content, parsed again only when the file's text changes (plugins call it on every
    load; keyed on the text, not on the file's time, which two quick writes may share)."""
    text = (Path(root) / AD_FILENAME).read_bytes()
    config = _CONFIG_CACHE.get(text)
    if config is None:
        if len(_CONFIG_CACHE) > 64:
            _CONFIG_CACHE.clear()
        config = yaml.safe_load(text) or {}
        if not isinstance(config, dict):
            raise NotAnADRepositoryError(f"{Path(root) / AD_FILENAME} : fichier invalide.")
        _CONFIG_CACHE[text] = config
    return config


def load_ad(root: Path | str) -> AD:
    root = Path(root)
    with open(root / AD_FILENAME, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise NotAnADRepositoryError(f"{root / AD_FILENAME} : fichier invalide.")
    return AD(root=root, config=config)
