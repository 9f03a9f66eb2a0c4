"""Benchmark of the store on a 650-coop AD repository.

Builds (once, cached under bench/out/) a git repository of N synthetic coops, then measures:

  - one write + commit through the store (validation with the OCCE rules in a staged copy,
    atomic write, commit limited to the coop): p50 / p95, first write on a coop (its "before"
    check not cached yet) and following ones;
  - the obvious alternative: write the file, `bean-check` it, `git add`, `git commit`, each a
    new process;
  - the pre-commit hook for a commit touching one coop (`git commit` with the hook, wall time;
    target under 1 s).

Usage:  python bench/commit.py [--coops 650] [--operations 400] [--writes 40]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import build_ad  # noqa: E402

from retkoop_tools.ledger.exercice import Exercice  # noqa: E402
from retkoop_tools.ledger.layout import insert_position  # noqa: E402
from retkoop_tools.store.init import init_ad_repo  # noqa: E402
from retkoop_tools.store.store import Author, Store  # noqa: E402
from built import built, mark  # noqa: E402  (bench/built.py)

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
EX = Exercice(2025)
WHO = Author("Banc d'essai", "bench@example.org")


def build_repo(coops: int, operations: int) -> Path:
    """A git repository of `coops` synthetic coops (2 exercices, the first closed as the product
    closes it): the books of bench/check.py's AD of the same shape, built when missing."""
    root = HERE / "out" / f"repo-{coops}x{operations}x2"
    if built(root):
        print(f"Dépôt déjà construit : {root}")
        return root
    if root.exists():
        shutil.rmtree(root)
    print(f"Construction du dépôt : {coops} coops × ~{operations} opérations/exercice…", flush=True)
    start = time.perf_counter()
    source = build_ad(coops, operations, os.cpu_count() or 1, 2)
    init_ad_repo(root, "99", "AD synthétique", WHO)
    ad_yaml = (root / "ad.yaml").read_text()
    shutil.copy(source / "ad.yaml", root / "ad.yaml")
    for coop in sorted((source / "ledgers").iterdir()):
        shutil.copytree(coop, root / "ledgers" / coop.name)
    (root / "ad.yaml").write_text(ad_yaml)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "Livres synthétiques"], cwd=root, check=True, env=ENV)
    (root / ".git" / "info" / "exclude").write_text(".complete\n")
    mark(root)
    print(f"  fait en {time.perf_counter() - start:.0f} s", flush=True)
    return root


def entry(n: int) -> str:
    return (f'2026-08-{1 + n % 28:02d} * "Famille Banc {n}" "Don"\n  piece: "BENCH{n:04d}"\n  mode: "VIR"\n'
            f"  Actif:512-Banque     {5 + n % 40}.00 EUR\n  Produits:771-Dons   -{5 + n % 40}.00 EUR\n")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_store(root: Path, uais: list[str], writes: int, cache_dir: Path) -> tuple[list[float], list[float]]:
    os.environ["RETKOOP_CACHE_DIR"] = str(cache_dir)
    store = Store(root)
    first, next_ = [], []
    rng = random.Random(1)
    chosen = rng.sample(uais, writes // 2)
    for i, uai in enumerate(chosen * 2):
        start = time.perf_counter()
        assert store.insert_entries(uai, entry(i), WHO, f"Saisie BENCH{i:04d}", EX)
        (first if i < len(chosen) else next_).append(time.perf_counter() - start)
    return first, next_


def bench_naive(root: Path, uais: list[str], writes: int) -> list[float]:
    times = []
    for i, uai in enumerate(random.Random(2).sample(uais, writes)):
        path = root / "ledgers" / uai / EX.filename
        start = time.perf_counter()
        text = path.read_text()
        at = insert_position(text)
        path.write_text(text[:at] + entry(1000 + i) + "\n" + text[at:])
        subprocess.run([str(BIN / "bean-check"), str(root / "ledgers" / uai / "coop.beancount")], check=True,
                       capture_output=True)
        subprocess.run(["git", "add", "-A", "--", f"ledgers/{uai}"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-q", "--no-verify", "-m", "naïf", "--", f"ledgers/{uai}"], cwd=root,
                       check=True, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def bench_pre_commit(root: Path, uais: list[str], runs: int) -> list[float]:
    times = []
    for i, uai in enumerate(uais[:runs]):
        path = root / "ledgers" / uai / EX.filename
        text = path.read_text()
        at = insert_position(text)
        path.write_text(text[:at] + entry(2000 + i) + "\n" + text[at:])
        subprocess.run(["git", "add", "--", str(path)], cwd=root, check=True)
        start = time.perf_counter()
        subprocess.run(["git", "commit", "-q", "-m", "avec crochet"], cwd=root, check=True, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coops", type=int, default=650)
    parser.add_argument("--operations", type=int, default=430)
    parser.add_argument("--writes", type=int, default=40)
    args = parser.parse_args()

    base = build_repo(args.coops, args.operations)
    with tempfile.TemporaryDirectory(prefix="retkoop-bench-") as tmp:
        root = Path(tmp) / "repo"
        print("Copie de travail du dépôt…", flush=True)
        subprocess.run(["git", "clone", "-q", str(base), str(root)], check=True)
        subprocess.run(["git", "config", "core.hooksPath", "hooks"], cwd=root, check=True)
        uais = sorted(p.name for p in (root / "ledgers").iterdir() if p.is_dir())
        files = int(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.count("\n"))
        print(f"{len(uais)} coops, {files} fichiers suivis par git")

        first, following = bench_store(root, uais, args.writes, Path(tmp) / "cache")
        print(f"  store, 1re écriture sur une coop  : p50 {1000 * pct(first, 50):4.0f} ms   p95 {1000 * pct(first, 95):4.0f} ms")
        print(f"  store, écritures suivantes        : p50 {1000 * pct(following, 50):4.0f} ms   p95 {1000 * pct(following, 95):4.0f} ms")
        every = first + following
        print(f"  store, toutes                     : p50 {1000 * pct(every, 50):4.0f} ms   p95 {1000 * pct(every, 95):4.0f} ms")
        naive = bench_naive(root, uais, max(10, args.writes // 4))
        print(f"  naïf (écrire, bean-check, git add, git commit) : p50 {1000 * pct(naive, 50):4.0f} ms   "
              f"p95 {1000 * pct(naive, 95):4.0f} ms (sans validation avant écriture ni verrou)")
        print(f"  store / naïf (p50)                : {statistics.median(every) / statistics.median(naive):.2f}×")
        hook = bench_pre_commit(root, uais, 10)
        print(f"  git commit avec le crochet pre-commit (1 coop) : p50 {1000 * pct(hook, 50):4.0f} ms   "
              f"p95 {1000 * pct(hook, 95):4.0f} ms (cible < 1 s)")


if __name__ == "__main__":
    main()
