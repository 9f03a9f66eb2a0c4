"""Statement files → `BankStatement`: OFX through ofxtools, CSV and XLSX through the banks' layouts.

Every way a file can be wrong (empty, a PDF, an unknown bank, a wrong encoding, cut short,
a date or an amount that is not one) is a `StatementError` whose French message says what
to do; a file that looks like a known bank's but does not fit says what was recognised and
what was not. Nothing here touches the books.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from retkoop_tools.banque.formats import BankFormat, Layout
from retkoop_tools.banque.statement import (
    CHEQUE_NUMBER,
    BankStatement,
    StatementError,
    StatementLine,
    line_ref,
    normalize,
)
from retkoop_tools.fr import fmt_date

MAX_SIZE = 5 * 1024 * 1024
MAX_ROWS = 20_000
HEAD_ROWS = 40  # the title row (or the first operation) is looked for in the first rows
OFX = "OFX"
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_PARTIAL_DATE = re.compile(r"^\d{1,2}[/.-]\d{0,2}[/.-]?\d{0,3}$")


def read_statement(content: bytes, filename: str, formats: dict[str, BankFormat],
                   bank: str | None = None) -> BankStatement:
    """Read a statement file; `bank` (a format id, or "ofx") forces the expected bank."""
    _check_kind(content, filename)
    if _looks_like_ofx(content):
        if bank and bank.lower() != "ofx":
            raise StatementError(f"« {filename} » est un relevé OFX, pas un export CSV "
                                 f"{formats[bank].nom if bank in formats else bank} : choisissez « OFX ».")
        return read_ofx(content, filename)
    if bank and bank.lower() == "ofx":
        raise StatementError(f"« {filename} » n'est pas un fichier OFX : c'est peut-être un export CSV.")
    if content.startswith(b"PK\x03\x04"):
        kind, content = _open_zip(content, filename)
        if kind == "xlsx":
            return read_table(_xlsx_rows(content, filename), "xlsx", filename, formats, bank)
        if _looks_like_ofx(content):
            return read_ofx(content, filename)
    return read_csv(content, filename, formats, bank)


def identify(content: bytes, formats: dict[str, BankFormat]) -> str | None:
    """The format id ("ofx" or a bank's) this file is, or None."""
    try:
        _check_kind(content, "")
        kind = "csv"
        if content.startswith(b"PK\x03\x04"):
            kind, content = _open_zip(content, "")
        if kind == "csv" and _looks_like_ofx(content):
            return "ofx"
        if kind == "xlsx":
            found = _find_layout("xlsx", "", {"xlsx": _xlsx_rows(content, "")}, formats)
        else:
            found = _find_layout("csv", _decode(content, "cp1252", ""), {}, formats)
    except StatementError:
        return None
    return found.bank.id if found else None


# -- checks common to every file --------------------------------------------------------------
def _check_kind(content: bytes, filename: str) -> None:
    name = f"« {filename} »" if filename else "Le fichier"
    if not content.strip():
        raise StatementError(f"{name} est vide : téléchargez à nouveau le relevé depuis le site de la banque.")
    if len(content) > MAX_SIZE:
        raise StatementError(f"{name} fait plus de {MAX_SIZE // (1024 * 1024)} Mo : ce n'est pas un relevé "
                             "de coopérative. Exportez une période plus courte (un mois).")
    if content.startswith(b"%PDF"):
        raise StatementError(f"{name} est un PDF : il ne se lit pas automatiquement. Sur le site de la "
                             "banque, téléchargez les opérations au format CSV (tableur) ou OFX ; le PDF "
                             "peut être joint au relevé sur la page Pointage.")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise StatementError(f"{name} est un classeur Excel ancien (.xls) : ouvrez-le et enregistrez-le au "
                             "format .xlsx ou CSV (séparateur point-virgule), ou téléchargez le CSV ou l'OFX "
                             "de la banque.")


def _open_zip(content: bytes, filename: str) -> tuple[str, bytes]:
    """("xlsx", the workbook) or ("csv", the one statement file a bank's .zip holds)."""
    name = f"« {filename} »" if filename else "Le fichier"
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        if "xl/workbook.xml" in names:
            return "xlsx", content
        inner = [i for i in archive.infolist() if not i.is_dir()
                 and i.filename.lower().endswith((".csv", ".ofx", ".txt"))]
        if len(inner) == 1 and inner[0].file_size <= MAX_SIZE:
            return "csv", archive.read(inner[0])
    except (zipfile.BadZipFile, OSError, RuntimeError):
        raise StatementError(f"{name} est un fichier compressé abîmé : téléchargez à nouveau le relevé.") from None
    raise StatementError(f"{name} est un fichier compressé (.zip) qui ne contient pas un relevé (un seul fichier "
                         "CSV ou OFX) : ouvrez-le et envoyez le relevé qu'il contient.")


def _looks_like_ofx(content: bytes) -> bool:
    head = content[:4096].lstrip().upper()
    return head.startswith(b"OFXHEADER") or b"<OFX>" in head or (head.startswith(b"<?XML") and b"OFX" in head)


def _decode(content: bytes, encoding: str, filename: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else the bank's own encoding."""
    name = f"« {filename} »" if filename else "Le fichier"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    if b"\x00" in content[:4096]:
        raise StatementError(f"{name} n'est pas un texte lisible (encodage inconnu, ou fichier d'un autre "
                             "type) : téléchargez à nouveau le relevé au format CSV ou OFX.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = content[: getattr(exc, "start", 0)].count(b"\n") + 1
        raise StatementError(f"{name} : caractères illisibles à la ligne {line} (encodage ni UTF-8 ni "
                             f"{encoding}). Téléchargez à nouveau le relevé, sans l'ouvrir ni le "
                             "réenregistrer dans un tableur.") from None


# -- numbers and dates ------------------------------------------------------------------------
def parse_number(text: str) -> Decimal | None:
    """`1 234,56`, `-420,00`, `+15,00 €`, `1.234,56`, `-420.00` → Decimal; "" → None."""
    raw = (text or "").strip()
    cleaned = re.sub(r"[\s\u00a0\u202f€+]|EUR", "", raw)
    if not cleaned:
        return None
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", cleaned):
        cleaned = cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(raw)
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - excluded by the pattern
        raise ValueError(raw) from None


def parse_bank_date(text: str, preferred: str) -> datetime.date:
    raw = (text or "").strip()
    for fmt in (preferred, *_DATE_FORMATS):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


# -- OFX --------------------------------------------------------------------------------------
#: Values ofxtools checks against a list although a statement does not depend on them.
_ENUM_TAGS = ("TRNTYPE", "ACCTTYPE", "SEVERITY", "CURDEF", "CURSYM", "CORRECTACTION")
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9.]*)>")
_ENUM = re.compile(rb"<(" + b"|".join(t.encode() for t in _ENUM_TAGS) + rb")>([^<\r\n]*)")
_LANGUAGE = re.compile(rb"<LANGUAGE>[^<\r\n]*")
_STMTRS = re.compile(rb"<STMTRS>.*?</STMTRS>", re.S)
_DTEND = re.compile(rb"<(?:DTEND|DTSERVER)>\s*(\d{8})")


def lenient_ofx(content: bytes) -> tuple[bytes, bool]:
    """The OFX made acceptable to ofxtools' strict validation, and whether it gave a balance.

    Only values that do not change what the statement says are touched: tag names and listed
    values are upper-cased (`<trntype>debit`), the language of the bank's messages becomes
    `FRA` (La Banque Postale writes `FRE`), and a statement without `LEDGERBAL` gets a
    placeholder the reader then ignores (the teacher is asked for the balance)."""
    text = _TAG.sub(lambda m: b"<" + m.group(1) + m.group(2).upper() + b">", content)
    text = _ENUM.sub(lambda m: b"<" + m.group(1) + b">" + m.group(2).strip().upper(), text)
    text = _LANGUAGE.sub(b"<LANGUAGE>FRA", text)
    has_balance = True

    def add_balance(match: re.Match) -> bytes:
        nonlocal has_balance
        block = match.group(0)
        if b"<LEDGERBAL>" in block:
            return block
        has_balance = False
        when = _DTEND.search(block) or _DTEND.search(text)
        day = when.group(1) if when else b"19700101"
        return block.replace(b"</STMTRS>", b"<LEDGERBAL><BALAMT>0</BALAMT><DTASOF>" + day
                             + b"</DTASOF></LEDGERBAL></STMTRS>")

    text = _STMTRS.sub(add_balance, text)
    return text, has_balance


_SPEC_ERROR = re.compile(r"Can't set (\w+)\.(\w+) to (.*?): ")


def _ofx_error(exc: Exception, name: str, complete: bool) -> StatementError:
    match = _SPEC_ERROR.search(str(exc))
    if match and complete:
        parent, tag, value = match.group(1), match.group(2).upper(), match.group(3)
        what = (f"la balise <{tag}> manque" if value == "None"
                else f"la balise <{tag}> contient « {value[:40]} », que la norme OFX n'admet pas")
        return StatementError(f"{name} est bien un relevé OFX, mais {what} (dans <{parent}>). Un nouveau "
                              "téléchargement donnera le même fichier : exportez plutôt le relevé en CSV, et "
                              "signalez ce fichier à l'AD.")
    return StatementError(f"{name} est un OFX incomplet ou abîmé ({_short(exc)}) : téléchargez-le à "
                          "nouveau depuis le site de la banque.")


def read_ofx(content: bytes, filename: str) -> BankStatement:
    from ofxtools.Parser import OFXTree

    name = f"« {filename} »" if filename else "Le fichier"
    cleaned, has_balance = lenient_ofx(content)
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(cleaned))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # noqa: BLE001 - ofxtools raises many kinds; all mean "cannot read"
        raise _ofx_error(exc, name, b"</OFX>" in cleaned[-4096:]) from None
    statements = [s for s in statements if hasattr(s, "banktranlist")]
    if not statements:
        raise StatementError(f"{name} ne contient aucun relevé de compte bancaire.")
    if len(statements) > 1:
        ids = ", ".join(str(getattr(s.account, "acctid", "?")) for s in statements)
        raise StatementError(f"{name} contient {len(statements)} comptes ({ids}) : exportez seulement "
                             "le compte de la coopérative.")
    stmt = statements[0]
    currency = str(getattr(stmt, "curdef", "EUR") or "EUR")
    if currency != "EUR":
        raise StatementError(f"{name} est en {currency} : la coopérative tient ses comptes en euros.")
    lines = []
    for number, trn in enumerate(stmt.banktranlist or (), 1):
        label = " ".join(t for t in (trn.name, trn.memo) if t)
        label = re.sub(r"\s+", " ", str(label)).strip()
        cheque = str(trn.checknum or "").strip()
        if not cheque:
            match = CHEQUE_NUMBER.search(normalize(label))
            cheque = match.group(1) if match else ""
        lines.append(StatementLine(trn.dtposted.date(), label, Decimal(trn.trnamt).quantize(Decimal("0.01")),
                                   f"ofx-{trn.fitid}", cheque, number))
    ledger = getattr(stmt, "ledgerbal", None) if has_balance else None
    balance = Decimal(ledger.balamt).quantize(Decimal("0.01")) if ledger is not None else None
    dates = [line.date for line in lines]
    tranlist = stmt.banktranlist
    end = tranlist.dtend.date() if getattr(tranlist, "dtend", None) else None
    date = ledger.dtasof.date() if ledger is not None else (max(dates) if dates else end)
    if dates and date is not None and max(dates) > date:
        date = max(dates)
    start = tranlist.dtstart.date() if getattr(tranlist, "dtstart", None) else (min(dates) if dates else None)
    if date is None:
        raise StatementError(f"{name} ne donne ni opérations ni solde : rien à pointer.")
    return BankStatement(OFX, lines, balance, date, str(stmt.account.acctid or ""), start)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# -- tables: CSV and XLSX ---------------------------------------------------------------------
