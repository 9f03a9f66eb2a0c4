"""The banks' export files, read from `banques.yaml` (ours, then the AD's own).

A bank (`BankFormat`) has one or more layouts (`Layout`): the files it has exported over the
years (an older CSV, a current one, an Excel workbook). A layout says how a file is recognised
(its title row, or for a file without one, a pattern of its first lines), where each value is,
and where the closing balance is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from retkoop_tools.banque.statement import StatementError

AD_FILENAME = "banques.yaml"
KINDS = ("csv", "xlsx")
BALANCE_LINES = ("", "premiere", "derniere")
_LAYOUT_KEYS = {"variante", "fichier", "encodage", "separateur", "entete", "colonnes", "reconnaissance", "date",
                "format_date", "libelle", "montant", "debit", "credit", "numero", "solde", "compte"}
_BANK_KEYS = {"nom", "variantes"} | _LAYOUT_KEYS


@dataclass(frozen=True)
class Layout:
    """One file layout of a bank."""

    name: str  # what the teacher reads: "export CSV", "export Excel"
    date: str
    label: tuple[str, ...]
    header: tuple[str, ...] = ()  # the title row (recognises the file), or ()…
    columns: tuple[str, ...] = ()  # …the columns by position, for a file without a title row
    signature: re.Pattern | None = None  # must match the file's first lines (required without title row)
    kind: str = "csv"
    encoding: str = "cp1252"
    delimiter: str = ";"
    date_format: str = "%d/%m/%Y"
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    number: str | None = None
    balance_patterns: tuple[re.Pattern, ...] = ()  # the first that matches gives the balance
    balance_date_pattern: re.Pattern | None = None
    balance_line: str = ""  # "premiere" / "derniere": the balance is only looked for in that line
    balance_column: str | None = None
    account_pattern: re.Pattern | None = None

    @property
    def has_header(self) -> bool:
        return bool(self.header)

    @property
    def names(self) -> tuple[str, ...]:
        """The columns the layout knows: the title row, or the positional names."""
        return self.header or self.columns


@dataclass(frozen=True)
class BankFormat:
    """A bank, as the teacher chooses it, with the layouts its files come in."""

    id: str
    nom: str
    layouts: tuple[Layout, ...]

    @property
    def kinds(self) -> set[str]:
        return {layout.kind for layout in self.layouts}


def _pattern(text: str | None, where: str) -> re.Pattern | None:
    if not text:
        return None
    try:
        return re.compile(str(text), re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise StatementError(f"{where} : le motif « {text} » est incorrect ({exc}).") from None


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value),)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    raise StatementError(f"{where} : « {key} » doit être une liste de noms de colonnes.")


def parse_layout(spec: dict, where: str, index: int = 0) -> Layout:
    unknown = sorted(set(spec) - _LAYOUT_KEYS)
    if unknown:
        raise StatementError(f"{where} : réglage(s) inconnu(s) : {', '.join(unknown)}.")
    header = _strings(spec.get("entete"), where, "entete")
    columns = _strings(spec.get("colonnes"), where, "colonnes")
    if header and columns:
        raise StatementError(f"{where} : indiquez « entete » (la ligne de titres du fichier) ou « colonnes » "
                             "(fichier sans ligne de titres), pas les deux.")
    if not header and not columns:
        raise StatementError(f"{where} : il manque « entete » (la ligne de titres du fichier) ou, pour un fichier "
                             "sans ligne de titres, « colonnes ».")
    missing = [k for k in ("date", "libelle") if not spec.get(k)]
    if missing:
        raise StatementError(f"{where} : il manque {', '.join(missing)}.")
    if not spec.get("montant") and not (spec.get("debit") and spec.get("credit")):
        raise StatementError(f"{where} : indiquez la colonne « montant », ou « debit » et « credit ».")
    names = header or columns
    where_names = "entete" if header else "colonnes"
    labels = _strings(spec["libelle"], where, "libelle")
    for column in [spec["date"], spec.get("montant"), spec.get("debit"), spec.get("credit")]:
        if column and str(column) not in names:
            raise StatementError(f"{where} : la colonne « {column} » n'est pas dans « {where_names} ».")
    if not any(label in names for label in labels):
        raise StatementError(f"{where} : aucune colonne de « libelle » n'est dans « {where_names} ».")
    signature = _pattern(spec.get("reconnaissance"), where)
    if columns and signature is None:
        raise StatementError(f"{where} : un fichier sans ligne de titres se reconnaît à « reconnaissance » "
                             "(un motif de ses premières lignes) : indiquez-le.")
    kind = str(spec.get("fichier", "csv")).lower()
    if kind not in KINDS:
        raise StatementError(f"{where} : « fichier » vaut csv ou xlsx, pas « {kind} ».")
    solde = spec.get("solde") or {}
    if not isinstance(solde, dict):
        raise StatementError(f"{where} : « solde » attend motif, motif_date, ligne ou colonne.")
    line = str(solde.get("ligne", "") or "").lower().replace("è", "e")
    if line not in BALANCE_LINES:
        raise StatementError(f"{where} : « solde: ligne » vaut premiere ou derniere, pas « {line} ».")
    return Layout(
        name=str(spec.get("variante") or ("export Excel" if kind == "xlsx" else f"export {index + 1}" if index else
                                          "export CSV")),
        date=str(spec["date"]), label=labels, header=header, columns=columns, signature=signature, kind=kind,
        encoding=str(spec.get("encodage", "cp1252")), delimiter=str(spec.get("separateur", ";")),
        date_format=str(spec.get("format_date", "%d/%m/%Y")),
        amount=spec.get("montant"), debit=spec.get("debit"), credit=spec.get("credit"), number=spec.get("numero"),
        balance_patterns=tuple(p for p in (_pattern(m, where) for m in _strings(solde.get("motif"), where, "motif"))
                               if p is not None),
        balance_date_pattern=_pattern(solde.get("motif_date"), where), balance_line=line,
        balance_column=solde.get("colonne"), account_pattern=_pattern(spec.get("compte"), where),
    )


def parse_format(key: str, spec: dict, source: str) -> BankFormat:
    """One bank of `banques.yaml`: its settings, or several `variantes` that inherit them."""
    where = f"{source}, banque « {key} »"
    if not isinstance(spec, dict):
        raise StatementError(f"{where} : attendu une liste de réglages (nom, entete, date…).")
    if not spec.get("nom"):
        raise StatementError(f"{where} : il manque nom.")
    unknown = sorted(set(spec) - _BANK_KEYS)
    if unknown:
        raise StatementError(f"{where} : réglage(s) inconnu(s) : {', '.join(unknown)}.")
    common = {k: v for k, v in spec.items() if k not in ("nom", "variantes")}
    variants = spec.get("variantes")
    if variants is None:
        return BankFormat(key, str(spec["nom"]), (parse_layout(common, where),))
    if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) for v in variants):
        raise StatementError(f"{where} : « variantes » attend une liste de réglages, un par export de la banque.")
    layouts = []
    for index, variant in enumerate(variants):
        name = variant.get("variante") or f"n° {index + 1}"
        layouts.append(parse_layout({**common, **variant}, f"{where}, variante « {name} »", index))
    return BankFormat(key, str(spec["nom"]), tuple(layouts))


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
