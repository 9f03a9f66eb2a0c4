"""Benchmark: what an operation on a coop costs with 1 closed exercice, and with 9.

Builds (once, cached under bench/out/) two AD git repositories holding the same synthetic coop
(~430 operations per exercice), one with 2 exercices (the first closed), one with 10 (nine
closed, each as the product closes it: seal, report à nouveau, cloture-<exercice>.json), then
times on both, in the same run:

  save       a write through the store (rules on the texts, atomic write, commit)
  check      `retkoop check` of the coop (the check's load, nothing remembered)
  fava       the coop's Fava app created and its first page served
  summary    the AD console's summary of the coop once it changed
  crf        the CRF of the open exercice (books loaded, figures computed)

each with the open exercices loaded on their own (the product) and with every exercice
loaded (`RETKOOP_CHARGEMENT=complet`, the obvious alternative: what every operation did
before), and prints the figures and the ratios 10 exercices ÷ 2. The machine is shared: the
runs alternate between the two coops, and the median of each is kept.

Usage: python bench/exercices.py [--operations 430] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"

from retkoop_tools.demo.generator import (  # noqa: E402
    DEMO_AD,
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.ledger.exercice import Exercice  # noqa: E402
from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV, forget, load_books  # noqa: E402
from retkoop_tools.store.init import init_ad_repo  # noqa: E402
from retkoop_tools.store.store import Author, Store  # noqa: E402
from retkoop_tools.tresorier.pages import DEFAULT_PAGE  # noqa: E402
from built import built, mark  # noqa: E402  (bench/built.py)

HERE = Path(__file__).resolve().parent
WHO = Author("Banc d'essai", "bench@example.org")
OPEN = Exercice(2025)


def build(exercices: int, operations: int) -> tuple[Path, str]:
    root = HERE / "out" / f"exercices-{exercices}x{operations}"
    coop = synthetic_coops(1)[0]
    if built(root):
        return root, coop.uai
    if root.exists():
        shutil.rmtree(root)
    print(f"Construction : une coopérative de {exercices} exercices × ~{operations} opérations…", flush=True)
    init_ad_repo(root, "99", "AD synthétique", WHO)
    ad_yaml = (root / "ad.yaml").read_text()
    years = synthetic_exercices(exercices)
    generate_ad(root, [coop], dict(DEMO_AD), exercices=years, closed=set(years[:-1]), target_ops=operations,
                closing=True)
    (root / "ad.yaml").write_text(ad_yaml)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@t", "commit", "-qm", "livres", "--no-verify"],
                   cwd=root, check=True)
    (root / ".git" / "info" / "exclude").write_text(".complete\n")
    mark(root)
    return root, coop.uai


def entry(n: int) -> str:
    return (f'2026-08-{1 + n % 28:02d} * "Famille Banc {n}" "Don"\n  piece: "BENCH{n:04d}"\n  mode: "VIR"\n'
            f"  Actif:512-Banque     {5 + n % 40}.00 EUR\n  Produits:771-Dons   -{5 + n % 40}.00 EUR\n")


class Coop:
    """One repository's coop, and the operations timed on it."""

    def __init__(self, root: Path, uai: str):
        self.root, self.uai = root, uai
        self.store = Store(root)
        self.coop_dir = root / "ledgers" / uai
        self.n = 0

    def touch(self) -> None:
        """Change the coop's open exercice (a comment), so that nothing remembered applies."""
        path = self.coop_dir / OPEN.filename
        path.write_text(path.read_text(encoding="utf-8") + f"; banc {time.perf_counter_ns()}\n", encoding="utf-8")

    def save(self) -> None:
        self.n += 1
        assert self.store.insert_entries(self.uai, entry(self.n), WHO, f"Saisie BENCH{self.n:04d}", OPEN)

    def check(self) -> None:
        from retkoop_tools.checks.runner import check_coop

        forget()
        assert not check_coop(self.root, self.uai).errors

    def fava(self) -> None:
        from retkoop_tools.web.fava_pool import FavaPool

        forget()
        app = FavaPool(self.root, 1).get(self.uai)
        slug = app.config["LEDGERS"].first_slug()
        response = app.test_client().get(f"/{slug}/{DEFAULT_PAGE}")
        assert response.status_code == 200, response.status_code

    def summary(self) -> None:
        from retkoop_tools.console.summary import summarize

        self.touch()
        summary = summarize(self.root, self.uai)
        assert summary["exercices"][str(OPEN)]["crf"]

    def crf(self) -> None:
        from retkoop_tools.documents.crf import compute_crf
        from retkoop_tools.documents.source import load_source

        self.touch()
        compute_crf(load_source(self.root, self.uai, exercice=OPEN), OPEN)