def _rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise StatementError(f"Le fichier n'est pas un CSV lisible ({exc}) : téléchargez à nouveau le relevé.") from None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return format(Decimal(str(value)), "f").replace(".", ",")
    return str(value)


def _xlsx_rows(content: bytes, filename: str) -> list[list[str]]:
    """The first sheet of a workbook, as text cells (dates jj/mm/aaaa, decimal comma)."""
    import openpyxl

    name = f"« {filename} »" if filename else "Le fichier"
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; all mean "cannot read"
        raise StatementError(f"{name} est un classeur Excel illisible : téléchargez-le à nouveau, ou "
                             "téléchargez le relevé au format CSV ou OFX.") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell(v) for v in row]
            while cells and not cells[-1].strip():
                cells.pop()
            rows.append(cells)
            if len(rows) > MAX_ROWS:
                raise StatementError(f"{name} a plus de {MAX_ROWS} lignes : ce n'est pas un relevé de "
                                     "coopérative. Exportez une période plus courte (un mois).")
    finally:
        book.close()
    return rows


def _norm_cells(row: list[str]) -> list[str]:
    return [normalize(cell) for cell in row]


@dataclass
class _Found:
    bank: BankFormat
    layout: Layout
    rows: list[list[str]]
    start: int  # index of the first row after the title row (or of the first operation)
    columns: dict[str, int]
    names: str = ""  # the banks that read this file the same way, when several do


