"""Benchmark of the verification that precedes every load of a coop (`policy.files`).

On the demo AD's coops (or a synthetic AD built by bench/check.py), times per coop:

  load        bare `beancount.loader.load_file` of coop.beancount (the obvious alternative:
              what every check did before the verification)
  verify      `verify_coop_dir`, cold (its in-process cache cleared): header regenerated and
              compared, every included file scanned (byte shortcut, else Beancount's lexer)
  lexer only  the same scan with the shortcut disabled (every file through the lexer)
  load_coop   verify + load, as the checks, hooks, console and documents now do

and prints the figures and the ratios to the bare load. Usage:

    python bench/policy.py [--ad DOSSIER] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

from beancount import loader  # noqa: E402

from retkoop_tools.ledger.load import load_coop  # noqa: E402
from retkoop_tools.policy import files, scan  # noqa: E402

HERE = Path(__file__).resolve().parent


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        files._clean.clear()  # noqa: SLF001 - cold every time
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ad", type=Path, default=HERE.parent)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    loader.initialize(use_cache=False)
    coops = sorted(p.parent for p in (args.ad / "ledgers").glob("*/coop.beancount"))
    totals = {"load": 0.0, "verify": 0.0, "lexer only": 0.0, "load_coop": 0.0}
    print(f"{len(coops)} coopératives de {args.ad}, médiane de {args.repeat} essais (ms)")
    print(f"{'coop':10} {'load':>8} {'verify':>8} {'lexer':>8} {'load_coop':>10}")
    shortcut = scan.certainly_clean
    for coop in coops:
        load = timed(lambda: loader.load_file(str(coop / "coop.beancount")), args.repeat)
        verify = timed(lambda: files.verify_coop_dir(coop), args.repeat)
        scan.certainly_clean = lambda raw: False
        lexer = timed(lambda: files.verify_coop_dir(coop), args.repeat)
        scan.certainly_clean = shortcut
        both = timed(lambda: load_coop(coop), args.repeat)
        for key, value in zip(totals, (load, verify, lexer, both)):
            totals[key] += value
        print(f"{coop.name:10} {load * 1000:8.1f} {verify * 1000:8.1f} {lexer * 1000:8.1f} {both * 1000:10.1f}")
    base = totals["load"]
    print("total      " + " ".join(f"{v * 1000:8.1f}" for v in totals.values()))
    print(f"verify ÷ load = {totals['verify'] / base:.3f} ; lexer only ÷ load = {totals['lexer only'] / base:.3f} ; "
          f"load_coop ÷ load = {totals['load_coop'] / base:.3f}")


if __name__ == "__main__":
    main()
