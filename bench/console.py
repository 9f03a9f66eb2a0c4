"""Benchmark of the AD console's dashboard on a synthetic AD (the one of bench/check.py).

Times, on the same AD:

  first      the dashboard's first computation, nothing cached (every coop loaded with its
             rules, in a pool of worker processes), then the status rows: what a new version of
             the code (rules or summaries changed) costs once;
  installed  the same on a copy of the AD whose coops carry the summaries the store commits
             beside the books (`resume-console.json`): a new installation, a fresh clone;
  restart    a new process with the summaries cached on disk (a portal restart);
  unchanged  a refresh when nothing changed (the dashboard page, most of the time);
  one coop   a refresh after one coop's file changed: only that coop is loaded again;
  obvious    the obvious alternative: one `retkoop crf` / `bean-check`-like process per coop
             (measured on a few coops, extrapolated), and a plain load of every ledger in the
             same pool (the floor of the first computation).

Usage: python bench/console.py [--coops 650] [--operations 400] [--jobs 2]
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import build_ad, coop_files, time_bare_load, time_pool  # noqa: E402

from retkoop_tools.ad import load_ad  # noqa: E402
from retkoop_tools.checks.runner import default_workers  # noqa: E402
from retkoop_tools.console.collect import Summaries  # noqa: E402
from retkoop_tools.console.committed import render, write_summary  # noqa: E402
from retkoop_tools.console.status import status_rows  # noqa: E402
from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV  # noqa: E402

BIN = Path(sys.executable).parent


def _load_without_rules(path: str) -> int:
    """Beancount's own load of the coop (parse, booking, validation), without our plugins."""
    from beancount import loader

    main = Path(path)
    text = "".join(line for line in main.read_text(encoding="utf-8").splitlines(keepends=True)
                   if not line.startswith("plugin "))
    bare = main.with_name(".sans-regles.beancount")  # beside it: the includes are relative
    bare.write_text(text, encoding="utf-8")
    try:
        entries, _errors, _ = loader.load_file(str(bare))
    finally:
        bare.unlink()
    return len(entries)


def _open_year_without_rules(path: str) -> int:
    """Beancount's own load of the open exercice alone (its file and the accounts), without
    our plugins nor the à-nouveaux: the floor of any design that loads the open year."""
    from beancount import loader

    main = Path(path)
    last = sorted(main.parent.glob("20*.beancount"))[-1].name
    text = "".join(line for line in main.read_text(encoding="utf-8").splitlines(keepends=True)
                   if not line.startswith("plugin ")
                   and (not line.startswith("include ") or last in line or "comptes" in line))
    bare = main.with_name(".ouvert-sans-regles.beancount")
    bare.write_text(text, encoding="utf-8")
    try:
        entries, _errors, _ = loader.load_file(str(bare))
    finally:
        bare.unlink()
    return len(entries)


def _parse_open_only(path: str) -> int:
    """Beancount's parser alone, on the open exercice's file."""
    from beancount.parser import parser

    return len(parser.parse_file(str(sorted(Path(path).parent.glob("20*.beancount"))[-1]))[0])