@dataclass
class _Partial:
    """The closest a layout came to a file: for the refusal message."""

    bank: BankFormat
    layout: Layout
    found: list[str]
    missing: list[str]
    row: int  # 1-based line of the file

    @property
    def score(self) -> float:
        return len(self.found) / max(1, len(self.found) + len(self.missing))


def _is_data_row(layout: Layout, row: list[str]) -> bool:
    index = {c: i for i, c in enumerate(layout.columns)}
    try:
        parse_bank_date(row[index[layout.date]], layout.date_format)
        amounts = [parse_number(row[index[c]]) for c in (layout.amount, layout.debit, layout.credit)
                   if c and index[c] < len(row)]
    except (ValueError, IndexError):
        return False
    return any(a is not None for a in amounts)


def _match(bank: BankFormat, layout: Layout, rows: list[list[str]], head: str, normalized: list[list[str]],
           partials: list[_Partial]) -> _Found | None:
    if layout.signature is not None and not layout.signature.search(head):
        if not layout.has_header:
            return None
        partials.append(_Partial(bank, layout, [], ["les premières lignes attendues"], 1))
        return None
    if not layout.has_header:
        for index, row in enumerate(rows[:HEAD_ROWS]):
            if _is_data_row(layout, row):
                return _Found(bank, layout, rows, index, {c: i for i, c in enumerate(layout.columns)})
        partials.append(_Partial(bank, layout, ["les premières lignes"], ["des lignes d'opérations "
                                 f"({'; '.join(layout.columns)})"], 1))
        return None
    wanted = [(h, normalize(h)) for h in layout.header]
    best: _Partial | None = None
    for index, cells in enumerate(normalized):
        found = [h for h, n in wanted if n in cells]
        if len(found) == len(wanted):
            columns = {h: cells.index(normalize(h)) for h in layout.header}
            for extra in layout.label:
                if normalize(extra) in cells:
                    columns[extra] = cells.index(normalize(extra))
            if layout.balance_column and normalize(layout.balance_column) in cells:
                columns[layout.balance_column] = cells.index(normalize(layout.balance_column))
            return _Found(bank, layout, rows, index + 1, columns)
        if found and (best is None or len(found) > len(best.found)):
            best = _Partial(bank, layout, found, [h for h, n in wanted if n not in cells], index + 1)
    if best is not None:
        partials.append(best)
    return None


