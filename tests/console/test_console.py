"""The AD console's library: summaries cached by content, status rows, comptes agrégés,
sample, national export — on a real git copy of the demo AD."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest

from retkoop_tools.ad import load_ad
from retkoop_tools.chart import load_chart
from retkoop_tools.cloture.actions import close_exercice
from retkoop_tools.console.aggregate import aggregate, aggregate_pdf, aggregate_xlsx
from retkoop_tools.console.collect import Summaries
from retkoop_tools.console.national import national_csv, national_parquet, national_rows
from retkoop_tools.console.sampling import SamplingError, draw
from retkoop_tools.console.status import status_csv, status_rows, status_xlsx
from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.source import load_source
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import Author, Store

REPO = Path(__file__).resolve().parents[2]
EX = Exercice(2024)  # 2024-2025: closed in the demo
AD_STAFF = Author("Comptable AD", "staff@ad91.test")


@pytest.fixture
def ad_root(tmp_path) -> Path:
    return prepare_demo_ad(REPO, tmp_path / "ad")


def test_refresh_loads_only_what_changed_and_a_new_process_reads_the_disk(ad_root, tmp_path):
    cache = tmp_path / "cache"
    summaries = Summaries(ad_root, cache_dir=cache, workers=2)
    first = summaries.refresh()
    assert (first.coops, first.computed, first.from_disk) == (5, 5, 0)
    again = summaries.refresh()
    assert (again.unchanged, again.computed) == (5, 0)

    before = summaries.get("0910002B")["soldes"]["banque"]
    coop = ad_root / "ledgers" / "0910002B" / "2025-2026.beancount"
    text = coop.read_text(encoding="utf-8")
    # One operation more in one coop, through the store (validated, committed).
    Store(ad_root).insert_entries("0910002B", '2026-03-02 * "Papeterie Dupont" "Cahiers"\n'
                                  '  piece: "D90"\n  mode: "VIR"\n'
                                  '  Charges:6063-Fournitures-activites  12.50 EUR\n'
                                  '  Actif:512-Banque  -12.50 EUR\n', AD_STAFF, "Cahiers", Exercice(2025))
    assert coop.read_text(encoding="utf-8") != text
    after = summaries.refresh()
    # The demo's closings keep no figures: the store's write, which loads the open exercice
    # alone, does not load the closed one again for a summary; the console computes it.
    assert (after.from_repo, after.computed, after.unchanged) == (0, 1, 4)
    assert Decimal(summaries.get("0910002B")["soldes"]["banque"]) == Decimal(before) - Decimal("12.50")

    fresh = Summaries(ad_root, cache_dir=cache)
    from_disk = fresh.refresh()
    assert (from_disk.from_disk, from_disk.computed) == (5, 0)
    assert fresh.all() == summaries.all()


def test_status_rows_follow_the_deadlines_of_ad_yaml(ad_root, tmp_path):
    summaries = Summaries(ad_root, cache_dir=tmp_path / "cache")
    summaries.refresh()
    config = load_ad(ad_root).config  # crf 09-30, adhesion 10-15
    early = {r.uai: r for r in status_rows(summaries.all(), config, datetime.date(2026, 9, 15))}
    late = {r.uai: r for r in status_rows(summaries.all(), config, datetime.date(2026, 11, 23))}
    row = late["0910001A"]
    assert str(row.exercice) == "2025-2026" and row.etat == "ouvert"
    assert "CRF 2025-2026 attendu le 30/09/2026" in row.retards
    assert "Adhésion 2026-2027 attendue le 15/10/2026" in row.retards
    assert row.niveau == "retard"
    assert not any("CRF" in r for r in early["0910001A"].retards)
    assert row.banque == Decimal(summaries.get("0910001A")["soldes"]["banque"]) == Decimal("7115.80")

    # Closed and submitted: no longer late for the CRF.
    store = Store(ad_root)
    result = close_exercice(store, "0910001A", Exercice(2025), AD_STAFF, force=True, today=datetime.date(2026, 9, 20))
    assert result.ok, result.errors
    summaries.refresh()
    row = {r.uai: r for r in status_rows(summaries.all(), config, datetime.date(2026, 11, 23))}["0910001A"]
    assert row.etat == "clos"
    assert "CRF 2025-2026 attendu le 30/09/2026" in row.retards  # closed but not submitted yet

    csv_text = status_csv(list(late.values())).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("UAI;École;Commune;Mandataire(s)")
    assert "0910001A;École élémentaire Jean Jaurès" in csv_text and "7115,80" in csv_text
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(status_xlsx(list(late.values())))).active
    assert sheet["A2"].value == "0910001A" and sheet["M2"].value == pytest.approx(7115.80)
    assert sheet.auto_filter.ref and sheet.freeze_panes == "A2"


def test_aggregated_accounts_are_the_sum_of_each_coops_crf(ad_root, tmp_path):
    summaries = Summaries(ad_root, cache_dir=tmp_path / "cache")
    summaries.refresh()
    ad = load_ad(ad_root)
    result = aggregate(summaries.all(), load_chart(ad_root), ad.config, EX)
    # The same figures, computed another way: each coop's CRF from its books.
    charges = produits = Decimal(0)
    by_line: dict[str, Decimal] = {}
    for uai in ad.uais():
        crf = compute_crf(load_source(ad_root, uai), EX)
        charges += crf.total_charges
        produits += crf.total_produits
        for ligne in crf.charges + crf.produits:
            by_line[ligne.rubrique.key] = by_line.get(ligne.rubrique.key, Decimal(0)) + ligne.total
    assert (result.total_charges, result.total_produits) == (charges, produits)
    assert result.resultat == produits - charges == Decimal("9953.23")
    assert {ligne.rubrique.key: ligne.total for ligne in result.charges + result.produits} == by_line
    subventions = result.ligne("subventions")
    assert sum(subventions.par_coop.values()) == subventions.total == by_line["subventions"]
    assert all(c.ok for c in result.controles), result.controles
    assert not result.provisoires and not result.absentes

    # 2025-2026 is open everywhere: every coop is listed as provisional, and the control says so.
    open_year = aggregate(summaries.all(), load_chart(ad_root), ad.config, Exercice(2025))
    assert len(open_year.provisoires) == 5
    assert not open_year.controles[-1].ok and "5 provisoire(s)" in open_year.controles[-1].detail

    from openpyxl import load_workbook
    from pypdf import PdfReader

    book = load_workbook(io.BytesIO(aggregate_xlsx(result)))
    assert book.sheetnames[:3] == ["Comptes agrégés 2024-2025", "Par coopérative", "Contrôles"]
    detail = book["Par coopérative"]
    assert detail.max_row == 1 + 5 + 1  # header, coops, totals
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(aggregate_pdf(result))).pages)
    assert "Comptes agrégés 2024-2025" in text and "9 953,23" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_wrong_coop_is_caught_by_the_controls(ad_root, tmp_path):
    summaries = Summaries(ad_root, cache_dir=tmp_path / "cache")
    summaries.refresh()
    data = summaries.all()
    crf = data["0910003C"]["exercices"][str(EX)]["crf"]
    crf["equilibre"] = False
    crf["ecart_rapprochement"] = "12.00"
    crf["charges"] = str(Decimal(crf["charges"]) + 1)
    result = aggregate(data, load_chart(ad_root), load_ad(ad_root).config, EX)
    failed = {c.libelle: c.detail for c in result.controles if not c.ok}
    assert any("0910003C" in d for d in failed.values())
    assert len(failed) >= 3


def _fake(n: int) -> dict[str, dict]:
    return {f"{i:07d}X": {"nom": f"École {i}", "commune": "", "exercices": {
        "2025-2026": {"operations": (i * 37) % 500, "crf": {"produits": "100"}}}} for i in range(n)}


def test_sample_is_reproducible_stratified_and_at_least_ten_percent():
    coops = _fake(650)
    one = draw(coops, Exercice(2025), "481516")
    assert len(one.tirages) >= 65
    assert {t.strate for t in one.tirages} == {"petites", "moyennes", "grandes"}
    assert sum(one.population.values()) == 650
    assert [t.uai for t in draw(coops, Exercice(2025), "481516").tirages] == [t.uai for t in one.tirages]
    assert [t.uai for t in draw(coops, Exercice(2025), "2342").tirages] != [t.uai for t in one.tirages]
    small = [t.operations for t in one.tirages if t.strate == "petites"]
    large = [t.operations for t in one.tirages if t.strate == "grandes"]
    assert max(small) <= min(large)
    with pytest.raises(SamplingError):
        draw(coops, Exercice(2025), "")


def test_national_export_reads_back(ad_root, tmp_path):
    import pyarrow.parquet as pq

    summaries = Summaries(ad_root, cache_dir=tmp_path / "cache")
    summaries.refresh()
    chart = load_chart(ad_root)
    rows = national_rows(summaries.all(), chart, "91", EX)
    lines = [r for r in chart.rubriques.values() if r.sens in ("charge", "produit")]
    assert len(rows) == 5 * len(lines)
    table = pq.read_table(io.BytesIO(national_parquet(rows)))
    assert table.num_rows == len(rows)
    assert str(table.schema.field("montant").type) == "decimal128(14, 2)"
    produits = sum(v for v, s in zip(table.column("montant").to_pylist(), table.column("sens").to_pylist())
                   if s == "produit")
    result = aggregate(summaries.all(), chart, {}, EX)
    assert produits == result.total_produits
    csv_text = national_csv(rows).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "ad;uai;ecole;commune;exercice;etat;definitif;sens;ligne;libelle;montant;membres"


def test_sample_by_risk_is_reproducible_and_favours_the_risky_coops():
    coops = _fake(200)
    risky = {uai for i, uai in enumerate(sorted(coops)) if i % 10 == 0}  # 20 coops with errors, a CRF late
    for uai in risky:
        coops[uai]["nb_erreurs"] = 6
        coops[uai]["exercices"]["2025-2026"].update(fichier=True, dossier="verrouille", remis_le="2026-12-29")
    config = {"echeances": {"crf": "09-30"}}
    day = datetime.date(2027, 1, 10)
    one = draw(coops, Exercice(2025), "1789", 0.10, "risque", config, day)
    assert len(one.tirages) == 20 and one.critere == "risque" and one.date == day
    assert [t.uai for t in draw(coops, Exercice(2025), "1789", 0.10, "risque", config, day).tirages] == [
        t.uai for t in one.tirages]
    assert next(t for t in one.tirages if t.uai in risky).motifs == "6 erreur(s), CRF 90 j de retard"
    # Over many seeds, a risky coop (weight 1 + 4 + 2 + size) is drawn far more often than the others.
    drawn = [t.uai for seed in range(40) for t in draw(coops, Exercice(2025), str(seed), 0.10, "risque", config,
                                                         day).tirages]
    share = sum(1 for uai in drawn if uai in risky) / len(drawn)
    assert share > 0.3  # 10 % of the coops, three times as many of the draws
    # Weighing only the size, the risky ones are back to their share.
    size_only = {"echantillon": {"poids": {"erreurs": 0, "avertissements": 0, "retard": 0, "taille": 1}}, **config}
    drawn = [t.uai for seed in range(40) for t in draw(coops, Exercice(2025), str(seed), 0.10, "risque", size_only,
                                                         day).tirages]
    assert sum(1 for uai in drawn if uai in risky) / len(drawn) < 0.2
    with pytest.raises(SamplingError, match="poids « retard »"):
        draw(coops, Exercice(2025), "1", 0.10, "risque", {"echantillon": {"poids": {"retard": -1}}}, day)
    with pytest.raises(SamplingError, match="Critère"):
        draw(coops, Exercice(2025), "1", 0.10, "hasard")
