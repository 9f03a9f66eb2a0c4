"""A coop whose September 2025 matches the sample statements of releves/ (one per bank)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from retkoop_tools.ledger.exercice import Exercice
from tests.gitrepo import ADMIN
from tests.tresorier.conftest import UAI, Repo, repo  # noqa: F401 - the fixture is used here

SAMPLES = Path(__file__).parent / "releves"
TODAY = datetime.date(2026, 3, 31)
CLOSING = "1151.00"

#: The cahier of September 2025. On the statement: D02, D03, R01, the remise R04, the cheque
#: of D04 — and two lines missing from the cahier (MAIF, the parents' donation). D05's cheque
#: is not cashed yet. D01 (cash) is the coop's history that names MAIF.
BOOKS = """
2025-09-03 * "MAIF" "Assurance multirisque (acompte)"
  piece: "D01"
  mode: "ESP"
  Charges:6168-Assurance   12.00 EUR
  Actif:530-Caisse        -12.00 EUR

2025-09-05 * "Banque" "Frais de tenue de compte"
  piece: "D02"
  mode: "PRLV"
  Charges:627-Frais-bancaires   3.50 EUR
  Actif:512-Banque             -3.50 EUR

2025-09-15 * "Librairie du Centre" "Achat de livres pour la BCD"
  piece: "D03"
  mode: "CB"
  Charges:6181-Livres-abonnements   84.90 EUR
  Actif:512-Banque                 -84.90 EUR

2025-09-20 * "Autocars Dupont" "Sortie au musée"
  piece: "D04"
  mode: "CHQ"
  cheque: "1234567"
  Charges:6247-Transports   420.00 EUR
  Actif:512-Banque         -420.00 EUR

2025-09-22 * "Mairie d'Évry" "Subvention projet jardin"
  piece: "R01"
  mode: "VIR"
  Actif:512-Banque                      500.00 EUR
  Produits:744-Subvention-commune      -500.00 EUR

2025-09-23 * "Famille Martin" "Participation sortie" ^chq-2025-r02
  piece: "R02"
  mode: "CHQ"
  cheque: "7654321"
  Actif:5112-Cheques-a-encaisser          30.00 EUR
  Produits:706-Participation-activites   -30.00 EUR

2025-09-24 * "Famille Bernard" "Participation sortie" ^chq-2025-r03
  piece: "R03"
  mode: "CHQ"
  cheque: "7654000"
  Actif:5112-Cheques-a-encaisser          25.00 EUR
  Produits:706-Participation-activites   -25.00 EUR

2025-09-25 * "Remise de chèques à la banque" ^chq-2025-r02 ^chq-2025-r03
  piece: "R04"
  nature: "remise"
  mode: "CHQ"
  Actif:512-Banque                 55.00 EUR
  Actif:5112-Cheques-a-encaisser  -55.00 EUR

2025-09-29 * "Papeterie Lefèvre" "Fournitures de peinture"
  piece: "D05"
  mode: "CHQ"
  cheque: "1234568"
  Charges:6063-Fournitures-activites   60.00 EUR
  Actif:512-Banque                    -60.00 EUR
"""


@pytest.fixture
def books_repo(repo: Repo) -> Repo:  # noqa: F811
    repo.store.insert_entries(UAI, BOOKS, ADMIN, "Cahier de septembre", Exercice(2025))
    return repo