def _find_layout(kind: str, text: str, tables: dict, formats: dict[str, BankFormat],
                 partials: list[_Partial] | None = None) -> _Found | None:
    """The layout that reads this file: the most specific one (longest title row) wins."""
    partials = partials if partials is not None else []
    matches: list[_Found] = []
    for bank in formats.values():
        for layout in bank.layouts:
            if layout.kind != kind:
                continue
            key = layout.delimiter if kind == "csv" else "xlsx"
            rows = tables.get(key)
            if rows is None:
                rows = tables[key] = _rows(text, layout.delimiter)
            head_key = f"head:{key}"
            head = tables.get(head_key)
            if head is None:
                head = tables[head_key] = "\n".join(";".join(r) for r in rows[:HEAD_ROWS])
            norm_key = f"norm:{key}"
            normalized = tables.get(norm_key)
            if normalized is None:
                normalized = tables[norm_key] = [_norm_cells(r) for r in rows[:HEAD_ROWS]]
            found = _match(bank, layout, rows, head, normalized, partials)
            if found is not None:
                matches.append(found)
    if not matches:
        return None

    def score(found: _Found) -> tuple[int, int]:
        return (len(found.layout.names) + (1 if found.layout.signature is not None else 0),
                1 if found.layout.has_header else 0)

    top = max(score(f) for f in matches)
    best = [f for f in matches if score(f) == top]
    chosen = best[0]
    same = [f.bank.nom for f in best if f.layout.names == chosen.layout.names]
    chosen.names = " ou ".join(dict.fromkeys(same))
    return chosen


