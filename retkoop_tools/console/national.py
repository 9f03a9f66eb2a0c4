"""The national export: the CRF lines of every coop of the AD, for the federation's statistics.

One row per coop and CRF line (long format, easy to stack across ADs), as CSV for French
spreadsheets and as Parquet (typed columns: amounts in decimal(14,2)).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from retkoop_tools.chart import Chart
from retkoop_tools.console.status import state_of
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import csv_bytes

COLUMNS = ("ad", "uai", "ecole", "commune", "exercice", "etat", "definitif", "sens", "ligne", "libelle",
           "montant", "membres")


def national_rows(summaries: dict[str, dict[str, Any]], chart: Chart, ad_numero: str,
                  exercice: Exercice) -> list[dict[str, Any]]:
    rubriques = sorted((r for r in chart.rubriques.values() if r.sens in ("charge", "produit")),
                       key=lambda r: r.order)
    rows = []
    for uai, summary in sorted(summaries.items()):
        state = summary.get("exercices", {}).get(str(exercice)) or {}
        crf = state.get("crf")
        if not crf:
            continue
        etat = state_of(summary, exercice)
        definitive = etat in ("clos", "soumis", "verrouille") and not summary.get("nb_erreurs")
        for rubrique in rubriques:
            rows.append({
                "ad": ad_numero, "uai": uai, "ecole": summary.get("nom", ""), "commune": summary.get("commune", ""),
                "exercice": str(exercice), "etat": etat, "definitif": definitive, "sens": rubrique.sens,
                "ligne": rubrique.key, "libelle": rubrique.libelle,
                "montant": Decimal(crf["lignes"].get(rubrique.key, "0")).quantize(Decimal("0.01")),
                "membres": int(state.get("membres") or 0),
            })
    return rows


def national_csv(rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes(COLUMNS, ([row[c] for c in COLUMNS] for row in rows))


def national_parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("ad", pa.string()), ("uai", pa.string()), ("ecole", pa.string()), ("commune", pa.string()),
        ("exercice", pa.string()), ("etat", pa.string()), ("definitif", pa.bool_()), ("sens", pa.string()),
        ("ligne", pa.string()), ("libelle", pa.string()), ("montant", pa.decimal128(14, 2)),
        ("membres", pa.int32()),
    ])
    table = pa.Table.from_pylist(rows, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()
