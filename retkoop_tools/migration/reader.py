"""A cahier file (XLSX or CSV) → its rows, with the header row found and columns mapped."""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from retkoop_tools.chart import Chart, Compte

FIELDS = ("piece", "date", "libelle", "tiers", "cheque", "mode", "regie_versee", "regie_restituee",
          "banque_entree", "banque_sortie", "caisse_entree", "caisse_sortie")
_CODE = re.compile(r"^\s*(\d{3,4})\b")
#: The key of colonnes.yaml that names the columns of one bank account (a coop with two).
BANK_COLUMNS = "comptes_bancaires"


class CahierError(Exception):
    """The file cannot be read as a cahier; French message."""


def key(text: object) -> str:
    """How titles are compared: lower-case ASCII letters and digits only."""
    ascii_ = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", ascii_)


def load_columns(path: Path | None = None) -> dict:
    """The titles of each piece of information (`field: [titles]`), and under `comptes_bancaires`
    the titles of one bank account's columns (`"514": {entree: [...], sortie: [...]}`)."""
    text = resources.files("retkoop_tools.migration").joinpath("colonnes.yaml").read_text(encoding="utf-8")
    columns = yaml.safe_load(text)
    if path is not None:
        try:
            own = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CahierError(f"{Path(path).name} : fichier de colonnes illisible ({exc}).") from None
        if not isinstance(own, dict):
            raise CahierError(f"{Path(path).name} : attendu « information: [titres…] », une par ligne.")
        unknown = set(own) - set(FIELDS) - {BANK_COLUMNS}
        if unknown:
            raise CahierError(f"{Path(path).name} : {', '.join(sorted(unknown))} inconnu(s) ; les informations "
                              f"sont {', '.join(FIELDS + (BANK_COLUMNS,))}.")
        banks = own.pop(BANK_COLUMNS, None)
        if banks is not None:
            columns[BANK_COLUMNS] = _bank_columns(banks, Path(path).name)
        columns.update({k: v if isinstance(v, list) else [v] for k, v in own.items()})
    columns[BANK_COLUMNS] = _bank_columns(columns.get(BANK_COLUMNS) or {}, "colonnes.yaml")
    return columns


def _bank_columns(value: object, name: str) -> dict[str, dict[str, list[str]]]:
    """`comptes_bancaires` checked: chart code → {entree: [titles], sortie: [titles]}."""
    problem = (f"{name} : {BANK_COLUMNS} s'écrit, pour chaque compte, son code puis les titres de ses colonnes : "
               '"514": {entree: ["CCP entrée"], sortie: ["CCP sortie"]}.')
    if not isinstance(value, dict):
        raise CahierError(problem)
    result = {}
    for code, sides in value.items():
        if not isinstance(sides, dict) or set(sides) - {"entree", "sortie"}:
            raise CahierError(problem)
        result[str(code)] = {side: titles if isinstance(titles, list) else [titles]
                             for side, titles in sides.items()}
    return result


@dataclass
class Layout:
    """Where each piece of information is, in the sheet."""

    header_row: int  # 1-based, as the spreadsheet shows it
    fields: dict[str, int]  # field → column index
    ventilation: dict[int, Compte]  # column index → account
    banks: dict[str, dict[str, int]] = field(default_factory=dict)  # chart code → entree/sortie → column
    unknown: list[str] = field(default_factory=list)  # titles we did not recognise


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]  # cells as read: str, float/int, datetime, None
    layout: Layout


def read_rows(content: bytes, filename: str, sheet: str | None = None) -> list[list[object]]:
    if content.startswith(b"PK\x03\x04"):
        return _xlsx_rows(content, filename, sheet)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise CahierError(f"« {filename} » est un ancien classeur Excel (.xls) : enregistrez-le au format .xlsx "
                          "ou CSV, puis recommencez.")
    if content.startswith(b"%PDF"):
        raise CahierError(f"« {filename} » est un PDF : il faut le classeur (XLSX) ou son export CSV.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise CahierError(f"« {filename} » : encodage illisible ; enregistrez le CSV en UTF-8.")
    if "\x00" in text:
        raise CahierError(f"« {filename} » n'est pas un texte lisible : enregistrez le cahier en XLSX ou en CSV.")
    first = text.split("\n", 5)
    delimiter = max((";", ",", "\t"), key=lambda d: sum(line.count(d) for line in first))
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(content: bytes, filename: str, sheet: str | None) -> list[list[object]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, xml or openpyxl errors: the file is damaged
        raise CahierError(f"« {filename} » est un classeur abîmé ou incomplet ({type(exc).__name__}) : "
                          "enregistrez-le à nouveau depuis le tableur.") from None
    if sheet:
        if sheet not in book.sheetnames:
            raise CahierError(f"« {filename} » n'a pas de feuille « {sheet} » (feuilles : {', '.join(book.sheetnames)}).")
        ws = book[sheet]
    else:
        ws = book.worksheets[0]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def find_layout(rows: list[list[object]], columns: dict, chart: Chart) -> Layout:
    wanted = {f: {key(t) for t in titles} for f, titles in columns.items() if f != BANK_COLUMNS}
    bank_wanted = {(code, side): {key(t) for t in titles}
                   for code, sides in (columns.get(BANK_COLUMNS) or {}).items() for side, titles in sides.items()}
    for index, row in enumerate(rows[:30]):
        found: dict[str, int] = {}
        banks: dict[str, dict[str, int]] = {}
        ventilation: dict[int, Compte] = {}
        unknown = []
        for col, cell in enumerate(row):
            k = key(cell)
            if not k:
                continue
            field_name = next((f for f, titles in wanted.items() if k in titles and f not in found), None)
            if field_name:
                found[field_name] = col
                continue
            bank_side = next((cs for cs, titles in bank_wanted.items()
                              if k in titles and cs[1] not in banks.get(cs[0], {})), None)
            if bank_side:
                banks.setdefault(bank_side[0], {})[bank_side[1]] = col
                continue
            match = _CODE.match(str(cell))
            compte = chart.by_code.get(match.group(1)) if match else None
            if compte is not None and compte.is_ventilation:
                ventilation[col] = compte
            else:
                unknown.append(str(cell))
        money = {"banque_entree", "banque_sortie", "caisse_entree", "caisse_sortie"} & set(found)
        if "date" in found and (money or banks):
            return Layout(index + 1, found, ventilation, banks, unknown)
    raise CahierError("Ligne des titres introuvable : le cahier doit avoir une ligne de titres avec au moins "
                      "« Date » et une colonne « Banque entrée/sortie » ou « Caisse entrée/sortie ». "
                      "Si vos titres diffèrent, décrivez-les dans un fichier --colonnes (voir colonnes.yaml).")


def read_cahier(content: bytes, filename: str, chart: Chart, columns: dict[str, list[str]],
                sheet: str | None = None) -> Sheet:
    if not content.strip():
        raise CahierError(f"« {filename} » est vide.")
    rows = read_rows(content, filename, sheet)
    return Sheet(sheet or filename, rows, find_layout(rows, columns, chart))


def cell_date(value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    from retkoop_tools.tresorier.parsing import parse_date

    return parse_date(str(value or ""))