def _refusal(name: str, kind: str, formats: dict[str, BankFormat], wanted: BankFormat | None,
             partials: list[_Partial], rows: list[list[str]]) -> StatementError:
    what = "classeur Excel" if kind == "xlsx" else "fichier"
    first = next((";".join(r).strip() for r in rows if any(c.strip() for c in r)), "")
    first = f" (première ligne : « {first[:80]} »)" if first else ""
    close = sorted((p for p in partials if wanted is None or p.bank.id == wanted.id),
                   key=lambda p: p.score, reverse=True)
    close = [p for p in close if p.found or wanted is not None]
    if close and (wanted is not None or close[0].score >= 0.4):
        p = close[0]
        found = ", ".join(p.found) or "rien"
        missing = ", ".join(p.missing)
        head = (f"{name} n'a pas la forme d'un relevé {p.bank.nom}" if wanted is not None
                else f"{name} ressemble à un relevé {p.bank.nom} ({p.layout.name}) sans en avoir la forme")
        return StatementError(f"{head} : reconnu, ligne {p.row} : {found} ; non reconnu : {missing}. "
                              "La banque a peut-être changé son export : l'AD peut décrire cette forme dans "
                              "banques.yaml (une « variante » de la banque), ou téléchargez le relevé en OFX.")
    if kind == "xlsx":
        known = ", ".join(b.nom for b in formats.values() if "xlsx" in b.kinds) or "aucune banque"
        return StatementError(f"{name} est un {what} qui ne ressemble à aucun export connu (classeurs lus : "
                              f"{known}){first}. Enregistrez-le au format CSV (séparateur point-virgule), ou "
                              "téléchargez le CSV ou l'OFX de la banque.")
    known = ", ".join(b.nom for b in formats.values())
    return StatementError(f"{name} ne ressemble à aucun relevé connu (OFX, ou CSV de {known}){first}. "
                          "Vérifiez que c'est bien le relevé du compte de la coopérative ; si la banque "
                          "manque, l'AD l'ajoute en quelques lignes dans banques.yaml.")


def read_csv(content: bytes, filename: str, formats: dict[str, BankFormat], bank: str | None = None) -> BankStatement:
    wanted = formats.get(bank) if bank else None
    if bank and wanted is None:
        raise StatementError(f"Banque « {bank} » inconnue : choisissez parmi {', '.join(sorted(formats))}.")
    encoding = wanted.layouts[0].encoding if wanted else "cp1252"
    text = _decode(content, encoding, filename)
    return _read_table("csv", text, {}, filename, formats, bank)


