"""The CRF: figures against a coop worked out by hand, then the PDF read back."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pypdf

from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.render import html_to_pdf, render_html
from tests.documents.conftest import EXERCICE, HAND, source


def squeeze(text: str) -> str:
    """Text without any white space: PDF extraction breaks lines inside table cells."""
    return re.sub(r"\s+", "", text)


def _line(lines, key):
    return next(line for line in lines if line.rubrique.key == key)


def test_figures_match_the_hand_computed_books(hand):
    crf = compute_crf(source(hand), EXERCICE)
    assert not crf.errors
    assert crf.total_charges == HAND["charges"]
    assert crf.total_produits == HAND["produits"]
    assert crf.resultat == HAND["resultat"]
    assert _line(crf.charges, "charges-activites").total == HAND["charges-activites"]
    assert _line(crf.charges, "charges-gestion").total == HAND["charges-gestion"]
    assert _line(crf.produits, "participation-familles").total == HAND["participation-familles"]
    assert _line(crf.produits, "subventions").total == HAND["subventions"]
    assert _line(crf.produits, "produits-activites").total == HAND["produits-activites"]
    actif = {p.libelle: p.montant for p in crf.actif}
    assert actif["Banque – compte courant"] == HAND["banque"]
    assert actif["Caisse"] == HAND["caisse"]
    assert actif["Chèques à encaisser (reçus, pas encore remis)"] == HAND["cheques"]
    assert crf.total_actif == HAND["actif"]
    assert crf.report_a_nouveau == HAND["report"]
    assert crf.total_passif == HAND["actif"] and crf.equilibre


def test_bank_reconciliation_lists_the_cheque_not_yet_debited(hand):
    (rapprochement,) = compute_crf(source(hand), EXERCICE).rapprochements
    assert rapprochement.solde_releve == HAND["releve"]
    assert [op.piece for op in rapprochement.non_pointees] == ["D03"]
    assert rapprochement.total_non_pointees == HAND["non_pointe"]
    assert rapprochement.solde_rapproche == HAND["banque"] == rapprochement.solde_comptable
    assert rapprochement.ecart == 0


def test_cash_count_and_subsidies(hand):
    crf = compute_crf(source(hand), EXERCICE)
    assert crf.caisse.total == HAND["caisse"] and crf.caisse.ecart == 0
    assert [(line.libelle, line.nombre) for line in crf.caisse.lignes] == [
        ("Billet de 50 €", 1), ("Billet de 10 €", 1)]
    (subvention,) = crf.subventions
    assert (subvention.financeur, subvention.montant, subvention.compte.code) == (
        "Mairie d'Évry", Decimal("300.00"), "744")


def test_pdf_reads_back_with_every_part(hand):
    crf = compute_crf(source(hand), EXERCICE)
    pdf = html_to_pdf(render_html("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Compte rendu financier 2025-2026", "École 0910001A", "UAI 0910001A",
                     "OCCE de l'Essonne", "Total des charges", "298,70", "435,00", "136,30",
                     "Bilan équilibré", "1 186,30", "1 156,50", "chèque n° 0000102", "-45,20",
                     "Rapprochement juste", "Caisse juste", "Mairie d'Évry", "Quitus",
                     f"Page 1 sur {len(reader.pages)}"):
        assert squeeze(expected) in squeeze(text), expected
