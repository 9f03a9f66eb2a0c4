"""Bank statements: read the file the bank gives, match it to the books, tick, propose, record.

    banques.yaml    the CSV exports of French banks, as data (a new bank: a few lines)
    formats.py      loads them (and an AD's own `banques.yaml`, which adds or replaces)
    readers.py      OFX (ofxtools) and CSV files → a `BankStatement`, or a French error
    matching.py     each line → the operation it is, or a proposed new one (`ImportPlan`)
    suggest.py      the account this coop used most for a similar label
    apply.py        the plan, with the teacher's choices → one validated commit
    importers.py    beangulp importers over the same code (Fava's import page, `beangulp`)
"""