def read_table(rows: list[list[str]], kind: str, filename: str, formats: dict[str, BankFormat],
               bank: str | None = None) -> BankStatement:
    """A statement from rows of text cells (a workbook's first sheet)."""
    if bank and bank not in formats:
        raise StatementError(f"Banque « {bank} » inconnue : choisissez parmi {', '.join(sorted(formats))}.")
    return _read_table(kind, "", {"xlsx": rows}, filename, formats, bank)


def _read_table(kind: str, text: str, tables: dict, filename: str, formats: dict[str, BankFormat],
                bank: str | None) -> BankStatement:
    name = f"« {filename} »" if filename else "Le fichier"
    wanted = formats.get(bank) if bank else None
    partials: list[_Partial] = []
    found = _find_layout(kind, text, tables, {wanted.id: wanted} if wanted else formats, partials)
    if found is None and wanted is not None:
        other = _find_layout(kind, text, tables, formats)
        if other is not None:
            raise StatementError(f"{name} n'est pas un relevé {wanted.nom} : il ressemble à un relevé "
                                 f"{other.names or other.bank.nom}. Choisissez la bonne banque, ou le bon fichier.")
    if found is None:
        if wanted is None:
            partials = []
            _find_layout(kind, text, tables, formats, partials)
        rows = next((v for k, v in tables.items() if not k.startswith(("head:", "norm:"))), [])
        raise _refusal(name, kind, formats, wanted, partials, rows)
    return _table_statement(found, name)


def _join_labels(parts: list[str]) -> str:
    """The label columns end to end, leaving out one that another repeats (a shortened label)."""
    parts = [re.sub(r"\s+", " ", p).strip() for p in parts]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return parts[0] if parts else ""
    keys = [normalize(p) for p in parts]
    kept = []
    for i, part in enumerate(parts):
        if any(j != i and keys[i] in keys[j] and (len(parts[j]) > len(part) or j < i) for j in range(len(parts))):
            continue
        kept.append(part)
    return " ".join(kept)


