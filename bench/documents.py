"""Benchmark of the documents: one CRF PDF, then every coop's CRF of a synthetic AD.

Times:

  one    computing one coop's CRF from its books, rendering the HTML and the PDF (in-process,
         median of several runs; the first run, paying WeasyPrint's start-up, is shown apart)
  batch  `retkoop crf-tous` on a synthetic AD of N coops (one pool of worker processes,
         with its progress bar), against
  (a)    the obvious alternative: one `retkoop crf UAI EXERCICE` process per coop, timed on a
         sample of coops and extrapolated to the N coops

Usage:

    python bench/documents.py [--coops 650] [--operations 400] [--jobs 2] [--sample 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from check import BIN, build_ad  # noqa: E402

from retkoop_tools.documents.crf import compute_crf  # noqa: E402
from retkoop_tools.documents.render import html_to_pdf, render_html  # noqa: E402
from retkoop_tools.documents.source import load_source  # noqa: E402
from retkoop_tools.ledger.exercice import Exercice  # noqa: E402

EXERCICE = Exercice(2025)
DEMO = Path(__file__).resolve().parents[1]


def one_crf(root: Path, uai: str) -> tuple[float, float, float, int]:
    t0 = time.perf_counter()
    crf = compute_crf(load_source(root, uai), EXERCICE)
    t1 = time.perf_counter()
    html = render_html("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le)
    t2 = time.perf_counter()
    pdf = html_to_pdf(html)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coops", type=int, default=650)
    parser.add_argument("--operations", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    print("== Un CRF (coopérative de démonstration 0910001A, exercice 2025-2026) ==")
    first = one_crf(DEMO, "0910001A")
    runs = [one_crf(DEMO, "0910001A") for _ in range(args.runs)]
    load, html, pdf = (statistics.median(r[i] for r in runs) for i in range(3))
    print(f"  premier appel (démarrage de WeasyPrint compris) : {sum(first[:3]) * 1000:.0f} ms")
    print(f"  médiane sur {args.runs} : livres→données {load * 1000:.0f} ms, HTML {html * 1000:.1f} ms, "
          f"PDF {pdf * 1000:.0f} ms, total {(load + html + pdf) * 1000:.0f} ms ({runs[0][3] // 1024} Kio)")

    root = build_ad(args.coops, args.operations, args.jobs)
    uais = sorted(p.parent.name for p in (root / "ledgers").glob("*/coop.beancount"))
    with tempfile.TemporaryDirectory() as out:
        print(f"\n== Tous les CRF : {len(uais)} coopératives, {args.jobs} processus ==")
        start = time.perf_counter()
        proc = subprocess.run([str(BIN / "retkoop"), "crf-tous", str(EXERCICE), "-o", out, "--jobs",
                               str(args.jobs), "--repo", str(root)], stdout=subprocess.PIPE, text=True)
        batch = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"retkoop crf-tous a échoué :\n{proc.stdout[-2000:]}")
        written = len(list(Path(out).glob("*.pdf")))
        print(f"  retkoop crf-tous : {batch:.1f} s pour {written} PDF ({batch / written * 1000:.0f} ms par coop)")

        sample = uais[:: max(1, len(uais) // args.sample)][: args.sample]
        start = time.perf_counter()
        for uai in sample:
            subprocess.run([str(BIN / "retkoop"), "crf", uai, str(EXERCICE), "-o", f"{out}/x-{uai}.pdf",
                            "--repo", str(root)], check=True, capture_output=True)
        per = (time.perf_counter() - start) / len(sample)
        loop = per * len(uais)
        print(f"  (a) un processus `retkoop crf` par coop : {per * 1000:.0f} ms chacun sur {len(sample)} coops, "
              f"soit {loop:.0f} s extrapolé à {len(uais)}")
        print(f"  rapport (a) / crf-tous : {loop / batch:.1f}×")


if __name__ == "__main__":
    main()
