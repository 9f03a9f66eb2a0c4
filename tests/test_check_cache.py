"""Check results are kept by content: unchanged coops are not loaded again, changes are seen."""

from __future__ import annotations

from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.runner import check_many
from tests.conftest import OPENING, UAI


def test_unchanged_coop_comes_from_the_cache(coop, tmp_path):
    coop.add(OPENING)
    cache = ResultCache(coop.root, tmp_path / "cache")
    assert [r.errors for r in check_many(coop.root, [UAI], cache=cache)] == [[]]
    # Tamper with the stored result: a second check must return it without loading.
    key = cache.key(UAI)
    stored = cache.get(key)
    stored["errors"] = [{"uai": UAI, "file": "x", "line": 1, "message": "depuis le cache"}]
    cache.put(key, stored)
    again = check_many(coop.root, [UAI], cache=ResultCache(coop.root, tmp_path / "cache"))
    assert [e.message for e in again[0].errors] == ["depuis le cache"]


def test_a_changed_file_is_checked_again(coop, tmp_path):
    coop.add(OPENING)
    cache = ResultCache(coop.root, tmp_path / "cache")
    assert check_many(coop.root, [UAI], cache=cache)[0].errors == []
    coop.add('2025-10-01 * "Famille" "Don"\n  mode: "ESP"\n  Actif:530-Caisse  5.00 EUR\n  Produits:771-Dons  -5.00 EUR')
    result = check_many(coop.root, [UAI], cache=ResultCache(coop.root, tmp_path / "cache"))[0]
    assert [e.message[:16] for e in result.errors] == ["Pièce manquante "]


def test_a_new_document_or_chart_change_invalidates(coop, tmp_path):
    cache = ResultCache(coop.root, tmp_path / "cache")
    key = cache.key(UAI)
    (coop.dir / "documents" / "releve.pdf").write_bytes(b"%PDF")
    assert cache.key(UAI) != key
    (coop.root / "plan-comptable.yaml").write_text("comptes: []\n")
    assert ResultCache(coop.root, tmp_path / "cache").key(UAI) != cache.key(UAI)
