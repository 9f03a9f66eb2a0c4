"""Write the sample spreadsheet cahiers of tests/migration/ (XLSX and its CSV export).

The cahier of an (anonymised) school coop for September–October 2025, as AD spreadsheet
models lay it out: a title block, the header row of DOMAIN.md §3, one column per account
of ventilation, and the rows a teacher really writes — including a few the migration must
refuse (a red line, a régie, a total, a date typed wrong).   python scripts/make_cahier_samples.py
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent.parent / "tests" / "migration"
HEADER = ["N° de pièce", "Date", "Libellé", "N° de chèque", "Régie versée", "Régie restituée",
          "Banque entrée", "Banque sortie", "Caisse entrée", "Caisse sortie",
          "6063 Fournitures", "6181 Livres", "6247 Transports", "627 Frais bancaires",
          "706 Participation activités", "7562 Participation familles", "744 Subvention commune"]
D = datetime.date
ROWS = [
    ["R01", D(2025, 9, 8), "Participation volontaire Famille Durand", None, None, None, None, None, 20, None,
     None, None, None, None, None, 20, None],
    ["R02", D(2025, 9, 9), "Participation volontaire (chèques)", "7654321", None, None, 150, None, None, None,
     None, None, None, None, None, 150, None],
    ["D01", D(2025, 9, 10), "Achat de peinture et pinceaux", "1234567", None, None, None, 64.8, None, None,
     64.8, None, None, None, None, None, None],
    ["D02", D(2025, 9, 15), "Albums pour la BCD", None, None, None, None, 84.9, None, None,
     None, 84.9, None, None, None, None, None],
    [None, D(2025, 9, 18), "Versement des espèces à la banque", None, None, None, 20, None, None, 20,
     None, None, None, None, None, None, None],
    ["D03", D(2025, 9, 22), "Régie classe de CM1", None, 50, None, None, None, None, 50,
     None, None, None, None, None, None, None],
    ["R03", D(2025, 9, 25), "Subvention de la mairie", None, None, None, 500, None, None, None,
     None, None, None, None, None, None, 500],
    ["D04", D(2025, 9, 29), "Car pour la sortie au musée", "1234568", None, None, None, 420, None, None,
     None, None, 400, None, None, None, None],  # red line: ventilated 400 for 420
    ["D05", "31/09/2025", "Frais de tenue de compte", None, None, None, None, 3.5, None, None,
     None, None, None, 3.5, None, None, None],  # a date that does not exist
    [None, None, "Total septembre", None, None, None, 690, 573.2, 20, 70, 64.8, 84.9, 400, 3.5, 0, 170, 500],
    ["R04", D(2025, 10, 2), "Participation des familles à la sortie", None, None, None, 240, None, None, None,
     None, None, None, None, 240, None, None],
    [None, D(2025, 10, 6), "Frais de tenue de compte", None, None, None, None, 3.5, None, None,
     None, None, None, 3.5, None, None, None],
    ["D06", D(2025, 10, 7), "Car pour la sortie au musée", "1234568", None, None, None, 420, None, None,
     None, None, 420, None, None, None, None],
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cahier 2025-2026"
    sheet.append(["Coopérative scolaire – École Jean Jaurès – Cahier de comptabilité 2025-2026"])
    sheet.append(["Mandataire : Mme Martin"])
    sheet.append([])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    for cell in sheet["B"][4:]:
        cell.number_format = "DD/MM/YYYY"
    book.save(OUT / "cahier-2025-2026.xlsx")
    with open(OUT / "cahier-2025-2026.csv", "w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Cahier de comptabilité 2025-2026"])
        writer.writerow(HEADER)
        for row in ROWS:
            writer.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, D)
                             else str(v).replace(".", ",") for v in row])
    print(f"Cahiers d'exemple écrits dans {OUT}")


if __name__ == "__main__":
    main()
