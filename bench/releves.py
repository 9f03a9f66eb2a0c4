"""Benchmark: read and match a year of bank statements (12 monthly files) against a coop's books.

The coop: a year's cahier (N rows, default 430 — the demo's busiest coop), migrated into a
fresh AD. The statements: its bank movements, one Société Générale CSV per month (current
layout: the balance in the first line). Timed, for the 12 files:

- ours, as the teacher uses it: format found among every layout of banques.yaml, read, and
  matched against the books (`read_statement` + `plan_import`);
- ours with the bank given (no format detection), to show what detection costs;
- the obvious alternative for reading: beangulp's csvbase importer configured for the same
  layout, reading the same files into Beancount transactions (reading only, no matching,
  no balance, no check of the file).

Usage:  python bench/releves.py [--rows 430] [--repeat 5]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from banque import AUTHOR, cahier, new_ad  # noqa: E402 - the same coop as bench/banque.py
from beangulp.importers import csvbase  # noqa: E402

from retkoop_tools.banque.formats import load_formats  # noqa: E402
from retkoop_tools.banque.matching import plan_import  # noqa: E402
from retkoop_tools.banque.readers import read_statement  # noqa: E402
from retkoop_tools.documents.source import load_source  # noqa: E402
from retkoop_tools.migration.migrate import migrate  # noqa: E402
from retkoop_tools.store.store import Store  # noqa: E402

OPENING = Decimal(5000)


def fr(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def monthly_files(bank_ops: list[tuple], folder: Path) -> list[Path]:
    """One Société Générale CSV per month of the exercice, newest line first, as the bank writes them."""
    paths = []
    balance = OPENING
    for index in range(12):
        first = datetime.date(2025 + (8 + index) // 12, (8 + index) % 12 + 1, 1)
        after = datetime.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = after - datetime.timedelta(days=1)
        month = sorted(op for op in bank_ops if first <= op[0] < after)
        balance += sum((amount for _, _, amount in month), Decimal(0))
        rows = [f'="00012345678";{first:%d/%m/%Y};{last:%d/%m/%Y};{len(month)};{last:%d/%m/%Y};{fr(balance)} EUR', "",
                "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise"]
        for date, label, amount in reversed(month):
            rows.append(f"{date:%d/%m/%Y};{label[:18]};{label};{fr(amount)};EUR")
        path = folder / f"releve-{first:%Y-%m}.csv"
        path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
        paths.append(path)
    return paths


class _Dialect(csv.excel):
    delimiter = ";"


class SocieteGeneraleCsvbase(csvbase.Importer):
    """beangulp's csvbase, configured for the same layout (what a Beancount user would write)."""

    encoding = "cp1252"
    skiplines = 2
    dialect = _Dialect
    date = csvbase.Date("Date de l'opération", "%d/%m/%Y")
    narration = csvbase.Column("Détail de l'écriture")
    amount = csvbase.Amount("Montant de l'opération", subs={r"\s": "", ",": "."})

    def identify(self, filepath: str) -> bool:
        return filepath.endswith(".csv")


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=430)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-releves-"))
    try:
        text, bank_ops = cahier(args.rows)
        root = new_ad(work, "ad")
        migrate(Store(root), root, "0910001A", text.encode("utf-8"), "cahier.csv", AUTHOR,
                opening={"banque": OPENING, "caisse": Decimal(300)})
        books = load_source(root, "0910001A", datetime.date(2026, 8, 31)).books
        files = monthly_files(bank_ops, work)
        contents = [(path.name, path.read_bytes()) for path in files]
        formats = load_formats(root)
        layouts = sum(len(bank.layouts) for bank in formats.values())
        lines = sum(len(read_statement(c, n, formats).lines) for n, c in contents)
        matched = sum(len(plan_import(books, read_statement(c, n, formats)).matches) for n, c in contents)

        def ours_read() -> None:
            for name, content in contents:
                read_statement(content, name, formats)

        def ours_forced() -> None:
            for name, content in contents:
                read_statement(content, name, formats, "societe-generale")

        def ours_read_match() -> None:
            for name, content in contents:
                plan_import(books, read_statement(content, name, formats))

        importer = SocieteGeneraleCsvbase("Actif:512-Banque", "EUR")

        def csvbase_read() -> None:
            for path in files:
                importer.extract(str(path), [])

        assert sum(len(importer.extract(str(p), [])) for p in files) == lines
        t_read, t_forced = best(args.repeat, ours_read), best(args.repeat, ours_forced)
        t_match, t_csvbase = best(args.repeat, ours_read_match), best(args.repeat, csvbase_read)
        print(f"Une année de relevés : 12 fichiers CSV Société Générale, {lines} lignes ; cahier de "
              f"{len(books.operations)} opérations ; {layouts} formes de fichiers connues ({len(formats)} banques)")
        print(f"  lecture, format reconnu parmi les {layouts}  : {t_read * 1000:7.1f} ms "
              f"({t_read / len(files) * 1000:.1f} ms par relevé)")
        print(f"  lecture, banque indiquée (sans détection) : {t_forced * 1000:7.1f} ms "
              f"→ la détection coûte {t_read / t_forced:.2f}×")
        print(f"  beangulp csvbase, même fichier (lecture)  : {t_csvbase * 1000:7.1f} ms "
              f"→ notre lecture avec détection : {t_read / t_csvbase:.2f}× csvbase")
        print(f"  lecture + rapprochement avec le cahier    : {t_match * 1000:7.1f} ms "
              f"({matched} lignes retrouvées sur {lines}) → {t_match / t_csvbase:.1f}× la seule lecture de csvbase")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
