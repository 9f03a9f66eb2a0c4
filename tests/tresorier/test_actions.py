"""The treasurer's actions on a real git repository: one commit per action, or nothing."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal

from beancount import loader

from retkoop_tools.chart import load_chart
from retkoop_tools.checks.runner import check_coop
from retkoop_tools.tresorier import actions
from retkoop_tools.tresorier.actions import Upload
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.operations import Form
from tests.gitrepo import TEACHER, run_git

from .conftest import TODAY, UAI


def png() -> bytes:
    """A real 1×1 PNG (a phone photo stands in for it)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def head(repo) -> str:
    return run_git(repo.root, "rev-parse", "HEAD").stdout.strip()


def expense(**changes) -> Form:
    values = dict(type="depense", date="02/03/2026", piece="D01", libelle="Achat de peinture", tiers="Librairie",
                  mode="CHQ", cheque="4130001", montant="45,20", comptes=["6063"], montants=[""])
    values.update(changes)
    return Form(**values)


def test_expense_with_its_photo_is_one_commit_by_the_teacher(repo):
    result = actions.save_operation(repo.store, UAI, repo.books(), expense(), TEACHER, Upload("photo.png", png()))
    assert result.ok, result.errors
    assert repo.log()[0] == "Mme Martin|Saisie D01 du 02/03/2026 : Librairie, 45,20\u00a0€"
    path = "documents/Charges/6063-Fournitures-activites/2026-03-02.D01.png"
    assert (repo.coop_dir / path).read_bytes() == png()
    assert f'document: "{path}"' in repo.text()
    assert run_git(repo.root, "status", "--porcelain").stdout == ""
    books = repo.books()
    op = next(o for o in books.operations if o.piece == "D01")
    assert op.document == path
    assert check_coop(repo.root, UAI).errors == []
    # Beancount's documents option sees it, attached to the charge account.
    from beancount import loader
    entries, _, _ = loader.load_file(str(repo.coop_dir / "coop.beancount"))
    assert any(type(e).__name__ == "Document" and e.filename.endswith("2026-03-02.D01.png") for e in entries)


def test_a_file_that_is_not_a_pdf_or_image_is_refused_and_nothing_changes(repo):
    before = head(repo)
    result = actions.save_operation(repo.store, UAI, repo.books(), expense(), TEACHER,
                                    Upload("facture.docx", b"PK\x03\x04 word"))
    assert result.errors == {"justificatif": "« facture.docx » n'est ni un PDF, ni une photo JPEG ou PNG : "
                                             "enregistrez le justificatif dans l'un de ces formats."}
    assert head(repo) == before and "D01" not in repo.text()


def test_correction_replaces_in_place_and_deletion_removes(repo):
    assert actions.save_operation(repo.store, UAI, repo.books(), expense(), TEACHER).ok
    op = next(o for o in repo.books().operations if o.piece == "D01")
    result = actions.save_operation(repo.store, UAI, repo.books(), expense(remplace=op.id, montant="50"), TEACHER)
    assert result.ok, result.errors
    assert repo.log()[0] == "Mme Martin|Correction D01 du 02/03/2026 : Librairie, 50,00\u00a0€"
    text = repo.text()
    assert text.count('piece: "D01"') == 1 and "50.00 EUR" in text and "45.20 EUR" not in text
    op = next(o for o in repo.books().operations if o.piece == "D01")
    result = actions.delete_operation(repo.store, UAI, repo.books(), op.id, TEACHER)
    assert result.ok and repo.log()[0] == "Mme Martin|Suppression D01 du 02/03/2026 : Librairie, 50,00\u00a0€"
    assert 'piece: "D01"' not in repo.text()
    assert check_coop(repo.root, UAI).errors == []
    assert actions.delete_operation(repo.store, UAI, repo.books(), op.id, TEACHER).errors == {
        "general": "Cette opération a changé entre-temps : rechargez la page."}


