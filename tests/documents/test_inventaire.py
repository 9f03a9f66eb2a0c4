"""The cahier d'inventaire and the État des actions on a real git repository: purchases of
durable goods proposed from the books, confirmed, dismissed, entered by hand, disposed of; the
closing reminder; the CRF's annexes; the write policy. Figures worked out by hand."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pypdf
import pytest
import yaml

from retkoop_tools.cloture.actions import close_exercice
from retkoop_tools.cloture.conditions import closing_conditions, unmet
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.inventaire import compute_inventaire
from retkoop_tools.documents.projets import (
    HORS_PROJET,
    detail_csv,
    etat_des_actions,
    summary_csv,
)
from retkoop_tools.documents.render import html_to_pdf, render_html
from retkoop_tools.inventaire import actions
from retkoop_tools.inventaire.model import (
    INVENTAIRE_FILENAME,
    load_inventaire,
    propositions,
)
from retkoop_tools.policy.writes import Scope
from retkoop_tools.store.store import WritePolicyError
from tests.documents.conftest import AFTER_YEAR, EXERCICE, HAND, source, write_books
from tests.gitrepo import ADMIN, TEACHER, make_ad_repo, run_git
from tests.tresorier.conftest import UAI, Repo

# Two purchases on 606 (one split with 6063 fournitures, which is not a durable good), and a
# sale tagged with two projects. Nothing here touches the caisse or the ticked statement.
PURCHASES = """2026-03-13 * "Jeux Toulousains" "Jeux de cour" #jardin
  piece: "D04"
  mode: "CHQ"
  cheque: "0000103"
  Charges:606-Biens-durables             120.00 EUR
  Charges:6063-Fournitures-activites      30.00 EUR
  Actif:512-Banque                      -150.00 EUR

2026-04-02 * "Photo Service" "Appareil photo" #jardin
  piece: "D05"
  mode: "CHQ"
  cheque: "0000104"
  Charges:606-Biens-durables   249.90 EUR
  Actif:512-Banque            -249.90 EUR

2026-05-10 * "Marché de printemps" "Vente de plants" #kermesse #jardin
  piece: "R07"
  mode: "VIR"
  Actif:512-Banque          80.00 EUR
  Produits:708-Fetes-ventes -80.00 EUR
