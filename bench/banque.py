"""Benchmark of the bank import and of the migration of a spreadsheet cahier.

- Migration of a year's cahier (N rows, default 430 — the demo's busiest coop) into an empty
  coop: one read, one conversion, one validation, one commit; compared with the obvious
  alternative, one validated store write per row (what typing them in the Saisie page costs),
  measured on the first K rows and extrapolated.
- Import of one month's bank statement (CSV, ~40 lines) into those books: read + match
  (plan), then record (ticks, new operations, statement: one validated commit).

Usage:  python bench/banque.py [--rows 430] [--sample 20]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

from retkoop_tools.banque.apply import apply_import
from retkoop_tools.banque.formats import load_formats
from retkoop_tools.banque.matching import plan_import
from retkoop_tools.banque.readers import read_statement
from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import create_coop
from retkoop_tools.migration.migrate import migrate
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author, Store

AUTHOR = Author("Bench", "bench@ad.test")
HEADER = "N° de pièce;Date;Libellé;N° de chèque;Banque entrée;Banque sortie;Caisse entrée;Caisse sortie;6063 Fournitures;6247 Transports;627 Frais bancaires;7562 Participation familles;744 Subvention commune"


def cahier(rows: int, seed: int = 7) -> tuple[str, list[tuple]]:
    rng = random.Random(seed)
    start = datetime.date(2025, 9, 1)
    lines, bank_ops = [HEADER], []
    cheque = 1234500
    for n in range(rows):
        date = start + datetime.timedelta(days=int(n * 300 / rows))
        kind = rng.random()
        amount = Decimal(rng.randint(500, 9000)) / 100
        if kind < 0.35:  # family participation, cash
            lines.append(f";{date:%d/%m/%Y};Participation famille {n};;;;{amount};;;;;{amount};")
        elif kind < 0.45:  # cash deposited at the bank
            lines.append(f";{date:%d/%m/%Y};Versement espèces;;{amount / 4:.2f};;;{amount / 4:.2f};;;;;")
            bank_ops.append((date, "VERSEMENT ESPECES", amount / 4))
        elif kind < 0.8:  # supplies by cheque
            cheque += 1
            lines.append(f";{date:%d/%m/%Y};Fournitures {n};{cheque};;{amount};;;{amount};;;;")
            bank_ops.append((date + datetime.timedelta(days=3), f"CHEQUE {cheque}", -amount))
        elif kind < 0.9:
            lines.append(f";{date:%d/%m/%Y};Frais de tenue de compte;;;3,50;;;;;3,50;;")
            bank_ops.append((date, "PRLV FRAIS TENUE DE COMPTE", Decimal("-3.50")))
        else:
            lines.append(f";{date:%d/%m/%Y};Subvention mairie;;{amount * 4};;;;;;;;{amount * 4}")
            bank_ops.append((date + datetime.timedelta(days=1), "VIR MAIRIE", amount * 4))
    return "\r\n".join(lines).replace(".", ",") + "\r\n", bank_ops


def new_ad(work: Path, name: str) -> Path:
    root = work / name
    init_ad_repo(root, "91", "OCCE bench", AUTHOR)
    create_coop(root, "0910001A", "École", "Évry", Exercice(2025))
    Store(root).commit_new_coop("0910001A", AUTHOR, "Nouvelle coopérative")
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=430)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-banque-"))
    try:
        text, bank_ops = cahier(args.rows)
        content = text.encode("utf-8")
        root = new_ad(work, "ad")
        start = time.perf_counter()
        report = migrate(Store(root), root, "0910001A", content, "cahier.csv", AUTHOR,
                         opening={"banque": Decimal(5000), "caisse": Decimal(300)})
        migration = time.perf_counter() - start
        print(f"Reprise d'un cahier de {args.rows} lignes : {len(report.converted)} opérations, "
              f"{len(report.rejected)} rejetées, un commit en {migration:.2f} s")

        # The obvious alternative: one validated write per row.
        other = new_ad(work, "ad-ligne-par-ligne")
        store = Store(other)
        store.insert_entries("0910001A", """2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  Actif:512-Banque   5000.00 EUR
  Actif:530-Caisse    300.00 EUR
  Capitaux:110-Report-a-nouveau  -5300.00 EUR
""", AUTHOR, "Ouverture", Exercice(2025))
        from retkoop_tools.ledger.writer import format_entry

        samples = []
        for item in report.converted[: args.sample]:
            t = time.perf_counter()
            store.insert_entries("0910001A", format_entry(item.entry), AUTHOR, "Saisie", Exercice(2025))
            samples.append(time.perf_counter() - t)
        per_row = statistics.median(samples)
        estimate = per_row * len(report.converted)
        print(f"Ligne par ligne (une écriture validée par opération) : médiane {per_row * 1000:.0f} ms sur "
              f"{len(samples)} lignes, soit ~{estimate:.1f} s pour {len(report.converted)} "
              f"→ la reprise en un commit est {estimate / migration:.1f}× plus rapide")

        # One month's statement.
        books = load_source(root, "0910001A", datetime.date(2026, 8, 31)).books
        month = [op for op in bank_ops if op[0] < datetime.date(2025, 10, 1)]
        balance = Decimal(5000) + sum((a for _, _, a in month), Decimal(0))
        rows = [f"Solde au 30/09/2025 {balance:.2f} €".replace(".", ","), "Date;Libellé;Débit Euros;Crédit Euros;"]
        for date, label, amount in month:
            debit, credit = (f"{-amount:.2f}", "") if amount < 0 else ("", f"{amount:.2f}")
            rows.append(f'{date:%d/%m/%Y};"{label}";{debit.replace(".", ",")};{credit.replace(".", ",")};')
        statement_bytes = ("\r\n".join(rows) + "\r\n").encode("cp1252")
        t = time.perf_counter()
        statement = read_statement(statement_bytes, "septembre.csv", load_formats(root))
        plan = plan_import(books, statement)
        planning = time.perf_counter() - t
        t = time.perf_counter()
        result = apply_import(Store(root), "0910001A", books, plan, AUTHOR)
        recording = time.perf_counter() - t
        print(f"Relevé de septembre ({len(statement.lines)} lignes, {len(books.operations)} opérations au cahier) : "
              f"lecture et rapprochement {planning * 1000:.0f} ms ({len(plan.matches)} retrouvées, "
              f"{len(plan.proposals)} proposées), enregistrement {recording * 1000:.0f} ms "
              f"({'ok' if result.ok else result.errors})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
