"""The CSV formats of the banks, read from `banques.yaml` (ours, then the AD's own)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from retkoop_tools.banque.statement import StatementError

AD_FILENAME = "banques.yaml"


@dataclass(frozen=True)
class BankFormat:
    id: str
    nom: str
    header: tuple[str, ...]
    date: str
    label: tuple[str, ...]
    encoding: str = "cp1252"
    delimiter: str = ";"
    date_format: str = "%d/%m/%Y"
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    number: str | None = None
    balance_pattern: re.Pattern | None = None
    balance_date_pattern: re.Pattern | None = None
    balance_column: str | None = None
    account_pattern: re.Pattern | None = None
    extra: dict = field(default_factory=dict, compare=False)


def _pattern(text: str | None, where: str) -> re.Pattern | None:
    if not text:
        return None
    try:
        return re.compile(text, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise StatementError(f"{where} : le motif « {text} » est incorrect ({exc}).") from None


def parse_format(key: str, spec: dict, source: str) -> BankFormat:
    where = f"{source}, banque « {key} »"
    if not isinstance(spec, dict):
        raise StatementError(f"{where} : attendu une liste de réglages (nom, entete, date…).")
    missing = [k for k in ("nom", "entete", "date", "libelle") if not spec.get(k)]
    if missing:
        raise StatementError(f"{where} : il manque {', '.join(missing)}.")
    if not spec.get("montant") and not (spec.get("debit") and spec.get("credit")):
        raise StatementError(f"{where} : indiquez la colonne « montant », ou « debit » et « credit ».")
    labels = spec["libelle"] if isinstance(spec["libelle"], list) else [spec["libelle"]]
    solde = spec.get("solde") or {}
    header = tuple(str(h) for h in spec["entete"])
    for column in [spec["date"], spec.get("montant"), spec.get("debit"), spec.get("credit")]:
        if column and column not in header:
            raise StatementError(f"{where} : la colonne « {column} » n'est pas dans « entete ».")
    if not any(label in header for label in labels):
        raise StatementError(f"{where} : aucune colonne de « libelle » n'est dans « entete ».")
    return BankFormat(
        id=key, nom=str(spec["nom"]), header=header, date=str(spec["date"]),
        label=tuple(str(c) for c in labels), encoding=str(spec.get("encodage", "cp1252")),
        delimiter=str(spec.get("separateur", ";")), date_format=str(spec.get("format_date", "%d/%m/%Y")),
        amount=spec.get("montant"), debit=spec.get("debit"), credit=spec.get("credit"),
        number=spec.get("numero"),
        balance_pattern=_pattern(solde.get("motif"), where),
        balance_date_pattern=_pattern(solde.get("motif_date"), where),
        balance_column=solde.get("colonne"), account_pattern=_pattern(spec.get("compte"), where),
    )


def _read(text: str, source: str) -> dict[str, BankFormat]:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise StatementError(f"{source} n'est pas un YAML valide : {exc}") from None
    if not isinstance(raw, dict):
        raise StatementError(f"{source} : attendu une banque par bloc (identifiant: réglages).")
    return {str(key): parse_format(str(key), spec, source) for key, spec in raw.items()}


def load_formats(ad_root: Path | None = None) -> dict[str, BankFormat]:
    """Our formats, then the AD's `banques.yaml` (same id: replaces ours)."""
    text = resources.files("retkoop_tools.banque").joinpath("banques.yaml").read_text(encoding="utf-8")
    formats = _read(text, "banques.yaml (retkoop-tools)")
    if ad_root is not None:
        path = Path(ad_root) / AD_FILENAME
        if path.is_file():
            formats.update(_read(path.read_text(encoding="utf-8"), str(path.name)))
    return formats
