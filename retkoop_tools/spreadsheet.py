"""Tables as files a French spreadsheet opens as they are: CSV for Excel, and XLSX.

CSV: `;` separator, UTF-8 with BOM, decimal comma, dates jj/mm/aaaa, and text cells that
would start a formula (= + - @) prefixed with a quote. XLSX: typed numbers and dates, bold
frozen header, filters, optional totals; text cells stay text, even "=SOMME(…)".
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00 "€"'


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will never run: a leading = + - @ gets a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def fr_number(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def csv_cell(value: Any, blank_zero: bool = False) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return "" if blank_zero and not value else fr_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return safe_text(str(value if value is not None else ""))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], blank_zero: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(value, blank_zero) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]]
    widths: Sequence[int] = ()
    totals: Sequence[int] = ()  # indexes of the columns summed in a last "Totaux" row
    blank_zero: bool = False  # a zero amount is left empty (debit/credit columns)
    fills: dict[int, str] = field(default_factory=dict)  # row index → background colour


def xlsx_bytes(sheets: Sequence[Sheet], title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        sheet.append(list(spec.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF5")
        for r, row in enumerate(spec.rows, start=2):
            fill = spec.fills.get(r - 2)
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, bool):
                    cell.value = "oui" if value else "non"
                elif isinstance(value, Decimal):
                    cell.value = float(value) if (value or not spec.blank_zero) else None
                    cell.number_format = EURO_FORMAT
                elif isinstance(value, int):
                    cell.value = value
                elif isinstance(value, datetime.date):
                    cell.value = value
                    cell.number_format = "DD/MM/YYYY"
                else:
                    cell.value = str(value if value is not None else "")
                    cell.data_type = "s"
                if fill:
                    cell.fill = PatternFill("solid", fgColor=fill)
        if spec.totals:
            total_row = len(spec.rows) + 2
            label_column = max(1, min(spec.totals))  # the column left of the first total
            sheet.cell(row=total_row, column=label_column, value="Totaux").font = Font(bold=True)
            for index in spec.totals:
                total = sum((row[index] for row in spec.rows if isinstance(row[index], Decimal)), Decimal(0))
                cell = sheet.cell(row=total_row, column=index + 1, value=float(total))
                cell.number_format = EURO_FORMAT
                cell.font = Font(bold=True)
        for i, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{max(len(spec.rows) + 1, 1)}"
    if title:
        workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
