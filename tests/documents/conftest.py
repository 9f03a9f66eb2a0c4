"""A coop whose exercice 2025-2026 was worked out by hand (figures in HAND below)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from tests.gitrepo import ADMIN, OPENING_TEXT, make_ad_repo
from tests.tresorier.conftest import UAI, Repo

EXERCICE = Exercice(2025)
AFTER_YEAR = datetime.date(2026, 9, 20)

# Every bank movement but D03 (a cheque not debited yet) is on the statement of 31/08/2026.
BOOKS = """2025-09-01 * "Reprise des soldes" "Ouverture"
  nature: "ouverture"
  releve: 2026-08-31
  Actif:512-Banque                 1000.00 EUR
  Actif:530-Caisse                   50.00 EUR
  Capitaux:110-Report-a-nouveau   -1050.00 EUR

2025-09-15 * "Famille Durand" "Participation volontaire"
  piece: "R01"
  mode: "ESP"
  Actif:530-Caisse                        30.00 EUR
  Produits:7562-Participation-familles  -30.00 EUR

2025-09-16 * "Famille Traoré" "Participation volontaire" ^chq-2025-r02
  piece: "R02"
  mode: "CHQ"
  cheque: "8561297"
  Actif:5112-Cheques-a-encaisser         90.00 EUR
  Produits:7562-Participation-familles  -90.00 EUR

2025-09-20 * "Remise de chèques" "Remise de 1 chèque" ^chq-2025-r02
  piece: "R03"
  nature: "remise"
  mode: "CHQ"
  releve: 2026-08-31
  Actif:512-Banque                 90.00 EUR
  Actif:5112-Cheques-a-encaisser  -90.00 EUR

2025-10-01 * "Mairie d'Évry" "Subvention classe de découverte"
  piece: "R04"
  mode: "VIR"
  releve: 2026-08-31
  Actif:512-Banque                     300.00 EUR
  Produits:744-Subvention-commune     -300.00 EUR

2025-10-05 * "Musée de la Préhistoire" "Entrées de la sortie"
  piece: "D01"
  mode: "CHQ"
  cheque: "0000101"
  releve: 2026-08-31
  Charges:6251-Sorties-voyages   250.00 EUR
  Actif:512-Banque              -250.00 EUR

2025-10-31 * "Banque" "Frais de tenue de compte"
  piece: "D02"
  mode: "PRLV"
  releve: 2026-08-31
  Charges:627-Frais-bancaires   3.50 EUR
  Actif:512-Banque             -3.50 EUR

2025-11-02 * "Dépôt d'espèces" "Versement à la banque"
  piece: "R05"
  nature: "virement"
  mode: "ESP"
  releve: 2026-08-31
  Actif:512-Banque     20.00 EUR
  Actif:530-Caisse    -20.00 EUR

2026-06-10 * "Librairie du Centre" "Albums pour la BCD"
  piece: "D03"
  mode: "CHQ"
  cheque: "0000102"
  Charges:6063-Fournitures-activites   45.20 EUR
  Actif:512-Banque                    -45.20 EUR

2026-08-20 * "Famille Petit" "Participation à la sortie" ^chq-2025-r06
  piece: "R06"
  mode: "CHQ"
  cheque: "1234567"
  Actif:5112-Cheques-a-encaisser         15.00 EUR
  Produits:706-Participation-activites  -15.00 EUR

2026-08-31 custom "releve" Actif:512-Banque 1156.50 EUR

2026-08-31 custom "arrete-caisse" Actif:530-Caisse
  b50: 1
  b10: 1
"""

#: Worked out by hand from BOOKS, not by the code under test.
HAND = {
    "charges": Decimal("298.70"),  # 250.00 + 3.50 + 45.20
    "charges-activites": Decimal("295.20"),  # 6251 250.00 + 6063 45.20
    "charges-gestion": Decimal("3.50"),
    "produits": Decimal("435.00"),  # 30 + 90 (7562) + 300 (744) + 15 (706)
    "participation-familles": Decimal("120.00"),
    "subventions": Decimal("300.00"),
    "produits-activites": Decimal("15.00"),
    "resultat": Decimal("136.30"),
    "banque": Decimal("1111.30"),  # 1000 + 90 + 300 − 250 − 3.50 + 20 − 45.20
    "caisse": Decimal("60.00"),  # 50 + 30 − 20
    "cheques": Decimal("15.00"),
    "actif": Decimal("1186.30"),
    "report": Decimal("1050.00"),
    "releve": Decimal("1156.50"),
    "non_pointe": Decimal("-45.20"),
}


def write_books(repo: Repo, books: str = BOOKS) -> None:
    text = repo.text().replace(OPENING_TEXT, books)
    repo.store.write(UAI, {"2025-2026.beancount": text}, ADMIN, "Livres de l'exercice")


@pytest.fixture
def hand(tmp_path) -> Repo:
    root = tmp_path / "ad"
    repo = Repo(root, make_ad_repo(root))
    write_books(repo)
    return repo


def source(repo: Repo, today: datetime.date = AFTER_YEAR):
    return load_source(repo.root, UAI, today)
