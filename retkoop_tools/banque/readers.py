"""Statement files → `BankStatement`: OFX through ofxtools, CSV through the banks' formats.

Every way a file can be wrong (empty, a PDF, an unknown bank, a wrong encoding, cut short,
a date or an amount that is not one) is a `StatementError` whose French message says what
to do. Nothing here touches the books.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter
from decimal import Decimal, InvalidOperation

from retkoop_tools.banque.formats import BankFormat
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
    return read_csv(content, filename, formats, bank)


def identify(content: bytes, formats: dict[str, BankFormat]) -> str | None:
    """The format id ("ofx" or a bank's) this file is, or None."""
    try:
        _check_kind(content, "")
    except StatementError:
        return None
    if _looks_like_ofx(content):
        return "ofx"
    try:
        text = _decode(content, "cp1252", "")
    except StatementError:
        return None
    found = _find_format(text, formats)
    return found[0].id if found else None


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
    if content.startswith(b"PK\x03\x04"):
        raise StatementError(f"{name} est un classeur (Excel, LibreOffice) : enregistrez-le au format CSV "
                             "(séparateur point-virgule), ou téléchargez le CSV ou l'OFX de la banque.")


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
def read_ofx(content: bytes, filename: str) -> BankStatement:
    from ofxtools.Parser import OFXTree

    name = f"« {filename} »" if filename else "Le fichier"
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(content))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # noqa: BLE001 - ofxtools raises many kinds; all mean "cannot read"
        raise StatementError(f"{name} est un OFX incomplet ou abîmé ({_short(exc)}) : téléchargez-le à "
                             "nouveau depuis le site de la banque.") from None
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
    ledger = getattr(stmt, "ledgerbal", None)
    balance = Decimal(ledger.balamt).quantize(Decimal("0.01")) if ledger is not None else None
    dates = [line.date for line in lines]
    date = ledger.dtasof.date() if ledger is not None else (max(dates) if dates else None)
    if dates and date is not None and max(dates) > date:
        date = max(dates)
    tranlist = stmt.banktranlist
    start = tranlist.dtstart.date() if getattr(tranlist, "dtstart", None) else (min(dates) if dates else None)
    if date is None:
        raise StatementError(f"{name} ne donne ni opérations ni solde : rien à pointer.")
    return BankStatement(OFX, lines, balance, date, str(stmt.account.acctid or ""), start)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# -- CSV --------------------------------------------------------------------------------------
def _rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise StatementError(f"Le fichier n'est pas un CSV lisible ({exc}) : téléchargez à nouveau le relevé.") from None


def _norm_cells(row: list[str]) -> list[str]:
    return [normalize(cell) for cell in row]


def _find_format(text: str, formats: dict[str, BankFormat]) -> tuple[BankFormat, list[list[str]], int] | None:
    best = None
    parsed: dict[str, list[list[str]]] = {}  # the text split once per separator, not per bank
    for fmt in formats.values():
        rows = parsed.get(fmt.delimiter)
        if rows is None:
            rows = parsed[fmt.delimiter] = _rows(text, fmt.delimiter)
        wanted = [normalize(h) for h in fmt.header]
        for index, row in enumerate(rows[:40]):
            cells = _norm_cells(row)
            if all(w in cells for w in wanted):
                if best is None or len(fmt.header) > len(best[0].header):
                    best = (fmt, rows, index)
                break
    return best


def read_csv(content: bytes, filename: str, formats: dict[str, BankFormat], bank: str | None = None) -> BankStatement:
    name = f"« {filename} »" if filename else "Le fichier"
    wanted = formats.get(bank) if bank else None
    if bank and wanted is None:
        raise StatementError(f"Banque « {bank} » inconnue : choisissez parmi {', '.join(sorted(formats))}.")
    text = _decode(content, wanted.encoding if wanted else "cp1252", filename)
    found = _find_format(text, {wanted.id: wanted} if wanted else formats)
    if found is None and wanted is not None:
        other = _find_format(text, formats)
        if other is not None:
            raise StatementError(f"{name} n'est pas un relevé {wanted.nom} : il ressemble à un relevé "
                                 f"{other[0].nom}. Choisissez la bonne banque, ou le bon fichier.")
    if found is None:
        known = ", ".join(f.nom for f in formats.values())
        raise StatementError(f"{name} ne ressemble à aucun relevé connu (OFX, ou CSV de {known}). "
                             "Vérifiez que c'est bien le relevé du compte de la coopérative ; si la banque "
                             "manque, l'AD l'ajoute en quelques lignes dans banques.yaml.")
    fmt, rows, header_index = found
    return _csv_statement(fmt, rows, header_index, name)