def test_statement_saved_only_when_the_gap_is_zero(repo):
    assert actions.save_operation(repo.store, UAI, repo.books(), expense(), TEACHER).ok
    books = repo.books()
    opening = next(o for o in books.operations if o.kind == "ouverture")
    cheque = next(o for o in books.operations if o.piece == "D01")
    before = head(repo)
    refused = actions.record_statement(repo.store, UAI, books, date_text="31/03/2026", balance_text="954,80",
                                       ticked=[opening.id], author=TEACHER)
    assert refused.errors == {"ecart": "Écart de -45,20\u00a0€ entre le relevé et les opérations pointées : cochez "
                                       "les opérations qui figurent sur le relevé, et elles seules, ou vérifiez le "
                                       "solde saisi."}
    assert head(repo) == before
    result = actions.record_statement(repo.store, UAI, books, date_text="31/03/2026", balance_text="954,80",
                                      ticked=[opening.id, cheque.id], author=TEACHER,
                                      upload=Upload("releve.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert result.ok, result.errors
    assert repo.log()[0] == ("Mme Martin|Pointage du relevé du 31/03/2026 : solde 954,80\u00a0€, "
                             "2 opération(s) pointée(s)")
    text = repo.text()
    assert text.count("releve: 2026-03-31") == 2
    assert 'custom "releve" Actif:512-Banque 954.80 EUR' in text
    assert (repo.coop_dir / "documents/Actif/512-Banque/2026-03-31.releve.pdf").exists()
    assert check_coop(repo.root, UAI).errors == []
    books = repo.books()
    assert books.unticked("Actif:512-Banque") == []
    again = actions.record_statement(repo.store, UAI, books, date_text="31/03/2026", balance_text="954,80",
                                     ticked=[], author=TEACHER)
    assert again.errors["date"] == "Le relevé du 31/03/2026 est déjà saisi."


def test_statement_field_messages(repo):
    books = repo.books()
    result = actions.record_statement(repo.store, UAI, books, date_text="le 31", balance_text="beaucoup",
                                      ticked=["x"], author=TEACHER)
    assert result.errors == {
        "date": "« le 31 » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple 05/03/2026.",
        "solde": "« beaucoup » n'est pas un montant : écrivez des chiffres avec au plus deux décimales après la "
                 "virgule, par exemple 45,20 ou 1 234,56.",
        "operations": "Une des opérations cochées a changé ou est déjà pointée : rechargez la page.",
    }
    assert actions.record_statement(repo.store, UAI, books, date_text="30/04/2026", balance_text="1",
                                    ticked=[], author=TEACHER).errors == {"date": "Le 30/04/2026 est dans le futur."}


def test_cash_count_bravo_is_saved_a_gap_is_refused(repo):
    books = repo.books()
    before = head(repo)
    gap = actions.record_cash_count(repo.store, UAI, books, date_text="31/03/2026", counts={"b20": "2"}, author=TEACHER)
    assert gap.errors == {"ecart": "Écart de -10,00\u00a0€ : 40,00\u00a0€ comptés, 50,00\u00a0€ dans les comptes. "
                                   "Recomptez, ou saisissez d'abord l'opération en espèces oubliée ; si l'écart "
                                   "demeure, enregistrez-le comme écart de caisse."}
    assert head(repo) == before
    bad = actions.record_cash_count(repo.store, UAI, books, date_text="31/03/2026", counts={"b20": "deux"}, author=TEACHER)
    assert bad.errors == {"b20": "« deux » : indiquez un nombre de billets ou de pièces (0, 1, 2…)."}
    ok = actions.record_cash_count(repo.store, UAI, books, date_text="31/03/2026",
                                   counts={"b20": "2", "p2": "4", "c50": "4"}, author=TEACHER)
    assert ok.ok, ok.errors
    assert repo.log()[0] == "Mme Martin|Arrêté de caisse du 31/03/2026 : 50,00\u00a0€ comptés (juste)"
    assert 'custom "arrete-caisse" Actif:530-Caisse\n  b20: 2\n  p2: 4\n  c50: 4\n' in repo.text()
    again = actions.record_cash_count(repo.store, UAI, repo.books(), date_text="31/03/2026", counts={}, author=TEACHER)
    assert again.errors == {"date": "La caisse a déjà été comptée le 31/03/2026 (50,00\u00a0€ comptés) : un arrêté "
                                    "par jour. Indiquez la date du nouveau comptage."}


def test_a_cash_operation_of_the_day_of_a_count_saved_after_it(repo):
    """The count is at the moment it is recorded: the day's cash operations saved afterwards come after it."""
    count = actions.record_cash_count(repo.store, UAI, repo.books(), date_text="31/03/2026",
                                      counts={"b50": "1"}, author=TEACHER)
    assert count.ok, count.errors
    later = actions.save_operation(repo.store, UAI, repo.books(), expense(date="31/03/2026", mode="ESP", cheque="",
                                                                          montant="8,40"), TEACHER)
    assert later.ok, later.errors
    assert check_coop(repo.root, UAI).errors == []
    books = repo.books()
    assert [(c.total, c.book, c.gap) for c in books.cash_counts()] == [(50, 50, 0)]
    assert books.balance(books.caisse_account) == Decimal("41.60")
    # Dated before the count, it would make the count wrong: refused on its date, in words that say why.
    before = actions.save_operation(repo.store, UAI, books, expense(date="30/03/2026", piece="D02", mode="ESP",
                                                                    cheque="", montant="5"), TEACHER)
    assert before.errors == {"date": "La caisse a été comptée le 31/03/2026, après le 30/03/2026 : une opération en "
                                     "espèces de cette date fausserait cet arrêté de caisse. Vérifiez la date : une "
                                     "opération se date du jour où elle a eu lieu (celles du jour d'un arrêté, "
                                     "saisies après lui, comptent pour la suite)."}
    assert actions.save_operation(repo.store, UAI, books, expense(date="30/03/2026", piece="D02"), TEACHER).ok


def test_a_shortfall_is_recorded_as_an_ecart_de_caisse(repo):
    """The gap that remains after a recount is booked (671 by default) with the count, which is then right."""
    books = repo.books()
    result = actions.record_cash_count(repo.store, UAI, books, date_text="31/03/2026", counts={"b20": "2", "p2": "1"},
                                       author=TEACHER, ecart=True)
    assert result.ok, result.errors
    assert repo.log()[0] == ("Mme Martin|Arrêté de caisse du 31/03/2026 : 42,00\u00a0€ comptés (écart de caisse "
                             "-8,00\u00a0€ enregistré en 671 Charges exceptionnelles)")
    assert check_coop(repo.root, UAI).errors == []
    books = repo.books()
    ecart = next(op for op in books.operations if op.nature == "ecart-caisse")
    assert (ecart.kind, ecart.caisse, ecart.piece) == ("depense", Decimal("-8.00"), "D01")
    assert [(c.code, v) for c, v in ecart.ventilation] == [("671", Decimal("8.00"))]
    assert not ecart.needs_document  # the arrêté is its pièce
    assert [c.gap for c in books.cash_counts()] == [0]
    # An AD may name other accounts; a surplus is a produit.
    more = actions.record_cash_count(repo.store, UAI, books, date_text="31/03/2026", counts={"b50": "1"},
                                     author=TEACHER, ecart=True, ad_config={"arrete_caisse": {"excedent": "768"}})
    assert more.errors["date"].startswith("La caisse a déjà été comptée le 31/03/2026")



def test_a_coop_created_mid_year_gives_its_opening_balances(repo):
    """No opening yet: the balances the day its books start, once, before every operation."""
    from retkoop_tools.ledger.exercice import Exercice
    from retkoop_tools.ledger.layout import create_coop
    from retkoop_tools.tresorier.rentree import (
        opening_exercice,
        record_opening_balances,
    )
    from tests.gitrepo import ADMIN

    new = "0910009Z"
    create_coop(repo.root, new, "École des Tilleuls", "Évry", Exercice(2025))
    repo.store.commit_new_coop(new, ADMIN, "Nouvelle coopérative")

    def books():
        entries, errors, _ = loader.load_file(str(repo.root / "ledgers" / new / "coop.beancount"))
        assert not errors
        return Books(entries, load_chart(repo.root), repo.root / "ledgers" / new, TODAY)

    assert opening_exercice(repo.books()) is None  # the first coop has its opening
    assert opening_exercice(books()) == Exercice(2025)
    bank, caisse = "Actif:512-Banque", "Actif:530-Caisse"
    refused = record_opening_balances(repo.store, new, books(), date_text="15/01/2026",
                                      amounts={bank: "-5", caisse: "deux"}, author=TEACHER)
    assert refused.errors == {bank: "Le montant s'écrit sans signe moins : le type d'opération dit le sens.",
                              caisse: "« deux » n'est pas un montant : écrivez des chiffres avec au plus deux "
                                      "décimales après la virgule, par exemple 45,20 ou 1 234,56."}
    # A receipt (a payment out would overdraw the bank before its opening balance is given).
    gift = Form(type="recette", date="20/01/2026", piece="R01", libelle="Don", tiers="Famille Roy", mode="VIR",
                cheque="", montant="45,20", comptes=["771"], montants=[""])
    sale = actions.save_operation(repo.store, new, books(), gift, TEACHER)
    assert sale.ok, sale.errors
    late = record_opening_balances(repo.store, new, books(), date_text="21/01/2026", amounts={bank: "812,40"},
                                   author=TEACHER)
    assert late.errors["date"] == ("Des opérations sont déjà saisies avant le 21/01/2026 (la première : R01 du "
                                   "20/01/2026) : les soldes de départ se donnent à une date qui précède toutes "
                                   "les opérations.")
    ok = record_opening_balances(repo.store, new, books(), date_text="15/01/2026",
                                 amounts={bank: "812,40", caisse: "35"}, author=TEACHER)
    assert ok.ok, ok.errors
    assert repo.log()[0] == ("Mme Martin|Soldes de départ au 15/01/2026 : Banque 812,40\u00a0€, Caisse 35,00\u00a0€")
    assert check_coop(repo.root, new).errors == []
    after = books()
    assert after.balance(bank) == Decimal("857.60") and after.balance(caisse) == Decimal("35.00")
    from retkoop_tools.documents.crf import bilan
    figures = bilan(after, Exercice(2025))
    assert (figures.report_a_nouveau, figures.resultat, figures.equilibre) == (Decimal("847.40"), Decimal("45.20"), True)
    assert opening_exercice(after) is None
    again = record_opening_balances(repo.store, new, after, date_text="15/01/2026", amounts={bank: "1"}, author=TEACHER)
    assert again.errors == {"general": "Les soldes de départ de la coopérative sont déjà enregistrés : ils ne se "
                                       "donnent qu'une fois."}
