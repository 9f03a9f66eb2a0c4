"""Benchmark of the treasurer's pages on the demo AD, through the real portal (one process).

Measures, for the busiest demo coop (~600 operations in its open exercice):
  - each page (tableau de bord, saisie, cahier, pointage, arrêté de caisse): median of N GETs;
    compared with Fava's own journal of the same exercice (its page plus the JSON it loads),
    the obvious alternative;
  - one Saisie save (field checks, the OCCE rules on a staged copy, atomic write, commit,
    Fava's reload): p50 / p95 over N saves.

Usage:  python bench/tresorier.py [--repeat 7] [--saves 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
os.environ.setdefault("RETKOOP_AUJOURDHUI", "2026-08-31")

from werkzeug.test import Client  # noqa: E402

from retkoop_tools.demo.portal import prepare_demo_ad  # noqa: E402
from retkoop_tools.web.accounts import Accounts  # noqa: E402
from retkoop_tools.web.portal import Portal  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
UAI = "0910001A"
PASSWORD = "Une phrase de passe assez longue !"
PAGES = ("TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tresorier-"))
    try:
        root = prepare_demo_ad(REPO, work / "ad")
        Accounts(work / "instance" / "comptes.sqlite").add(UAI, "mandataire", name="Bench", password=PASSWORD)
        portal = Portal(root, work / "instance", backup=False)
        client = Client(portal)
        client.post("/connexion", data={"identifiant": UAI, "mot_de_passe": PASSWORD, "suite": "/"})
        base = f"/coop/{UAI}/{portal.pool.slug(UAI)}"

        def timed_get(path: str) -> float:
            samples = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(path)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
            return statistics.median(samples)

        journal = timed_get(f"{base}/journal/?time=FY2026") + timed_get(f"{base}/api/journal?time=FY2026")
        print(f"Fava journal (page + JSON)     {ms(journal)}  (reference: Fava's own list of the exercice)")
        for name in PAGES:
            value = timed_get(f"{base}/extension/{name}/")
            print(f"{name:30} {ms(value)}  ({value / journal:.2f}× the journal)")

        saves = []
        for n in range(args.saves):
            data = {"type": "depense", "date": "31/08/2026", "piece": f"D{100 + n}", "libelle": "Achat",
                    "tiers": "Bench", "mode": "CB", "montant": "1,00", "compte": ["6063"], "ventilation": [""]}
            start = time.perf_counter()
            response = client.post(f"{base}/extension/Saisie/enregistrer", data=data,
                                   headers={"Origin": "http://localhost"})
            saves.append(time.perf_counter() - start)
            assert response.status_code == 200, response.get_data(as_text=True)
        saves.sort()
        p95 = saves[max(0, int(len(saves) * 0.95) - 1)]
        print(f"Saisie save (commit + reload)  p50 {ms(statistics.median(saves))}   p95 {ms(p95)}   ({len(saves)} saves)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