def _csv_statement(fmt: BankFormat, rows: list[list[str]], header_index: int, name: str) -> BankStatement:
    header = _norm_cells(rows[header_index])
    col = {h: header.index(normalize(h)) for h in fmt.header}
    for extra in fmt.label:
        if normalize(extra) in header:
            col[extra] = header.index(normalize(extra))
    needed = max(col[c] for c in (fmt.date, fmt.amount, fmt.debit, fmt.credit) if c)
    preamble = [";".join(r) for r in rows[:header_index]]
    footer: list[str] = []
    lines: list[StatementLine] = []
    balances: list[tuple[datetime.date, int, Decimal]] = []
    seen: Counter = Counter()
    for offset, row in enumerate(rows[header_index + 1:], header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        date_text = row[col[fmt.date]].strip() if len(row) > col[fmt.date] else ""
        try:
            date = parse_bank_date(date_text, fmt.date_format)
        except ValueError:
            amounts = [row[col[c]] for c in (fmt.amount, fmt.debit, fmt.credit) if c and len(row) > col[c]]
            is_text = bool(re.search(r"[^\W\d_]", date_text))  # "Solde en début de période"
            if not is_text and (_PARTIAL_DATE.match(date_text) or any(re.search(r"\d", a) for a in amounts)):
                raise StatementError(f"{name}, ligne {offset} : « {date_text} » n'est pas une date "
                                     "(fichier coupé ou modifié ?). Téléchargez à nouveau le relevé.") from None
            footer.append(";".join(row))  # a total or a balance written after the lines
            continue
        if len(row) <= needed:
            raise StatementError(f"{name}, ligne {offset} : la ligne est incomplète ({len(row)} colonnes "
                                 f"au lieu de {len(fmt.header)}) — le fichier a été coupé. Téléchargez-le à nouveau.")
        try:
            if fmt.amount:
                amount = parse_number(row[col[fmt.amount]])
            else:
                debit = parse_number(row[col[fmt.debit]])
                credit = parse_number(row[col[fmt.credit]])
                amount = None if debit is None and credit is None else (
                    (abs(credit) if credit else Decimal("0.00")) - (abs(debit) if debit else Decimal("0.00")))
        except ValueError as exc:
            raise StatementError(f"{name}, ligne {offset} : « {exc} » n'est pas un montant. "
                                 "Téléchargez à nouveau le relevé.") from None
        if amount is None:
            raise StatementError(f"{name}, ligne {offset} : la ligne n'a pas de montant (fichier coupé ?).")
        label = " ".join(row[col[c]].strip() for c in fmt.label if c in col and len(row) > col[c] and row[col[c]].strip())
        label = re.sub(r"\s+", " ", label).strip()
        key = (date, amount, normalize(label))
        seen[key] += 1
        ref = (f"{fmt.id}-{row[col[fmt.number]].strip()}" if fmt.number and fmt.number in col
               and row[col[fmt.number]].strip() else line_ref(date, amount, label, seen[key]))
        match = CHEQUE_NUMBER.search(normalize(label))
        lines.append(StatementLine(date, label, amount, ref, match.group(1) if match else "", offset))
        if fmt.balance_column and normalize(fmt.balance_column) in header:
            try:
                running = parse_number(row[header.index(normalize(fmt.balance_column))])
            except (ValueError, IndexError):
                running = None
            if running is not None:
                balances.append((date, offset, running))
    if not lines and not preamble:
        raise StatementError(f"{name} n'a aucune opération après la ligne des titres : fichier coupé ?")
    other = "\n".join(preamble + footer)
    balance, date = _balance(fmt, other, balances, lines)
    account = ""
    if fmt.account_pattern is not None:
        match = fmt.account_pattern.search("\n".join(preamble))
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
    return BankStatement(fmt.nom, lines, balance, date, account, min(dates) if dates else None)


def _balance(fmt: BankFormat, other: str, running: list, lines: list[StatementLine]):
    balance = date = None
    if fmt.balance_pattern is not None:
        match = fmt.balance_pattern.search(other)
        if match:
            balance = parse_number(match.group("montant"))
            if "date" in match.groupdict() and match.group("date"):
                date = parse_bank_date(match.group("date"), "%d/%m/%Y")
    if fmt.balance_date_pattern is not None and date is None:
        match = fmt.balance_date_pattern.search(other)
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