"""
D04, D05 = "2025-2026|D04|606", "2025-2026|D05|606"
TODAY = datetime.date(2026, 6, 20)


def head(repo: Repo) -> str:
    return run_git(repo.root, "rev-parse", "HEAD").stdout.strip()


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def shop(tmp_path) -> Repo:
    root = tmp_path / "ad"
    repo = Repo(root, make_ad_repo(root))
    write_books(repo)
    repo.store.insert_entries(UAI, PURCHASES, ADMIN, "Achats du printemps", EXERCICE)
    return repo


def good(**fields) -> dict[str, str]:
    return {"designation": "Appareil photo numérique", "lieu": "Classe de CM2", "date": "02/04/2026",
            "valeur": "249,90"} | fields


def test_the_606_lines_are_proposed_not_the_fournitures(shop):
    books = shop.books(TODAY)
    found = propositions(books, load_inventaire(shop.coop_dir), [EXERCICE])
    assert [(p.id, p.origine.montant) for p in found] == [(D04, Decimal("120.00")), (D05, Decimal("249.90"))]
    assert found[0].op.piece == "D04" and found[0].libelle_compte.startswith("Biens durables")


def test_confirm_dismiss_restore_add_dispose_one_commit_each(shop):
    books = shop.books(TODAY)
    done = actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, TODAY)
    assert done.ok, done.errors
    assert done.commit == head(shop)
    assert shop.log()[0] == ("Mme Martin|Inventaire : bien n° 1 « Appareil photo numérique » (249,90\u00a0€), "
                             "achat de la pièce D05")
    saved = yaml.safe_load((shop.coop_dir / INVENTAIRE_FILENAME).read_text(encoding="utf-8"))
    (bien,) = saved["biens"]
    assert (bien["numero"], bien["date"], bien["valeur"], bien["lieu"], bien["origine"]["piece"]) == (
        1, datetime.date(2026, 4, 2), "249.90", "Classe de CM2", "D05")
    assert [p.id for p in propositions(books, load_inventaire(shop.coop_dir), [EXERCICE])] == [D04]
    again = actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, TODAY)
    assert "déjà traité" in again.errors["general"]

    assert actions.dismiss(shop.store, UAI, books, D04, TEACHER).ok
    assert shop.log()[0] == "Mme Martin|Inventaire : achat de la pièce D04 (120,00\u00a0€) écarté"
    assert propositions(books, load_inventaire(shop.coop_dir), [EXERCICE]) == []
    assert actions.restore(shop.store, UAI, D04, TEACHER).ok
    assert [p.id for p in propositions(books, load_inventaire(shop.coop_dir), [EXERCICE])] == [D04]
    assert actions.dismiss(shop.store, UAI, books, D04, TEACHER).ok

    gift = actions.add(shop.store, UAI, good(designation="Tables de jardin (don des parents)", lieu="Cour",
                                             date="01/02/2026", valeur="60"), TEACHER, TODAY)
    assert gift.ok, gift.errors
    before = head(shop)
    early = actions.dispose(shop.store, UAI, books, "2", {"date_sortie": "31/01/2026", "motif": "Cassées"},
                            TEACHER, TODAY)
    assert early.errors == {"date_sortie": "Le bien est entré au cahier le 01/02/2026 : il ne peut pas en sortir avant."}
    silent = actions.dispose(shop.store, UAI, books, "2", {"date_sortie": "15/06/2026", "motif": " "}, TEACHER, TODAY)
    assert list(silent.errors) == ["motif"] and "motif de la sortie" in silent.errors["motif"]
    assert head(shop) == before
    out = actions.dispose(shop.store, UAI, books, "2", {"date_sortie": "15/06/2026", "motif": "Cassées, jetées"},
                          TEACHER, TODAY)
    assert out.ok, out.errors
    assert shop.log()[0] == ("Mme Martin|Inventaire : bien n° 2 « Tables de jardin (don des parents) » sorti le "
                             "15/06/2026 (Cassées, jetées)")

    cahier = compute_inventaire(books, shop.coop_dir, EXERCICE, {}, AFTER_YEAR)
    # Present at 31/08/2026: the camera only (the tables left on 15/06).
    assert [b.numero for b in cahier.presents] == [1] and cahier.valeur == Decimal("249.90")
    assert [b.numero for b in cahier.entrees] == [1, 2] and [b.numero for b in cahier.sorties] == [2]
    # 369,90 bought = 249,90 entered + 120,00 dismissed + 0 left.
    assert (cahier.achats, cahier.inscrits, cahier.ecartes, cahier.a_traiter) == (
        Decimal("369.90"), Decimal("249.90"), Decimal("120.00"), [])
    # Seen in March (a vérificateur of an earlier day): the tables are there, not yet out.
    march = load_inventaire(shop.coop_dir).au(datetime.date(2026, 3, 31))
    assert [b.numero for b in march.presents(datetime.date(2026, 3, 31))] == [2]


@pytest.mark.parametrize("fields, key, message", [
    ({"designation": "<b>Jeux</b>"}, "designation", "« < », « > »"),
    ({"designation": "Jeux\x00"}, "designation", "caractères de contrôle"),
    ({"designation": "  "}, "designation", "Écrivez la désignation"),
    ({"lieu": "Classe <script>"}, "lieu", "« < », « > »"),
    ({"valeur": "12,345"}, "valeur", "n'est pas un montant"),
    ({"valeur": "0"}, "valeur", "ne peut pas être nul"),
    ({"date": "31/09/2026"}, "date", "n'existe pas dans le calendrier"),
    ({"date": "21/06/2026"}, "date", "est à venir"),
])
def test_each_field_is_checked_in_french_and_nothing_is_written(shop, fields, key, message):
    before = head(shop)
    result = actions.confirm(shop.store, UAI, shop.books(TODAY), D05, good(**fields), TEACHER, TODAY)
    assert list(result.errors) == [key] and message in result.errors[key]
    assert head(shop) == before and not (shop.coop_dir / INVENTAIRE_FILENAME).exists()


def test_the_write_policy_keeps_the_cahier_to_our_pages(shop):
    text = "biens:\n- numero: 1\n  date: 2026-04-02\n  designation: Appareil\n  valeur: '10.00'\n"
    with pytest.raises(WritePolicyError, match="Inventaire, pas directement"):
        shop.store.write(UAI, {INVENTAIRE_FILENAME: text}, TEACHER, "Inventaire à la main")
    with pytest.raises(WritePolicyError, match="caractère de contrôle"):
        shop.store.write(UAI, {INVENTAIRE_FILENAME: text.replace("Appareil", "<img src=x onerror=alert(1)>")},
                         TEACHER, "Inventaire", scope=Scope.RECORDS)
    assert not (shop.coop_dir / INVENTAIRE_FILENAME).exists()


def test_the_closing_reminds_without_blocking_then_shows_green(shop):
    books = shop.books(AFTER_YEAR)
    conditions = closing_conditions(books, EXERCICE, 0, AFTER_YEAR)
    (reminder,) = [c for c in conditions if c.title == "Cahier d'inventaire à jour"]
    assert not reminder.ok and not reminder.blocking and reminder.page == "Inventaire"
    assert reminder.detail.startswith("2 achat(s) de biens durables (369,90\u00a0€) à inscrire")
    assert reminder not in unmet(conditions)
    actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, AFTER_YEAR)
    actions.dismiss(shop.store, UAI, books, D04, TEACHER)
    (reminder,) = [c for c in closing_conditions(books, EXERCICE, 0, AFTER_YEAR) if c.title.startswith("Cahier")]
    assert reminder.ok


def test_the_closing_goes_ahead_with_purchases_left_and_freezes_its_disposals(shop):
    books = shop.books(AFTER_YEAR)
    assert actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, AFTER_YEAR).ok
    closed = close_exercice(shop.store, UAI, EXERCICE, TEACHER, today=AFTER_YEAR)
    assert closed.ok, closed.errors
    books = shop.books(AFTER_YEAR)
    refused = actions.dispose(shop.store, UAI, books, "1", {"date_sortie": "15/08/2026", "motif": "Perdu"},
                              TEACHER, AFTER_YEAR)
    assert "L'exercice 2025-2026 est clôturé" in refused.errors["date_sortie"]
    assert actions.dispose(shop.store, UAI, books, "1", {"date_sortie": "20/09/2026", "motif": "Perdu"},
                           TEACHER, AFTER_YEAR).ok
    # The CRF the closing stored lists the good, and the purchase still to enter.
    stored = pdf_text((shop.coop_dir / "documents" / "crf" / "crf-2025-2026.pdf").read_bytes())
    assert "Appareil photo numérique" in stored and "Biens présents au 31/08/2026 : 1" in stored
    assert "pas encore inscrits ni écartés : 1 achat(s) 120,00 €" in stored


def test_etat_des_actions_adds_up_to_the_crf(shop):
    books = shop.books(AFTER_YEAR)
    etat = etat_des_actions(books, EXERCICE)
    rows = [(p.nom, p.operations, p.total_charges, p.total_produits, p.resultat) for p in etat.projets]
    assert rows == [
        # D04 (606 120,00 + 6063 30,00) and D05 (606 249,90)
        ("jardin", 2, Decimal("399.90"), Decimal("0.00"), Decimal("-399.90")),
        ("jardin + kermesse", 1, Decimal("0.00"), Decimal("80.00"), Decimal("80.00")),
        # the hand-worked books: R01 R02 R04 R06 D01 D02 D03 (the remise and the virement are not ventilated)
        (HORS_PROJET, 7, HAND["charges"], HAND["produits"], HAND["resultat"]),
    ]
    jardin = etat.projets[0]
    assert [(line.rubrique.key, line.total) for line in jardin.charges] == [
        ("charges-activites", Decimal("30.00")), ("biens-durables", Decimal("369.90"))]
    crf = compute_crf(source(shop), EXERCICE)
    assert (etat.total_charges, etat.total_produits, etat.resultat) == (
        crf.total_charges, crf.total_produits, crf.resultat) == (Decimal("698.60"), Decimal("515.00"),
                                                                 Decimal("-183.60"))
    summary = summary_csv(etat).decode("utf-8-sig").splitlines()
    assert summary[0] == "Projet;Opérations;Charges;Produits;Résultat"
    assert summary[1] == "jardin;2;399,90;0,00;-399,90" and summary[-1] == "Total;10;698,60;515,00;-183,60"
    detail = detail_csv(etat).decode("utf-8-sig").splitlines()
    assert "jardin;Charge;Achats de biens durables;606;Biens durables (matériel inscrit à l'inventaire);369,90" in detail


def test_the_crf_annexes_read_back_from_the_pdf(shop):
    books = shop.books(AFTER_YEAR)
    actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, AFTER_YEAR)
    report = compute_crf(source(shop), EXERCICE)
    pdf = html_to_pdf(render_html("crf.html", crf=report, ad=report.ad, coop=report.coop, genere_le=report.genere_le))
    text = pdf_text(pdf)
    annex = text[text.index("Annexe – Cahier d'inventaire"):]
    assert "1 02/04/2026 Appareil photo numérique Classe de CM2 pièce D05 (606) 249,90 €" in annex
    assert "Biens présents au 31/08/2026 : 1 249,90 €" in annex
    assert "Achats de biens durables de l'exercice (compte de fonctionnement) 369,90 €" in annex
    assert "13/03/2026, pièce D04, Jeux Toulousains – Jeux de cour (120,00 €)" in annex
    actions_part = text[text.index("Annexe – État des actions"):]
    assert "jardin + kermesse 1 0,00 € 80,00 € 80,00 €" in actions_part
    assert "Hors projet 7 298,70 € 435,00 € 136,30 €" in actions_part
    assert "Total (égal au compte de fonctionnement) 698,60 € 515,00 € -183,60 €" in actions_part


def test_retkoop_inventaire_writes_the_pdf(shop, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from retkoop_tools.cli import main

    monkeypatch.setenv("RETKOOP_AUJOURDHUI", AFTER_YEAR.isoformat())
    actions.confirm(shop.store, UAI, shop.books(AFTER_YEAR), D05, good(), TEACHER, AFTER_YEAR)
    target = tmp_path / "cahier.pdf"
    result = CliRunner().invoke(main, ["inventaire", UAI, "2025-2026", "--repo", str(shop.root), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"Cahier d'inventaire 2025-2026 de {UAI} écrit dans {target} : 1 bien(s) présent(s) "
                                     "au 31/08/2026, 249,90\u00a0€ ; 1 achat(s) de biens durables à inscrire ou écarter.")
    text = pdf_text(target.read_bytes())
    assert "Cahier d'inventaire 2025-2026" in text and "Appareil photo numérique" in text
    missing = CliRunner().invoke(main, ["inventaire", UAI, "2019-2020", "--repo", str(shop.root)])
    assert missing.exit_code != 0 and "n'a pas d'exercice 2019-2020" in missing.output


def test_correct_cancel_a_disposal_remove_and_numbers_never_given_twice(shop):
    books = shop.books(TODAY)
    assert actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, TODAY).ok
    fixed = actions.edit(shop.store, UAI, "1", good(lieu="Bureau de la directrice", valeur="239,90"), TEACHER, TODAY)
    assert fixed.ok, fixed.errors
    bien = load_inventaire(shop.coop_dir).get(1)
    assert (bien.lieu, bien.valeur, bien.origine.piece) == ("Bureau de la directrice", Decimal("239.90"), "D05")
    assert actions.edit(shop.store, UAI, "7", good(), TEACHER, TODAY).errors["general"].startswith("Le bien n° 7")
    assert actions.dispose(shop.store, UAI, books, "1", {"date_sortie": "10/06/2026", "motif": "Volé"},
                           TEACHER, TODAY).ok
    late = actions.edit(shop.store, UAI, "1", good(date="11/06/2026"), TEACHER, TODAY)
    assert late.errors == {"date": "Le bien est sorti du cahier le 10/06/2026 : il n'a pas pu y entrer après."}
    assert actions.cancel_disposal(shop.store, UAI, books, "1", TEACHER).ok
    assert load_inventaire(shop.coop_dir).get(1).sortie is None
    # Removed (entered by mistake): its purchase is proposed again, its number is not given again.
    assert actions.remove(shop.store, UAI, "1", TEACHER).ok
    assert shop.log()[0] == "Mme Martin|Inventaire : bien n° 1 « Appareil photo numérique » retiré (inscrit par erreur)"
    assert [p.id for p in propositions(books, load_inventaire(shop.coop_dir), [EXERCICE])] == [D04, D05]
    assert actions.confirm(shop.store, UAI, books, D05, good(), TEACHER, TODAY).ok
    assert [b.numero for b in load_inventaire(shop.coop_dir).biens] == [2]
