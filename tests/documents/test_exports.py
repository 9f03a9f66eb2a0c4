"""Exports of the journal: XLSX, CSV for French Excel, FEC — read back."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl

from retkoop_tools.documents.exports import (
    FEC_COLUMNS,
    fec_bytes,
    journal_csv,
    journal_xlsx,
)
from tests.documents.conftest import EXERCICE, HAND, source
from tests.gitrepo import ADMIN
from tests.tresorier.conftest import UAI


def test_csv_opens_in_french_excel_and_never_runs_a_formula(hand):
    text = hand.text().replace('"Librairie du Centre"', '"=HYPERLINK(\\"http://x\\")"')
    hand.store.write(UAI, {"2025-2026.beancount": text}, ADMIN, "Tiers piégé")
    data = journal_csv(source(hand).books, EXERCICE)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Pièce", "Type"]
    d03 = [r for r in rows if r[1] == "D03"]
    assert {r[3] for r in d03} == {"'=HYPERLINK(\"http://x\")"}
    assert [(r[5], r[7], r[8]) for r in d03] == [("6063", "45,20", ""), ("512", "", "45,20")]
    assert d03[0][0] == "10/06/2026"
    debit = sum(float(r[7].replace(",", ".")) for r in rows[1:] if r[7])
    credit = sum(float(r[8].replace(",", ".")) for r in rows[1:] if r[8])
    assert round(debit, 2) == round(credit, 2)


def test_xlsx_has_numbers_dates_filters_and_text_that_stays_text(hand):
    text = hand.text().replace('"Albums pour la BCD"', '"=1+1"')
    hand.store.write(UAI, {"2025-2026.beancount": text}, ADMIN, "Libellé piégé")
    book = openpyxl.load_workbook(io.BytesIO(journal_xlsx(source(hand).books, EXERCICE)))
    sheet = book.active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:M")
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    d03 = [r for r in rows if r[1] == "D03"]
    assert d03[0][4] == "=1+1" and sheet.cell(row=2 + rows.index(d03[0]), column=5).data_type == "s"
    assert d03[0][0] == datetime.datetime(2026, 6, 10) and d03[0][7] == 45.2
    totals = rows[-1]
    assert totals[6] == "Totaux" and totals[7] == totals[8]


def test_fec_has_the_18_columns_and_balances(hand):
    lines = fec_bytes(source(hand).books, EXERCICE).decode("iso-8859-15").splitlines()
    rows = [line.split("\t") for line in lines]
    assert tuple(rows[0]) == FEC_COLUMNS
    assert all(len(r) == 18 for r in rows)
    body = rows[1:]
    amount = lambda v: float(v.replace(",", "."))  # noqa: E731
    assert round(sum(amount(r[11]) for r in body), 2) == round(sum(amount(r[12]) for r in body), 2)
    charges = sum(amount(r[11]) - amount(r[12]) for r in body if r[4].startswith("6"))
    produits = sum(amount(r[12]) - amount(r[11]) for r in body if r[4].startswith("7"))
    assert round(produits - charges, 2) == float(HAND["resultat"])
    assert body[0][0] == "AN" and body[0][3] == "20250901"
    d01 = next(r for r in body if r[8] == "D01" and r[4] == "512")
    assert d01[0] == "BQ" and d01[13] == "R20260831" and d01[14] == "20260831"
    assert "–" not in "\n".join(lines)