def _table_statement(found: _Found, name: str) -> BankStatement:
    fmt, layout, rows, col = found.bank, found.layout, found.rows, found.columns
    needed = max(col[c] for c in (layout.date, layout.amount, layout.debit, layout.credit) if c)
    width = len(layout.names)
    preamble = rows[: found.start - 1] if layout.has_header else rows[: found.start]
    footer: list[list[str]] = []
    lines: list[StatementLine] = []
    balances: list[tuple[datetime.date, int, Decimal]] = []
    seen: Counter = Counter()
    body = rows[found.start:]
    if layout.balance_line == "derniere":
        # The balance line closes the file, and may look like an operation (date; amount).
        last = max((i for i, r in enumerate(body) if any(c.strip() for c in r)), default=None)
        if last is not None and any(p.search(";".join(body[last])) for p in layout.balance_patterns):
            footer.append(body[last])
            body = body[:last]
    for offset, row in enumerate(body, found.start + 1):
        if not any(cell.strip() for cell in row):
            continue
        date_text = row[col[layout.date]].strip() if len(row) > col[layout.date] else ""
        try:
            date = parse_bank_date(date_text, layout.date_format)
        except ValueError:
            amounts = [row[col[c]] for c in (layout.amount, layout.debit, layout.credit) if c and len(row) > col[c]]
            is_text = bool(re.search(r"[^\W\d_]", date_text))  # "Solde en début de période"
            if not is_text and (_PARTIAL_DATE.match(date_text) or any(re.search(r"\d", a) for a in amounts)):
                raise StatementError(f"{name}, ligne {offset} : « {date_text} » n'est pas une date "
                                     "(fichier coupé ou modifié ?). Téléchargez à nouveau le relevé.") from None
            footer.append(row)  # a total or a balance written after the lines
            continue
        if len(row) <= needed:
            raise StatementError(f"{name}, ligne {offset} : la ligne est incomplète ({len(row)} colonnes "
                                 f"au lieu de {width}) — le fichier a été coupé. Téléchargez-le à nouveau.")
        try:
            if layout.amount:
                amount = parse_number(row[col[layout.amount]])
            else:
                debit = parse_number(row[col[layout.debit]])
                credit = parse_number(row[col[layout.credit]]) if len(row) > col[layout.credit] else None
                amount = None if debit is None and credit is None else (
                    (abs(credit) if credit else Decimal("0.00")) - (abs(debit) if debit else Decimal("0.00")))
        except ValueError as exc:
            raise StatementError(f"{name}, ligne {offset} : « {exc} » n'est pas un montant. "
                                 "Téléchargez à nouveau le relevé.") from None
        if amount is None:
            raise StatementError(f"{name}, ligne {offset} : la ligne n'a pas de montant (fichier coupé ?).")
        label = _join_labels([row[col[c]] for c in layout.label if c in col and len(row) > col[c]])
        key = (date, amount, normalize(label))
        seen[key] += 1
        number = row[col[layout.number]].strip() if layout.number in col and len(row) > col[layout.number] else ""
        ref = f"{fmt.id}-{number}" if number else line_ref(date, amount, label, seen[key])
        match = CHEQUE_NUMBER.search(normalize(label))
        lines.append(StatementLine(date, label, amount, ref, match.group(1) if match else "", offset))
        if layout.balance_column and layout.balance_column in col:
            try:
                running = parse_number(row[col[layout.balance_column]])
            except (ValueError, IndexError):
                running = None
            if running is not None:
                balances.append((date, offset, running))
    if not lines and not preamble:
        raise StatementError(f"{name} n'a aucune opération après la ligne des titres : fichier coupé ?")
    balance, date = _balance(layout, preamble, footer, balances)
    account = ""
    if layout.account_pattern is not None:
        match = layout.account_pattern.search("\n".join(";".join(r) for r in preamble))
        account = match.group("compte") if match else ""
    dates = [line.date for line in lines]
    if date is None:
        if not dates:
            raise StatementError(f"{name} n'a ni opération ni solde : rien à pointer.")
        date = max(dates)
    if dates and max(dates) > date:
        raise StatementError(f"{name} a des opérations du {fmt_date(max(dates))}, après la date du solde "
                             f"({fmt_date(date)}) : téléchargez le relevé complet.")
    lines.sort(key=lambda line: (line.date, line.number))
    return BankStatement(found.names or fmt.nom, lines, balance, date, account, min(dates) if dates else None)


def _balance(layout: Layout, preamble: list[list[str]], footer: list[list[str]], running: list):
    def text(rows: list[list[str]]) -> str:
        return "\n".join(";".join(r) for r in rows if any(c.strip() for c in r))

    lines = [r for r in preamble + footer if any(c.strip() for c in r)]
    if layout.balance_line == "premiere":
        where = text(lines[:1])
    elif layout.balance_line == "derniere":
        where = text(lines[-1:])
    else:
        where = text(preamble + footer)
    balance = date = None
    for pattern in layout.balance_patterns:
        match = pattern.search(where)
        if match:
            balance = parse_number(match.group("montant"))
            if "date" in match.groupdict() and match.group("date"):
                date = parse_bank_date(match.group("date"), "%d/%m/%Y")
            break
    if layout.balance_date_pattern is not None and date is None:
        match = layout.balance_date_pattern.search(text(preamble + footer))
        if match:
            date = parse_bank_date(match.group("date"), "%d/%m/%Y")
    if balance is None and running:
        # The running balance after the newest line (files go oldest-first or newest-first).
        newest = max(d for d, _, _ in running)
        candidates = [(o, b) for d, o, b in running if d == newest]
        ascending = running[0][0] <= running[-1][0]
        balance = (max if ascending else min)(candidates)[1]
        date = date or newest
    return balance, date
