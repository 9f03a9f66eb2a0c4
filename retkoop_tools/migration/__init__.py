"""Migration of books kept in a spreadsheet: the cahier (XLSX or CSV) becomes a ledger.

    colonnes.yaml   the column titles of a cahier (DOMAIN.md §3), with their usual variants
    reader.py       XLSX (openpyxl) or CSV → rows, the header row found, columns mapped
    convert.py      rows → operations, each row either converted or rejected with its reason
    migrate.py      opening balances + operations → one validated commit, and the report
"""
