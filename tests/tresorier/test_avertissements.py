"""Avertissements where the treasurer sees them: the Saisie's answer, the dashboard, the closing."""

from __future__ import annotations

import datetime

from retkoop_tools.cloture.conditions import closing_conditions, unmet
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier import actions, status
from retkoop_tools.tresorier.operations import Form
from tests.gitrepo import TEACHER, run_git

from .conftest import UAI


def big_expense() -> Form:
    return Form(type="depense", date="02/03/2026", piece="D01", libelle="Classe de découverte", tiers="Voyages Horizon",
                mode="CHQ", cheque="4130001", montant="1500,00", comptes=["6251"], montants=[""])


def head(repo) -> str:
    return run_git(repo.root, "rev-parse", "HEAD").stdout.strip()


def set_rules(repo, text: str) -> None:
    path = repo.root / "ad.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"regles:\n  {text}\n", encoding="utf-8")


def test_an_erreur_is_refused_at_saving(repo):
    before = head(repo)
    result = actions.save_operation(repo.store, UAI, repo.books(), big_expense(), TEACHER)
    assert not result.ok
    assert "serait à découvert le 02/03/2026" in result.errors["general"]
    assert head(repo) == before


def test_an_avertissement_is_saved_and_said(repo):
    set_rules(repo, "banque-negative: avertissement")
    result = actions.save_operation(repo.store, UAI, repo.books(), big_expense(), TEACHER)
    assert result.ok, result.errors
    answer = result.as_dict()
    assert answer["ok"] and len(answer["avertissements"]) == 1
    assert answer["message"].startswith("Saisie D01 du 02/03/2026 : Voyages Horizon, 1\u00a0500,00\u00a0€. Attention : "
                                        "Le compte Banque – compte courant (512) serait à découvert le 02/03/2026")
    assert repo.log()[0].startswith("Mme Martin|Saisie D01")
    # The next save does not repeat what the books already had.
    follow = Form(type="depense", date="03/03/2026", piece="D02", libelle="Feutres", tiers="Papeterie", mode="CB",
                  montant="10,00", comptes=["6063"], montants=[""])
    result = actions.save_operation(repo.store, UAI, repo.books(), follow, TEACHER)
    assert result.ok and result.warnings == [], result.warnings


def test_the_dashboard_counts_avertissements_apart(repo):
    line = status.warnings_line(["La régie de Martin atteint 300,00 €…"])
    assert (line.ok, line.state, line.css) == (False, "a-venir", "rk-bientot")
    assert line.detail.startswith("1 point(s) à revoir, probablement faux (ils ne bloquent ni la saisie ni la clôture")
    lines = status.status_lines(repo.books(), 0, repo.coop_dir, {}, ledger_warnings=["Attention"])
    assert [item.title for item in lines if item.title == "Avertissements"] == ["Avertissements"]
    assert status.warnings_line([]).ok


def test_avertissements_are_listed_but_do_not_block_the_closing(repo):
    books = repo.books(today=datetime.date(2026, 9, 15))
    warned = closing_conditions(books, Exercice(2025), 0, datetime.date(2026, 9, 15),
                                warnings=["La régie de Martin n'est ni justifiée ni restituée au 31/08/2026…"])
    plain = closing_conditions(books, Exercice(2025), 0, datetime.date(2026, 9, 15))
    extra = [c for c in warned if c.attention]
    assert len(extra) == 1 and not extra[0].blocking and "ne bloquent pas la clôture" in extra[0].detail
    assert [c.title for c in unmet(warned)] == [c.title for c in unmet(plain)]
    blocked = closing_conditions(books, Exercice(2025), 2, datetime.date(2026, 9, 15))
    assert "Livres conformes aux règles OCCE" in [c.title for c in unmet(blocked)]


def test_a_mandataire_as_verificateur_is_refused_at_saving_the_quitus(repo):
    from retkoop_tools.cloture.actions import save_quitus
    from retkoop_tools.documents.dossier import Verificateur
    from retkoop_tools.documents.mandataires import record_mandataire

    record_mandataire(repo.store, UAI, "Mme Martin", TEACHER, today=datetime.date(2025, 9, 1))
    before = head(repo)
    result = save_quitus(repo.store, UAI, Exercice(2025), TEACHER,
                         [Verificateur("M. Durand", "Parent d'élève"), Verificateur("Mme Martin", "Enseignant")],
                         datetime.date(2026, 9, 10))
    assert not result.ok
    assert "Mme Martin, vérificateur aux comptes de l'exercice 2025-2026, en est aussi mandataire" in result.errors["general"]
    assert head(repo) == before
    result = save_quitus(repo.store, UAI, Exercice(2025), TEACHER,
                         [Verificateur("M. Durand", "Parent d'élève"), Verificateur("M. Roux", "Enseignant")],
                         datetime.date(2026, 9, 10))
    assert result.ok, result.errors