def _parse_only(path: str) -> int:
    """Beancount's parser alone, on each file of the coop."""
    from beancount.parser import parser

    return sum(len(parser.parse_file(str(p))[0]) for p in sorted(Path(path).parent.glob("*.beancount")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coops", type=int, default=650)
    parser.add_argument("--operations", type=int, default=430)
    parser.add_argument("--exercices", type=int, default=2, help="exercices par coop, tous clos sauf le dernier")
    parser.add_argument("--jobs", type=int, default=default_workers())
    parser.add_argument("--sans-complet", action="store_true",
                        help="ne pas mesurer (c), la construction qui charge chaque exercice (minutes à 10 exercices)")
    args = parser.parse_args()
    root = build_ad(args.coops, args.operations, args.jobs, args.exercices)
    files = coop_files(root)
    for f in files:  # warm the page cache for everyone alike
        for p in Path(f).parent.glob("*.beancount"):
            p.read_bytes()
    config = load_ad(root).config
    today = datetime.date(2026, 11, 23)
    cache = Path(tempfile.mkdtemp(prefix="retkoop-console-bench-"))
    os.environ["RETKOOP_CACHE_DIR"] = str(cache / "verifications")  # nothing computed before this run
    print(f"{len(files)} coops de {args.exercices} exercices, {args.operations} opérations par exercice visées, "
          f"{args.jobs} processus, {os.cpu_count()} cœurs")
    try:
        summaries = Summaries(root, cache_dir=cache, workers=args.jobs)
        start = time.perf_counter()
        stats = summaries.refresh()
        rows = status_rows(summaries.all(), config, today)
        first = time.perf_counter() - start
        print(f"  première construction (rien en cache) : {first:7.2f} s  ({stats.computed} coops chargées, "
              f"{len(rows)} lignes)")

        # A new installation: the AD's repository as the store leaves it (each coop's summary
        # committed beside its books), copied, and a console with nothing cached.
        copy = cache / "depot"
        shutil.copytree(root, copy, symlinks=True)
        for uai, (key, summary) in summaries.keyed().items():
            write_summary(copy / "ledgers" / uai, render(key, summary))
        installed_summaries = Summaries(copy, cache_dir=cache / "neuf", workers=args.jobs)
        start = time.perf_counter()
        stats = installed_summaries.refresh()
        installed_rows = status_rows(installed_summaries.all(), config, today)
        installed = time.perf_counter() - start
        assert installed_rows == rows, "les lignes lues des résumés versionnés diffèrent"
        print(f"  nouvelle installation, résumés versionnés : {installed:7.2f} s  ({stats.from_repo} lus dans "
              f"le dépôt, {stats.computed} chargées)")
        shutil.rmtree(copy, ignore_errors=True)

        restarted = Summaries(root, cache_dir=cache, workers=args.jobs)
        start = time.perf_counter()
        stats = restarted.refresh()
        status_rows(restarted.all(), config, today)
        restart = time.perf_counter() - start
        print(f"  nouveau processus, résumés sur disque  : {restart:7.2f} s  ({stats.from_disk} lus sur disque)")

        start = time.perf_counter()
        stats = summaries.refresh()
        status_rows(summaries.all(), config, today)
        unchanged = time.perf_counter() - start
        print(f"  rafraîchissement, rien de changé       : {unchanged:7.3f} s  ({stats.unchanged} inchangées)")

        one = Path(files[len(files) // 2]).parent / "2025-2026.beancount"
        original = one.read_text(encoding="utf-8")
        one.write_text(original + "\n; modifié par le banc d'essai\n", encoding="utf-8")
        try:
            start = time.perf_counter()
            stats = summaries.refresh()
            status_rows(summaries.all(), config, today)
            changed = time.perf_counter() - start
        finally:
            one.write_text(original, encoding="utf-8")
        print(f"  rafraîchissement, 1 coop changée       : {changed:7.3f} s  ({stats.computed} rechargée, "
              f"{stats.unchanged} inchangées)")

        full = None
        if not args.sans_complet:
            os.environ[MODE_ENV] = FULL_MODE  # every exercice of every coop loaded, as before
            try:
                alternative = Summaries(root, cache_dir=cache / "complet", workers=args.jobs)
                start = time.perf_counter()
                alternative.refresh()
                status_rows(alternative.all(), config, today)
                full = time.perf_counter() - start
            finally:
                os.environ.pop(MODE_ENV, None)
            print(f"  (c) même construction, chaque exercice chargé et ses CRF calculés : {full:7.2f} s")
        alone, _ = time_pool(_open_year_without_rules, files, args.jobs)
        print(f"  plancher : l'exercice ouvert seul, Beancount sans nos règles : {alone:7.2f} s")
        alone_parse, _ = time_pool(_parse_open_only, files, args.jobs)
        print(f"  plancher : l'exercice ouvert seul, analyse seule           : {alone_parse:7.2f} s")
        floor = time_bare_load(files, args.jobs)
        print(f"  plancher : load_file de chaque coop, {args.jobs} processus : {floor:7.2f} s")
        bare, _ = time_pool(_load_without_rules, files, args.jobs)
        print(f"  plancher sans nos règles (load_file, plugins retirés)  : {bare:7.2f} s")
        parse, _ = time_pool(_parse_only, files, args.jobs)
        print(f"  plancher de l'analyse seule (parser Beancount)        : {parse:7.2f} s")
        sample = files[:5]
        start = time.perf_counter()
        for f in sample:
            subprocess.run([str(BIN / "bean-check"), f], capture_output=True, check=False)
        per_process = (time.perf_counter() - start) / len(sample)
        obvious = per_process * len(files)
        print(f"  évident : un bean-check par coop ({per_process * 1000:.0f} ms chacun), extrapolé : {obvious:7.1f} s")
        print()
        print(f"  première construction vs évident      : {obvious / first:6.1f}× plus rapide")
        print(f"  nouvelle installation (résumés versionnés) : {installed:6.2f} s, {first / installed:5.1f}× plus "
              f"rapide que la première construction, {obvious / installed:5.0f}× que l'évident (cible : < 10 s)")
        if full is not None:
            print(f"  première construction vs (c) tout chargé : {full / first:6.1f}× plus rapide")
        print(f"  l'exercice ouvert seul par Beancount, sans nos règles, pèse {alone / first:.0%} de la "
              f"première construction ; son analyse seule {alone_parse / first:.0%}")
        print(f"  première construction / plancher       : {first / floor:6.2f}×")
        print(f"  Beancount sans nos règles pèse {bare / first:.0%} de la première construction ; "
              f"l'analyse seule {parse / first:.0%}")
        print(f"  1 coop changée vs première            : {first / changed:6.0f}× plus rapide (cible : < 1 s)")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
