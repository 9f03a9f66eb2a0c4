"""The console's summaries committed beside the books (`resume-console.json`): written by the
store with each write, read by a new installation of the console instead of loading the
books, ignored once stale, written for all by `retkoop ad resumes`, and guarded by the hooks
(a forged summary is refused by pre-receive) and the write policy (no web write reaches it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retkoop_tools.console import collect
from retkoop_tools.console.collect import Summaries
from retkoop_tools.console.committed import SUMMARY_FILENAME, summary_cache
from retkoop_tools.console.summary import summarize
from retkoop_tools.history.log import coop_history
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import Store, WritePolicyError
from tests.gitrepo import ADMIN, TEACHER, env_with_retkoop, make_ad_repo, run_git, sale

REPO = Path(__file__).resolve().parents[2]
UAIS = ("0910001A", "0910002B")


@pytest.fixture
def ad(tmp_path, monkeypatch) -> tuple[Path, Store]:
    monkeypatch.setenv("RETKOOP_CACHE_DIR", str(tmp_path / "cache-du-serveur"))
    root = tmp_path / "ad"
    store = make_ad_repo(root, UAIS)
    return root, store


def _kept(root: Path, uai: str) -> dict:
    return json.loads((root / "ledgers" / uai / SUMMARY_FILENAME).read_text(encoding="utf-8"))


def _no_load(*_args, **_kwargs):
    raise AssertionError("la console a chargé des livres")


def test_each_write_commits_the_summary_of_the_books_it_leaves(ad, tmp_path, monkeypatch):
    root, store = ad
    commit = store.insert_entries(UAIS[0], sale(1, "12.00"), TEACHER, "Vente", Exercice(2025))
    files = run_git(root, "show", "--name-only", "--format=", commit).stdout.split()
    assert f"ledgers/{UAIS[0]}/{SUMMARY_FILENAME}" in files  # in the same commit as the books
    assert not run_git(root, "status", "--porcelain").stdout.strip()
    kept = _kept(root, UAIS[0])
    # What a console computing from scratch (another cache, another process's view) finds.
    monkeypatch.setenv("RETKOOP_CACHE_DIR", str(tmp_path / "autre-cache"))
    assert kept["resume"] == json.loads(json.dumps(summarize(root, UAIS[0])))
    assert kept["cle"] == summary_cache(root, tmp_path / "autre-cache" / "console").key(UAIS[0])
    assert kept["resume"]["soldes"]["caisse"] == "62.00"
    # The history shows the sale, not the summary as a document.
    changes = [c.description for entry in coop_history(root, UAIS[0]) for c in entry.changes]
    assert not any(SUMMARY_FILENAME in label for label in changes), changes


def test_a_new_installation_reads_the_committed_summaries_without_loading(ad, tmp_path, monkeypatch):
    root, store = ad
    store.insert_entries(UAIS[1], sale(2), TEACHER, "Vente", Exercice(2025))
    expected = Summaries(root, cache_dir=tmp_path / "c1", workers=1)
    expected.refresh()
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", str(root), str(clone))
    monkeypatch.setattr(collect, "summarize", _no_load)
    fresh = Summaries(clone, cache_dir=tmp_path / "c2", workers=1)
    stats = fresh.refresh()
    assert (stats.from_repo, stats.computed) == (2, 0)
    assert fresh.all() == expected.all()


def test_a_stale_or_forged_committed_summary_is_not_shown(ad, tmp_path):
    root, store = ad
    store.insert_entries(UAIS[0], sale(3, "20.00"), TEACHER, "Vente", Exercice(2025))
    # A hand edit committed with git: the summary now describes other files.
    path = root / "ledgers" / UAIS[0] / "2025-2026.beancount"
    text = path.read_text(encoding="utf-8").replace('"Famille 3"', '"Famille Trois"')
    path.write_text(text, encoding="utf-8")
    run_git(root, "commit", "-qam", "Libellé corrigé à la main", "--no-verify")
    # The other coop's summary is forged in the working tree with its right key.
    forged = _kept(root, UAIS[1])
    forged["resume"]["version"] = -1
    (root / "ledgers" / UAIS[1] / SUMMARY_FILENAME).write_text(json.dumps(forged), encoding="utf-8")
    summaries = Summaries(root, cache_dir=tmp_path / "vide", workers=1)
    stats = summaries.refresh()
    assert (stats.from_repo, stats.computed) == (0, 2)
    assert summaries.get(UAIS[0])["soldes"]["caisse"] == "70.00"


def test_retkoop_ad_resumes_writes_the_missing_ones_in_one_commit(ad, tmp_path):
    root, _store = ad
    for uai in UAIS:
        (root / "ledgers" / uai / SUMMARY_FILENAME).unlink()
    run_git(root, "commit", "-qam", "Résumés retirés", "--no-verify")
    head = run_git(root, "rev-parse", "HEAD").stdout.strip()
    cmd = [sys.executable, "-m", "retkoop_tools", "ad", "resumes", "--repo", str(root),
           "--auteur", "Compta AD <compta@ad91.fr>"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env_with_retkoop())
    assert proc.returncode == 0, proc.stderr
    assert "2 résumé(s) écrit(s) sur 2 coopératives" in proc.stdout
    assert run_git(root, "rev-list", "--count", f"{head}..HEAD").stdout.strip() == "1"
    assert run_git(root, "log", "-1", "--format=%an").stdout.strip() == "Compta AD"
    assert not run_git(root, "status", "--porcelain").stdout.strip()
    again = subprocess.run(cmd, capture_output=True, text=True, env=env_with_retkoop())
    assert "déjà à jour" in again.stdout, again.stdout + again.stderr


def test_no_write_from_the_web_reaches_the_summary(ad):
    root, store = ad
    before = (root / "ledgers" / UAIS[0] / SUMMARY_FILENAME).read_bytes()
    with pytest.raises(WritePolicyError) as refused:
        store.write(UAIS[0], {SUMMARY_FILENAME: '{"cle": "x", "resume": {}}'}, TEACHER, "Résumé retouché")
    assert SUMMARY_FILENAME in str(refused.value)
    assert (root / "ledgers" / UAIS[0] / SUMMARY_FILENAME).read_bytes() == before


@pytest.fixture
def central(ad, tmp_path) -> tuple[Path, Path]:
    """A central repository guarded by pre-receive, and a clone of it."""
    root, _store = ad
    bare = tmp_path / "central.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(root), str(bare))
    shutil.copy(REPO / "hooks" / "pre-receive", bare / "hooks" / "pre-receive")
    clone = tmp_path / "poste"
    run_git(tmp_path, "clone", "-q", str(bare), str(clone))
    return bare, clone


def test_a_push_forging_a_summary_is_refused_and_the_stores_pass(central):
    _bare, clone = central
    path = clone / "ledgers" / UAIS[0] / SUMMARY_FILENAME
    kept = json.loads(path.read_text(encoding="utf-8"))
    kept["resume"]["nb_erreurs"] = 0
    kept["resume"]["soldes"]["banque"] = "99999.00"
    path.write_text(json.dumps(kept, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    run_git(clone, "commit", "-qam", "Solde retouché", "--no-verify")
    proc = run_git(clone, "push", "origin", "HEAD:main", check=False)
    assert proc.returncode != 0
    assert f"{SUMMARY_FILENAME} ne correspond pas aux livres" in proc.stderr
    run_git(clone, "reset", "-q", "--hard", "origin/main")
    # A write by the store on the AD's own machine: books and summary together, accepted.
    Store(clone).insert_entries(UAIS[0], sale(4), ADMIN, "Vente", Exercice(2025))
    proc = run_git(clone, "push", "origin", "HEAD:main", check=False)
    assert proc.returncode == 0, proc.stderr
    # Removing a summary is fine: the console computes it.
    run_git(clone, "rm", "-q", f"ledgers/{UAIS[1]}/{SUMMARY_FILENAME}")
    run_git(clone, "commit", "-qm", "Résumé retiré", "--no-verify")
    proc = run_git(clone, "push", "origin", "HEAD:main", check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_write_on_a_coop_of_three_exercices_commits_its_summary_from_its_one_load(tmp_path, monkeypatch):
    from retkoop_tools.demo.generator import DEMO_AD, generate_ad, synthetic_coops, synthetic_exercices
    from retkoop_tools.ledger import standalone
    from retkoop_tools.ledger.layout import insert_position
    from retkoop_tools.store.init import init_ad_repo

    monkeypatch.setenv("RETKOOP_CACHE_DIR", str(tmp_path / "cache-du-serveur"))
    root = tmp_path / "ad"
    init_ad_repo(root, "91", "OCCE de l'Essonne", ADMIN)
    ad_yaml = (root / "ad.yaml").read_text()
    years = synthetic_exercices(3)
    coop = synthetic_coops(1)[0]
    generate_ad(root, [coop], dict(DEMO_AD), exercices=years, closed=set(years[:-1]), target_ops=40, closing=True)
    (root / "ad.yaml").write_text(ad_yaml)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "Livres de trois exercices", "--no-verify")
    last = sorted((root / "ledgers" / coop.uai).glob("20*.beancount"))[-1]
    text = last.read_text()
    at = insert_position(text)
    entry = ('2026-08-20 * "Famille Test" "Don"\n  piece: "R900"\n  mode: "VIR"\n'
             "  Actif:512-Banque  5.00 EUR\n  Produits:771-Dons  -5.00 EUR\n\n")
    store = Store(root)
    store.write(coop.uai, {last.name: text[:at] + entry + text[at:]}, TEACHER, "Don")
    loads = []
    finish = standalone._finish
    monkeypatch.setattr(standalone, "_finish", lambda *a, **kw: loads.append(1) or finish(*a, **kw))
    text = last.read_text()
    store.write(coop.uai, {last.name: text[:at] + entry.replace("R900", "R901") + text[at:]}, TEACHER, "Don")
    assert len(loads) == 1  # the rules' load of the open exercice, alone; nothing else
    kept = _kept(root, coop.uai)
    assert set(kept["resume"]["exercices"]) == {str(y) for y in years}
    monkeypatch.setattr(standalone, "_finish", finish)
    monkeypatch.setenv("RETKOOP_CACHE_DIR", str(tmp_path / "autre-cache"))
    standalone.forget()
    assert kept["resume"] == json.loads(json.dumps(summarize(root, coop.uai)))
    fresh = Summaries(root, cache_dir=tmp_path / "neuf", workers=1)
    assert fresh.refresh().from_repo == 1
