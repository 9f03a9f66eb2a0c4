"""Exercice: operations in the file of their exercice; a closed exercice is sealed."""

import datetime

from retkoop_tools.demo.generator import seal_exercice
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import add_exercice
from tests.conftest import OPENING

SALE = """
2025-10-02 * "Famille Durand" "Participation volontaire"
  piece: "R01"
  mode: "ESP"
  Actif:530-Caisse                       15.00 EUR
  Produits:7562-Participation-familles  -15.00 EUR
"""


def test_operation_in_its_exercice_passes(coop):
    coop.add(OPENING)
    coop.add(SALE)
    assert coop.errors() == []


def test_operation_of_an_exercice_without_file(coop):
    coop.add(OPENING)
    line = coop.add(SALE.replace("2025-10-02", "2026-10-02"))
    errors = coop.errors()
    assert [e.line for e in errors] == [line]
    assert errors[0].message == (
        "Écriture du 02/10/2026 : l'exercice 2026-2027 n'a pas de fichier. "
        "Ouvrez l'exercice (2026-2027.beancount) avant d'y saisir."
    )


def test_operation_in_the_wrong_exercice_file(coop):
    coop.add(OPENING)
    add_exercice(coop.dir, Exercice(2026))
    line = coop.add(SALE.replace("2025-10-02", "2026-09-03"))
    errors = coop.errors()
    assert [e.line for e in errors] == [line]
    assert "placée dans 2025-2026.beancount : elle doit être dans 2026-2027.beancount" in errors[0].message


def test_operation_in_coop_beancount_is_refused(coop):
    path = coop.dir / "coop.beancount"
    header_lines = len(path.read_text().splitlines())
    path.write_text(path.read_text() + "\n" + SALE)
    errors = coop.errors()
    assert len(errors) == 1 and errors[0].file.endswith("coop.beancount")
    # coop.beancount is a system file: anything added to it is refused before any rule runs.
    line = header_lines + 3  # after the blank lines, the first line of SALE
    assert f"ligne {line}" in errors[0].message and "retkoop coop entete" in errors[0].message


def _closed(coop):
    coop.add(OPENING)
    coop.add(SALE)
    seal_exercice(coop.dir, Exercice(2025), "Mme Martin", datetime.date(2026, 9, 20))
    add_exercice(coop.dir, Exercice(2026))
    assert coop.errors() == []
    return coop.line_of('custom "cloture"')


def test_closed_exercice_touched_names_the_closing(coop):
    closing_line = _closed(coop)
    path = coop.exercice_file()
    path.write_text(path.read_text().replace("15.00 EUR", "16.00 EUR").replace("-15.00 EUR", "-16.00 EUR"))
    path.write_text(path.read_text().replace("-16.00 EUR", "-16.00 EUR"))
    errors = coop.errors()
    messages = [e.message for e in errors if e.line == closing_line]
    assert messages == [
        "L'exercice 2025-2026 est clos (clôture du 20/09/2026 par Mme Martin, "
        f"2025-2026.beancount:{closing_line}) : ses écritures ont été modifiées depuis. "
        "Annulez la modification, ou demandez à l'AD de rouvrir l'exercice."
    ]


def test_closed_exercice_added_operation(coop):
    _closed(coop)
    coop.add(SALE.replace("R01", "R02").replace("2025-10-02", "2025-10-03"))
    assert any("est clos" in m for m in coop.messages())


def test_closed_exercice_reformatted_is_not_a_change(coop):
    _closed(coop)
    path = coop.exercice_file()
    text = path.read_text()
    # Re-indent the postings and swap two metadata lines: same entries, other text.
    text = text.replace('  piece: "R01"\n  mode: "ESP"\n', '  mode: "ESP"\n  piece: "R01"\n')
    text = text.replace("Actif:530-Caisse                       15.00 EUR", "Actif:530-Caisse  15 EUR")
    path.write_text(text)
    assert coop.errors() == []


def test_closed_exercice_may_still_be_ticked_later(coop):
    """A cheque issued in August appears on September's statement: ticking is not a change."""
    _closed(coop)
    path = coop.exercice_file()
    path.write_text(path.read_text().replace('  nature: "ouverture"\n', '  nature: "ouverture"\n  releve: 2026-09-30\n'))
    coop.add('2026-09-30 custom "releve" Actif:512-Banque 1000.00 EUR', exercice="2026-2027")
    assert coop.errors() == []
