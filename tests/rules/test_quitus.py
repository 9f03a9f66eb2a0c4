"""Quitus: no mandataire among the vérificateurs aux comptes."""

import datetime

from retkoop_tools.documents.dossier import Dossier, Verificateur, dossier_filename
from retkoop_tools.documents.mandataires import with_new_mandataire
from retkoop_tools.ledger.exercice import Exercice
from tests.conftest import OPENING

EXERCICE = Exercice(2025)


def write_quitus(coop, *verificateurs: tuple[str, str]) -> None:
    dossier = Dossier(EXERCICE, [Verificateur(n, q) for n, q in verificateurs], datetime.date(2026, 9, 10))
    (coop.dir / dossier_filename(EXERCICE)).write_text(dossier.dump(), encoding="utf-8")


def test_a_mandataire_among_the_verificateurs(coop):
    coop.add(OPENING)
    (coop.dir / "mandataires.yaml").write_text(with_new_mandataire(coop.dir, "Mme Lefèvre", datetime.date(2024, 9, 1)))
    write_quitus(coop, ("M. Durand", "Parent d'élève"), ("Lefevre", "Enseignant"))
    errors = coop.errors()
    assert [(e.file, e.level) for e in errors] == [(f"ledgers/{coop.uai}/crf-2025-2026.yaml", "erreur")]
    text = (coop.dir / "crf-2025-2026.yaml").read_text().splitlines()
    assert "Lefevre" in text[errors[0].line - 1]
    assert errors[0].message.startswith("Lefevre, vérificateur aux comptes de l'exercice 2025-2026, en est aussi "
                                        "mandataire (Mme Lefèvre)")


def test_verificateurs_other_than_the_mandataire_pass(coop):
    """Nearest legal neighbour: another teacher of the same family name is not the mandataire."""
    coop.add(OPENING)
    (coop.dir / "mandataires.yaml").write_text(with_new_mandataire(coop.dir, "Mme Claire Lefèvre",
                                                                   datetime.date(2024, 9, 1)))
    write_quitus(coop, ("M. Durand", "Parent d'élève"), ("Paul Lefèvre", "Enseignant"))
    assert coop.errors() == [] and coop.warnings() == []


def test_the_mandataire_of_another_year_may_verify(coop):
    """Nearest legal neighbour: last year's mandataire, who left, verifies this year's books."""
    coop.add(OPENING)
    (coop.dir / "mandataires.yaml").write_text(
        with_new_mandataire(coop.dir, "M. Bernard", datetime.date(2023, 9, 1)))
    (coop.dir / "mandataires.yaml").write_text(
        with_new_mandataire(coop.dir, "Mme Lefèvre", datetime.date(2025, 9, 1)))
    write_quitus(coop, ("M. Durand", "Parent d'élève"), ("M. Bernard", "Autre membre de la coopérative"))
    assert coop.errors() == []
