"""The Saisie form checked on the server: every message, on its field, and nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.operations import (
    Form,
    build_operation,
    form_from_operation,
    suggestions,
)
from tests.gitrepo import TEACHER

from .conftest import UAI


def depense(**changes) -> Form:
    values = dict(type="depense", date="02/03/2026", piece="D01", libelle="Achat de peinture",
                  tiers="Librairie Papeterie", mode="CHQ", cheque="4130001", montant="45,20",
                  comptes=["6063"], montants=["45,20"])
    values.update(changes)
    return Form(**values)


def errors_of(repo, form: Form) -> dict[str, str]:
    return build_operation(repo.books(), form).errors


def test_a_valid_expense_becomes_one_operation(repo):
    draft = build_operation(repo.books(), depense(comptes=["6063", "6068"], montants=["40", "5,20"], projet="Classe verte"))
    assert draft.ok, draft.errors
    entry = draft.entry
    assert entry.meta == {"piece": "D01", "mode": "CHQ", "cheque": "4130001"}
    assert entry.tags == frozenset({"classe-verte"})
    assert [(p.account, p.units.number) for p in entry.postings] == [
        ("Charges:6063-Fournitures-activites", Decimal("40.00")),
        ("Charges:6068-Fournitures-projets", Decimal("5.20")),
        ("Actif:512-Banque", Decimal("-45.20")),
    ]


def test_one_account_without_amount_takes_the_whole_amount(repo):
    draft = build_operation(repo.books(), depense(montants=[""]))
    assert draft.ok, draft.errors


@pytest.mark.parametrize("changes, field, message", [
    ({"type": "achat"}, "type", "Choisissez le type d'opération (recette, dépense, virement interne, remise, régie)."),
    ({"date": "31/02/2026"}, "date", "Le 31/02/2026 n'existe pas dans le calendrier : vérifiez le jour et le mois."),
    ({"date": "02/03/2025"}, "date", "Le 02/03/2025 n'est pas dans un exercice ouvert : l'exercice ouvert est "
                                     "2025-2026 (01/09/2025 – 31/08/2026)."),
    ({"date": "02/04/2026"}, "date", "Le 02/04/2026 est dans le futur : une opération se saisit une fois faite."),
    ({"montant": "45,2O"}, "montant", "« 45,2O » n'est pas un montant : écrivez des chiffres avec au plus deux "
                                      "décimales après la virgule, par exemple 45,20 ou 1 234,56."),
    ({"libelle": ""}, "libelle", "Écrivez le libellé : ce qui a été acheté ou reçu, par exemple « Achat de peinture »."),
    ({"piece": ""}, "piece", "Indiquez le numéro de pièce, reporté sur le justificatif."),
    ({"piece": "D 1!"}, "piece", "« D 1! » : un numéro de pièce s'écrit avec des lettres et des chiffres (D12, R03, 27)."),
    ({"piece": "12"}, "piece", "« 12 » : cette coopérative numérote R01, R02… les recettes et D01, D02… les dépenses."),
    ({"projet": "!!!"}, "projet", "Le projet s'écrit avec des lettres ou des chiffres, par exemple « classe-verte »."),
    ({"mode": ""}, "mode", "Choisissez le mode de paiement : chèque, espèces, virement, carte ou prélèvement."),
    ({"comptes": [], "montants": []}, "ventilation", "Ventilez l'opération : choisissez au moins un compte de charges (6…)."),
    ({"comptes": ["9999"]}, "ventilation-1", "Ligne 1 : choisissez un compte dans la liste."),
    ({"comptes": ["7562"]}, "ventilation-1", "Ligne 1 : 7562 Participation volontaire des familles est un compte de "
                                              "produits ; une dépense se ventile sur un compte de charges (6…)."),
    ({"comptes": ["6063", "6068"], "montants": ["40", "cinq"]}, "ventilation-2", "Ligne 2 : « cinq » n'est pas un montant"),
    ({"comptes": ["6063", "6068"], "montants": ["40", "5"]}, "ventilation",
     "La ventilation fait 45,00\u00a0€ pour un montant de 45,20\u00a0€ : il manque 0,20\u00a0€."),
    ({"comptes": ["6063", "6068"], "montants": ["40", "6"]}, "ventilation",
     "La ventilation fait 46,00\u00a0€ pour un montant de 45,20\u00a0€ : il y a 0,80\u00a0€ de trop."),
    ({"cheque": ""}, "cheque", "Indiquez le numéro du chèque émis."),
    ({"cheque": "41 30"}, "cheque", "« 41 30 » : un numéro de chèque s'écrit en chiffres, comme sur le talon."),
])
def test_each_field_says_what_to_fix(repo, changes, field, message):
    errors = errors_of(repo, depense(**changes))
    assert errors[field].startswith(message), errors


def test_a_receipt_ventilated_on_a_charge_is_refused(repo):
    form = Form(type="recette", date="02/03/2026", piece="R01", libelle="Kermesse", mode="ESP", montant="10",
                comptes=["6063"], montants=["10"])
    assert errors_of(repo, form)["ventilation-1"] == (
        "Ligne 1 : 6063 Petit matériel et fournitures pour les activités est un compte de charges ; "
        "une recette se ventile sur un compte de produits (7…).")


def test_duplicates_name_the_other_operation_and_the_next_number(repo):
    result = actions.save_operation(repo.store, UAI, repo.books(), depense(), TEACHER)
    assert result.ok, result.errors
    errors = errors_of(repo, depense(date="03/03/2026"))
    assert errors["piece"] == ("La pièce D01 est déjà utilisée par l'opération du 02/03/2026 "
                               "« Librairie Papeterie – Achat de peinture » : prenez D02.")
    assert errors["cheque"] == ("Le chèque n° 4130001 a déjà été émis le 02/03/2026 pour « Librairie Papeterie – "
                                "Achat de peinture » : vérifiez le numéro sur le talon.")
    missing = errors_of(repo, depense(piece="D02", cheque=""))
    assert missing["cheque"] == "Indiquez le numéro du chèque émis (le suivant du chéquier est 4130002)."
    assert suggestions(repo.books(), "depense") == {"piece": "D02", "cheque": "4130002"}
    assert suggestions(repo.books(), "recette")["piece"] == "R01"


def test_virement_needs_a_direction(repo):
    form = Form(type="virement", date="02/03/2026", piece="R01", montant="20")
    assert errors_of(repo, form)["sens"] == "Choisissez le sens du virement : de la caisse vers la banque, ou l'inverse."


def test_remise_messages(repo):
    base = dict(type="remise", date="10/03/2026", piece="R03")
    assert errors_of(repo, Form(**base))["cheques"] == "Cochez les chèques que vous déposez à la banque."
    assert errors_of(repo, Form(**base, cheques=["nope"]))["cheques"] == (
        "Un des chèques cochés a déjà été remis, ou a changé : rechargez la page.")
    received = Form(type="recette", date="12/03/2026", piece="R01", libelle="Sortie", tiers="Famille Roy",
                    mode="CHQ", montant="12", comptes=["706"], montants=["12"])
    assert actions.save_operation(repo.store, UAI, repo.books(), received, TEACHER).ok
    cheque_id = repo.books().pending_cheques()[0].id
    assert errors_of(repo, Form(**base, cheques=[cheque_id]))["cheques"] == (
        "Le chèque de « Famille Roy – Sortie » est reçu le 12/03/2026, après la date de la remise.")
    late = dict(base, date="13/03/2026")
    assert errors_of(repo, Form(**late, cheques=[cheque_id], montant="15"))["montant"] == (
        "Les chèques choisis font 12,00\u00a0€, pas 15,00\u00a0€ : cochez les chèques du bordereau de remise.")


def test_regie_messages(repo):
    base = dict(date="02/03/2026", piece="D01", montant="40")
    assert errors_of(repo, Form(type="regie-versement", regie="", mode="CHQ", cheque="1", **base))["regie"] == (
        "Choisissez la régie (l'enseignant qui l'a reçue), ou « Nouvelle régie ».")
    assert errors_of(repo, Form(type="regie-versement", regie="nouvelle", mode="CHQ", cheque="1", **base))["enseignant"] == (
        "Écrivez le nom de l'enseignant qui reçoit la régie.")
    assert errors_of(repo, Form(type="regie-versement", regie="nouvelle", enseignant="***", mode="CHQ", **base))["enseignant"] == (
        "« *** » ne peut pas servir de nom de sous-compte.")
    assert errors_of(repo, Form(type="regie-versement", regie="nouvelle", enseignant="M. Roy", mode="VIR", **base))["mode"] == (
        "Une régie se verse par chèque ou en espèces.")
    versement = Form(type="regie-versement", regie="nouvelle", enseignant="M. Roy", mode="ESP", **base)
    result = actions.save_operation(repo.store, UAI, repo.books(), versement, TEACHER)
    assert result.ok, result.errors
    account = "Actif:54-Regies:Roy"
    refused = actions.save_operation(repo.store, UAI, repo.books(), Form(
        type="depense", date="03/03/2026", piece="D02", libelle="Goûter", mode="ESP", montant="30",
        comptes=["6063"], montants=["30"]), TEACHER)
    assert refused.errors["montant"].startswith("Enregistrement refusé : La caisse serait négative le 03/03/2026 (-20,00")
    assert "open Actif:54-Regies:Roy" in repo.text("comptes.beancount")
    too_much = Form(type="regie-restitution", regie=account, date="03/03/2026", piece="R01", montant="50")
    assert errors_of(repo, too_much)["montant"] == (
        "La régie de Roy ne détient que 40,00\u00a0€ : le montant ne peut pas dépasser ce reste.")
    assert errors_of(repo, Form(type="regie-justification", regie="", date="03/03/2026", piece="D02", montant="5",
                                libelle="x", comptes=["6063"], montants=["5"]))["regie"] == "Choisissez la régie (l'enseignant qui l'a reçue)."


def test_correction_form_round_trips(repo):
    assert actions.save_operation(repo.store, UAI, repo.books(), depense(comptes=["6063", "6068"], montants=["40", "5,20"]), TEACHER).ok
    books = repo.books()
    op = next(o for o in books.operations if o.piece == "D01")
    values = form_from_operation(books, op)
    assert values["type"] == "depense" and values["montant"] == "45,20"
    assert values["lignes"] == [{"compte": "6063", "montant": "40,00"}, {"compte": "6068", "montant": "5,20"}]
    form = depense(remplace=values["remplace"], montant="50", comptes=["6063", "6068"], montants=["40", "10"])
    draft = build_operation(books, form)
    assert draft.ok, draft.errors  # its own pièce and cheque are not duplicates of itself
    assert errors_of(repo, depense(remplace="gone"))["remplace"].startswith("L'opération à corriger a changé entre-temps")


def test_closed_exercice_is_refused(repo):
    books = repo.books(today=datetime.date(2026, 3, 31))
    books.closed[books.exercices[0]] = None  # as if 2025-2026 had been closed
    assert build_operation(books, depense()).errors["date"] == (
        "Le 02/03/2026 est dans l'exercice 2025-2026, qui est clôturé : on n'y ajoute plus rien.")
    # at the rentrée, a date of the closed year is refused with what to do
    books = repo.books(today=datetime.date(2026, 9, 15))
    books.closed[books.exercices[0]] = None
    assert build_operation(books, depense()).errors["date"].endswith(
        "Si l'opération est en fait de 2026-2027, corrigez la date ; si c'est un oubli de 2025-2026, "
        "demandez à l'AD de rouvrir l'exercice (avec le motif).")