OPERATIONS = (
    ("save", "Écriture par le store (règles, écriture, commit)"),
    ("check", "retkoop check de la coopérative"),
    ("fava", "Application Fava créée, première page"),
    ("summary", "Résumé de la console, coopérative modifiée"),
    ("crf", "CRF de l'exercice ouvert"),
)


def measure(coops: dict[int, Coop], runs: int, full: bool) -> dict[tuple[str, int], float]:
    if full:
        os.environ[MODE_ENV] = FULL_MODE
    else:
        os.environ.pop(MODE_ENV, None)
    times: dict[tuple[str, int], list[float]] = {}
    for name, _label in OPERATIONS:
        for _ in range(runs):
            for years, coop in coops.items():  # alternate: the machine's noise falls on both
                start = time.perf_counter()
                getattr(coop, name)()
                times.setdefault((name, years), []).append(time.perf_counter() - start)
    os.environ.pop(MODE_ENV, None)
    return {key: statistics.median(values[1:] if len(values) > 2 else values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=430)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    bases = {years: build(years, args.operations) for years in (2, 10)}
    with tempfile.TemporaryDirectory(prefix="retkoop-exercices-") as tmp:
        os.environ["RETKOOP_CACHE_DIR"] = str(Path(tmp) / "cache")
        coops = {}
        for years, (base, uai) in bases.items():
            root = Path(tmp) / f"ad{years}"
            subprocess.run(["git", "clone", "-q", str(base), str(root)], check=True)
            coops[years] = Coop(root, uai)
        for years, coop in coops.items():
            loaded = load_books(coop.coop_dir, coop.uai)
            assert loaded.open_from == OPEN and loaded.results is not None, loaded.why_full
            ops = sum(1 for p in coop.coop_dir.glob("20*.beancount") for line in p.read_text().splitlines()
                      if line.startswith("  piece: "))
            print(f"coopérative de {years} exercices : {ops} opérations ({ops // years} par exercice)")
        # A file's digest is remembered once it is two seconds old (fsutil.file_digest): the
        # closed files of a real coop are months old, these clones' a moment.
        time.sleep(2.1)
        ours = measure(coops, args.runs, full=False)
        full = measure(coops, args.runs, full=True)
    print()
    print(f"{'Mesure (médiane, ms)':46} {'2 ex.':>7} {'10 ex.':>7} {'10÷2':>6}   "
          f"{'complet 2':>9} {'complet 10':>10} {'10÷2':>6}")
    for name, label in OPERATIONS:
        a, b = ours[(name, 2)], ours[(name, 10)]
        fa, fb = full[(name, 2)], full[(name, 10)]
        print(f"{label:46} {1000 * a:7.0f} {1000 * b:7.0f} {b / a:5.2f}×   {1000 * fa:9.0f} {1000 * fb:10.0f} "
              f"{fb / fa:5.2f}×")
    print()
    print(f"  écriture par le store, 10 exercices ÷ 1 exercice clos : {ours[('save', 10)] / ours[('save', 2)]:.2f}× "
          f"(cible ≤ 1,2×) ; en chargeant tout : {full[('save', 10)] / full[('save', 2)]:.2f}×")
    print("  sur la coopérative de 10 exercices, chaque opération coûte "
          + ", ".join(f"{name} {full[(name, 10)] / ours[(name, 10)]:.1f}×" for name, _ in OPERATIONS)
          + " moins qu'en chargeant tout")


if __name__ == "__main__":
    sys.exit(main())
