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


def test_the_cache_stays_under_its_size_removing_what_was_used_longest_ago(coop, tmp_path, monkeypatch):
    import os

    from retkoop_tools.checks import cache as cache_module

    monkeypatch.setenv(cache_module.MAX_SIZE_ENV, "1")  # 1 Mo
    cache = ResultCache(coop.root, tmp_path / "cache")
    filler = "x" * 20_000
    keys = [f"{n:02x}" + "0" * 62 for n in range(80)]  # 80 × 20 ko = 1,6 Mo
    for n, key in enumerate(keys):
        cache.put(key, {"n": n, "filler": filler})
        os.utime(cache._path(key), (1_000_000 + n, 1_000_000 + n))  # written in this order
    # The oldest is read again: used now, it is kept.
    assert cache.get(keys[0])["n"] == 0
    # The first put looked at the size (nothing to do then); the next look is due later.
    assert len(list((tmp_path / "cache").glob("*/*.json"))) == 80
    os.utime(tmp_path / "cache" / cache_module.PRUNE_MARKER, (0, 0))
    cache.put("ff" + "1" * 62, {"n": "dernier"})
    kept = {p.stem for p in (tmp_path / "cache").glob("*/*.json")}
    size = sum(p.stat().st_size for p in (tmp_path / "cache").glob("*/*.json"))
    assert size <= 0.8 * 1024 * 1024
    assert keys[0] in kept and "ff" + "1" * 62 in kept  # read or written last
    assert keys[1] not in kept and keys[2] not in kept  # the oldest went first
    assert keys[-1] in kept
    # A result removed is only computed again.
    assert cache.get(keys[1]) is None
