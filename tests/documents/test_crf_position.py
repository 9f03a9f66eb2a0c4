"""A provisional CRF says at which date its reconciliation and cash count hold; the mandataire
of the exercice is named, also years later."""

from __future__ import annotations

import datetime

from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.mandataires import mandataires_of, record_mandataire
from retkoop_tools.documents.render import render_html
from tests.documents.conftest import AFTER_YEAR, BOOKS, EXERCICE, source, write_books
from tests.gitrepo import ADMIN, make_ad_repo
from tests.tresorier.conftest import UAI, Repo

# The same books with the last statement on 31/07 and the cash counted on 30/06; August moves.
STALE = BOOKS.replace("2026-08-31 custom \"releve\" Actif:512-Banque 1156.50 EUR",
                      "2026-07-31 custom \"releve\" Actif:512-Banque 1156.50 EUR").replace(
    "releve: 2026-08-31", "releve: 2026-07-31").replace(
    "2026-08-31 custom \"arrete-caisse\" Actif:530-Caisse\n  b50: 1\n  b10: 1\n",
    "2026-06-30 custom \"arrete-caisse\" Actif:530-Caisse\n  b50: 1\n  b10: 1\n") + """
2026-08-12 * "Banque" "Frais d'août"
  piece: "D04"
  mode: "PRLV"
  Charges:627-Frais-bancaires   2.00 EUR
  Actif:512-Banque             -2.00 EUR

2026-08-14 * "Kermesse" "Vente de gâteaux"
  piece: "R07"
  mode: "ESP"
  Actif:530-Caisse                        12.00 EUR
  Produits:707-Ventes-pour-cession      -12.00 EUR
"""


def crf_html(crf) -> str:
    return render_html("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le)


def repo_with(books: str, tmp_path) -> Repo:
    root = tmp_path / "ad"
    repo = Repo(root, make_ad_repo(root))
    write_books(repo, books)
    return repo


def test_a_stale_statement_and_count_are_never_called_right_at_31_08(tmp_path):
    repo = repo_with(STALE, tmp_path)
    crf = compute_crf(source(repo), EXERCICE, AFTER_YEAR)
    bank = crf.rapprochements[0]
    assert bank.date_releve == datetime.date(2026, 7, 31) and not bank.a_la_fin
    assert [op.piece for op in bank.non_couvertes] == ["D04"]
    assert bank.solde_fin == bank.solde_comptable - 2  # the books at 31/08, not at 31/07
    assert not crf.caisse.a_la_fin and [op.piece for op in crf.caisse.mouvements_apres] == ["R07"]
    assert not crf.position_etablie
    html = crf_html(crf)
    assert "Rapprochement juste au 31/07/2026" in html
    assert "la position au 31/08/2026 n'est pas établie" in html and "Frais d&#39;août" in html
    assert "Caisse juste le 30/06/2026" in html and "Vente de gâteaux" in html
    assert "Rapprochement juste</span> :" not in html


def test_a_statement_and_count_at_31_08_establish_the_position(tmp_path):
    repo = repo_with(BOOKS, tmp_path)
    crf = compute_crf(source(repo), EXERCICE, AFTER_YEAR)
    assert crf.position_etablie and all(r.a_la_fin for r in crf.rapprochements)
    assert "n'est pas établie" not in crf_html(crf)


def test_the_aggregated_control_flags_a_position_not_established(tmp_path):
    from retkoop_tools.chart import load_chart
    from retkoop_tools.console.aggregate import aggregate
    from retkoop_tools.console.summary import summarize

    repo = repo_with(STALE, tmp_path)
    summary = summarize(repo.root, UAI)
    result = aggregate({UAI: summary}, load_chart(repo.root), {}, EXERCICE)
    control = next(c for c in result.controles if c.libelle.startswith("Banque des livres"))
    assert not control.ok and "position non établie au 31/08" in control.detail and UAI in control.detail


def test_the_crf_names_the_mandataire_of_its_exercice_also_later(tmp_path):
    repo = repo_with(BOOKS, tmp_path)
    record_mandataire(repo.store, UAI, "Mme Martin", ADMIN, datetime.date(2025, 9, 1))
    record_mandataire(repo.store, UAI, "M. Durand", ADMIN, datetime.date(2026, 9, 1))
    assert mandataires_of(repo.coop_dir, EXERCICE) == ["Mme Martin"]
    assert mandataires_of(repo.coop_dir, EXERCICE.next()) == ["M. Durand"]
    html = crf_html(compute_crf(source(repo), EXERCICE, AFTER_YEAR))
    assert "Mandataire : Mme Martin" in html and "<td>Mme Martin</td><td>Mandataire</td>" in html
    assert "Durand" not in html
    assert "Mandataire de la coopérative à partir du 01/09/2026 : M. Durand" in repo.log()[0]
