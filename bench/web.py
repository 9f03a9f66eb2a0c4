"""Benchmark of the web portal: latency under 20 concurrent clients, memory bounded by the LRU.

Builds (once, cached under bench/out/) an AD git repository of 200 synthetic coops, starts the
real portal (`retkoop serve`, waitress) in a separate process, then:

  - 20 concurrent clients, each logged in, on 50 coops: the journal data of the current
    exercice (`api/journal_page`) and saves through Fava's entry API (validated by the rules,
    committed): p50 / p95, first visit of a coop (its Fava app created) apart;
  - resident memory of the server after visiting 200 coops with the LRU at 50, against the
    same with an LRU holding every coop (the obvious alternative: one app per coop, kept).

Usage:  python bench/web.py [--clients 20] [--coops 50] [--requests 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from retkoop_tools.demo.generator import generate_ad, synthetic_coops
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author
from retkoop_tools.web.accounts import Accounts

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "Banc d'essai du portail web !"
LOGIN = "bench@ad99.test"


def build(total: int) -> Path:
    root = HERE / "out" / f"web-{total}"
    if (root / ".complete").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    print(f"Construction du dépôt : {total} coopératives…", flush=True)
    init_ad_repo(root, "99", "AD synthétique", Author("Banc", "banc@test"))
    ad_yaml = (root / "ad.yaml").read_text()
    generate_ad(root, synthetic_coops(total), workers=os.cpu_count() or 1)
    (root / "ad.yaml").write_text(ad_yaml)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@t", "commit", "-qm", "livres", "--no-verify"],
                   cwd=root, check=True)
    (root / ".git" / "info" / "exclude").write_text(".complete\n")
    (root / ".complete").touch()
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, instance: Path, lru: int, processes: int = 1):
        self.port = free_port()
        env = dict(os.environ, RETKOOP_CACHE_DIR=str(instance / "cache"))
        self.proc = subprocess.Popen(
            [str(BIN / "retkoop"), "serve", "--repo", str(root), "--instance", str(instance),
             "--port", str(self.port), "--lru", str(lru), "--threads", "4" if processes > 1 else "8",
             "--processus", str(processes)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("le serveur ne démarre pas")

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        pids = [self.proc.pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()]
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.slugs: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Cookie": self.cookie, "Origin": f"http://127.0.0.1:{self.port}", **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def login(self) -> None:
        body = urllib.parse.urlencode({"identifiant": LOGIN, "mot_de_passe": PASSWORD}).encode()
        response, _ = self.request("POST", "/connexion", body, {"Content-Type": "application/x-www-form-urlencoded"})
        self.cookie = response.getheader("Set-Cookie").split(";")[0]

    def slug(self, uai: str) -> str:
        if uai not in self.slugs:
            response, _ = self.request("GET", f"/coop/{uai}/")
            location = response.getheader("Location")
            self.slugs[uai] = location.split(f"/coop/{uai}/")[1].split("/")[0]
        return self.slugs[uai]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def load_phase(port: int, uais: list[str], clients: int, requests: int, pause: float) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"lecture": [], "lecture_froide": [], "enregistrement": []}
    lock = threading.Lock()
    counter = iter(range(int(time.time() * 1000) % 10**6 * 10, 10**8))
    seen: set[str] = set()  # coops whose Fava app the server has created

    def worker(n: int) -> None:
        client = Client(port)
        client.login()
        rng = random.Random(n)
        for _ in range(requests):
            uai = rng.choice(uais)
            slug = client.slug(uai)
            if rng.random() < 0.15:
                i = next(counter)
                entry = {"t": "Transaction", "date": f"2026-08-{1 + i % 28:02d}", "flag": "*",
                         "payee": f"Banc {i}", "narration": "Don", "tags": [], "links": [],
                         "meta": {"piece": f"WEB{i:05d}", "mode": "VIR"},
                         "postings": [{"account": "Actif:512-Banque", "amount": "1.00 EUR"},
                                      {"account": "Produits:771-Dons", "amount": "-1.00 EUR"}]}
                start = time.perf_counter()
                response, data = client.request("PUT", f"/coop/{uai}/{slug}/api/add_entries",
                                                json.dumps({"entries": [entry]}).encode(),
                                                {"Content-Type": "application/json"})
                kind = "enregistrement"
            else:
                start = time.perf_counter()
                response, data = client.request(
                    "GET", f"/coop/{uai}/{slug}/api/journal_page?time=FY2026&page=1&order=desc")
                kind = "lecture" if uai in seen else "lecture_froide"
            elapsed = time.perf_counter() - start
            if response.status != 200:
                raise RuntimeError(f"{response.status} {data[:300]!r}")
            with lock:
                seen.add(uai)
                times[kind].append(elapsed)
            if pause:
                time.sleep(rng.uniform(0, 2 * pause))  # a person reads before the next click

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def visit_all(port: int, uais: list[str]) -> None:
    client = Client(port)
    client.login()
    for uai in uais:
        slug = client.slug(uai)
        response, _ = client.request("GET", f"/coop/{uai}/{slug}/api/journal_page?time=FY2026&page=1&order=desc")
        assert response.status == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--coops", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--total", type=int, default=200)
    parser.add_argument("--processus", type=int, default=2)
    parser.add_argument("--pauses", default="0,0.5", help="pauses moyennes entre deux requêtes d'un client (s)")
    args = parser.parse_args()

    base = build(args.total)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="retkoop-web-") as tmp:
        root = Path(tmp) / "ad"
        subprocess.run(["git", "clone", "-q", str(base), str(root)], check=True)
        instance = Path(tmp) / "instance"
        Accounts(instance / "comptes.sqlite").add(LOGIN, "ad_staff", password=PASSWORD)
        uais = sorted(p.name for p in (root / "ledgers").iterdir() if p.is_dir())

        for pause in (float(p) for p in args.pauses.split(",")):
            server = Server(root, instance, lru=50, processes=args.processus)
            try:
                # Warm-up: every worker process opens the 50 coops once (app creation is
                # measured above, apart); then the steady state is measured.
                for _ in range(2 * args.processus):
                    visit_all(server.port, uais[: args.coops])
                start = time.perf_counter()
                times = load_phase(server.port, uais[: args.coops], args.clients, args.requests, pause)
                wall = time.perf_counter() - start
            finally:
                server.stop()
            total = sum(len(v) for v in times.values())
            print(f"{args.clients} clients, {args.coops} coopératives, {args.processus} processus, pause moyenne "
                  f"{pause} s : {total} requêtes en {wall:.1f} s")
            for kind, label, target in (("lecture", "journal de l'exercice (app chargée)", "cible p95 < 150 ms"),
                                        ("lecture_froide", "journal, 1re visite (app créée)", ""),
                                        ("enregistrement", "enregistrement (règles + commit)", "cible p95 < 400 ms")):
                values = times[kind]
                print(f"  {label:40} n={len(values):4}  p50 {1000 * pct(values, 50):5.0f} ms  "
                      f"p95 {1000 * pct(values, 95):5.0f} ms  {target}")

        rss = {}
        for lru in (50, args.total + 10):
            server = Server(root, instance, lru=lru, processes=1)
            try:
                visit_all(server.port, uais[:50])
                at_50 = server.rss_mb()
                visit_all(server.port, uais[: args.total])
                rss[lru] = (at_50, server.rss_mb())
            finally:
                server.stop()
        (a50, a_all), (b50, b_all) = rss[50], rss[args.total + 10]
        print(f"  mémoire, 1 processus, LRU 50 : {a50:.0f} Mo après 50 coopératives, {a_all:.0f} Mo après {args.total}")
        print(f"  mémoire, 1 processus, sans éviction : {b50:.0f} Mo après 50, {b_all:.0f} Mo après {args.total} "
              f"→ la LRU divise la mémoire par {b_all / a_all:.1f}")


if __name__ == "__main__":
    main()
