"""Benchmark of `retkoop check --all` on a synthetic AD.

Builds (once, cached under bench/out/) a synthetic AD of N coops with about M operations per
exercice over two exercices (one closed and sealed, one open), then times:

  ours  `retkoop check --all` (the real command, one pool of worker processes)
  (a)   one `bean-check` process per coop: the obvious shell loop, one at a time, and the
        same with as many processes at once as we have workers
  (b)   bare `beancount.loader.load_file` of every coop's ledger, in a pool of the same
        number of worker processes (the floor: loading is what checking costs)

and prints the figures and the ratios. Usage:

    python bench/check.py [--coops 650] [--operations 400] [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

from beancount import loader  # noqa: E402
from built import built, mark  # noqa: E402  (bench/built.py)

from retkoop_tools.checks.runner import default_workers  # noqa: E402
from retkoop_tools.demo.generator import (  # noqa: E402
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def build_ad(coops: int, operations: int, jobs: int, exercices: int = 2) -> Path:
    """A synthetic AD (built once, kept under bench/out/): `coops` coops of `exercices`
    exercices of ~`operations` operations, all but the last closed as the product closes them
    (seal, report à nouveau, cloture-<exercice>.json)."""
    root = HERE / "out" / f"ad-{coops}x{operations}x{exercices}"
    if built(root):
        print(f"AD synthétique déjà construite : {root}")
        return root
    print(f"Construction de l'AD synthétique : {coops} coops × {exercices} exercices × ~{operations} "
          "opérations/exercice…")
    start, count = time.perf_counter(), 0

    def progress(_uai: str) -> None:
        nonlocal count
        count += 1
        if count % 50 == 0 or count == coops:
            print(f"  {count}/{coops} coops ({time.perf_counter() - start:.0f} s)", flush=True)

    if root.exists():
        import shutil

        shutil.rmtree(root)
    years = synthetic_exercices(exercices)
    generate_ad(root, synthetic_coops(coops), target_ops=operations, workers=jobs, on_coop=progress,
                exercices=years, closed=set(years[:-1]), closing=True)
    mark(root)
    return root


def coop_files(root: Path) -> list[str]:
    return sorted(str(p) for p in (root / "ledgers").glob("*/coop.beancount"))


def time_ours(root: Path, jobs: int, cache_dir: Path, full: bool = False) -> float:
    """`retkoop check --all` in a new process; `full`: every exercice loaded (the old path)."""
    env = dict(os.environ, RETKOOP_CACHE_DIR=str(cache_dir))
    if full:
        env[MODE_ENV] = FULL_MODE
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "retkoop"), "check", "--all", "--jobs", str(jobs), "--repo", str(root)],
        capture_output=True, text=True, env=env,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"retkoop check a échoué :\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return elapsed


def _bean_check(path: str) -> int:
    return subprocess.run([str(BIN / "bean-check"), path], capture_output=True).returncode


def time_bean_check(files: list[str], parallel: int) -> float:
    start = time.perf_counter()
    if parallel == 1:
        codes = [_bean_check(f) for f in files]
    else:
        with ThreadPoolExecutor(parallel) as pool:
            codes = list(pool.map(_bean_check, files))
    elapsed = time.perf_counter() - start
    if any(codes):  # avertissements of the rules are errors to bean-check: said, not fatal
        print(f"    (bean-check signale des erreurs ou avertissements sur {sum(1 for c in codes if c)} coop(s))")
    return elapsed


def _load(path: str) -> int:
    """The erreurs of a bare load (the rules' avertissements are not)."""
    from retkoop_tools.checks.regles import AVERTISSEMENT, level_of

    entries, errors, _ = loader.load_file(path)
    return sum(1 for e in errors if level_of(e) != AVERTISSEMENT)


def time_pool(function, files: list[str], jobs: int) -> tuple[float, list]:
    """Run `function` on every coop's file in a pool of `jobs` processes: (seconds, results)."""
    start = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(function, files, chunksize=max(1, len(files) // (jobs * 8))))
    return time.perf_counter() - start, results


def time_bare_load(files: list[str], jobs: int) -> float:
    elapsed, errors = time_pool(_load, files, jobs)
    if sum(errors):  # the same as retkoop check reports: timed all the same
        print(f"    (load_file trouve des erreurs dans {sum(1 for n in errors if n)} coop(s) de l'AD synthétique)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coops", type=int, default=650)
    parser.add_argument("--operations", type=int, default=430)
    parser.add_argument("--exercices", type=int, default=2, help="exercices par coop, tous clos sauf le dernier")
    parser.add_argument("--jobs", type=int, default=default_workers())
    parser.add_argument("--sans-bean-check", action="store_true", help="ne pas relancer la boucle de bean-check")
    parser.add_argument("--echantillon", type=int, default=1, metavar="N",
                        help="boucle de bean-check sur une coop sur N, durée extrapolée à toutes")
    args = parser.parse_args()

    root = build_ad(args.coops, args.operations, args.jobs, args.exercices)
    files = coop_files(root)
    ops = sum(p.read_text().count('\n  piece: "') for f in files for p in Path(f).parent.glob("20*.beancount"))
    print(f"{len(files)} coops de {args.exercices} exercices, {ops} opérations au total "
          f"({ops / len(files) / args.exercices:.0f} par coop et par exercice), {args.jobs} processus, "
          f"{os.cpu_count()} cœurs")
    for f in files:  # warm the page cache for everyone alike
        for p in Path(f).parent.glob("*.beancount"):
            p.read_bytes()

    import shutil

    cache_dir = HERE / "out" / "cache"
    if cache_dir.exists():
        shutil.rmtree(cache_dir)
    ours = time_ours(root, args.jobs, cache_dir)
    print(f"  retkoop check --all, à froid (aucun résultat en cache)     : {ours:7.1f} s")
    warm = time_ours(root, args.jobs, cache_dir)
    print(f"  retkoop check --all, rien de changé                      : {warm:7.1f} s")
    one = Path(files[0]).parent / "2025-2026.beancount"
    original = one.read_text(encoding="utf-8")
    one.write_text(original.replace("Petit matériel", "Petit matériel ", 1), encoding="utf-8")
    try:
        changed = time_ours(root, args.jobs, cache_dir)
    finally:
        one.write_text(original, encoding="utf-8")
    print(f"  retkoop check --all, 1 coop changée                      : {changed:7.1f} s")
    shutil.rmtree(cache_dir)
    full = time_ours(root, args.jobs, cache_dir, full=True)
    print(f"  (c) retkoop check --all à froid, chaque exercice chargé  : {full:7.1f} s")
    bare = time_bare_load(files, args.jobs)
    print(f"  (b) load_file de chaque coop, {args.jobs} processus             : {bare:7.1f} s")
    if args.sans_bean_check:
        return
    sample = files[::max(1, args.echantillon)]
    scale = len(files) / len(sample)
    said = "" if scale == 1 else f" (mesuré sur {len(sample)} coops, extrapolé)"
    seq = time_bean_check(sample, 1) * scale
    print(f"  (a) bean-check par coop, 1 à la fois                     : {seq:7.1f} s{said}")
    par = time_bean_check(sample, args.jobs) * scale
    print(f"  (a) bean-check par coop, {args.jobs} à la fois                     : {par:7.1f} s{said}")
    print()
    print(f"  à froid  vs (a) bean-check en boucle     : {seq / ours:6.1f}× plus rapide (cible ≥ 10×)")
    print(f"  à froid  vs (a) bean-check {args.jobs} à la fois   : {par / ours:6.1f}× plus rapide")
    print(f"  à froid  vs (c) tout chargé              : {full / ours:6.2f}× plus rapide")
    print(f"  à froid  / (b) chargement nu             : {ours / bare:6.2f}×")
    print(f"  1 coop changée vs (a) bean-check en boucle : {seq / changed:6.1f}× plus rapide")
    print(f"  rien de changé vs (a) bean-check en boucle : {seq / warm:6.1f}× plus rapide")
    print(f"  par coop : retkoop {1000 * ours / len(files):.0f} ms, bean-check {1000 * seq / len(files):.0f} ms")


if __name__ == "__main__":
    main()
