"""Benchmark of the web portal: latency with one client and under 20, memory bounded by the LRU.

Builds (once, cached under bench/out/) an AD git repository of 200 synthetic coops of 10
exercices (~430 operations each, all closed but the last, as the product closes them; copied
from bench/check.py's AD of the same shape when it exists), starts the real portal
(`retkoop serve --processus 2`, gunicorn) in a separate process, then, for the product (open
exercices loaded on their own) and for the obvious alternative in the same run (the portal
started without the journal's cache, `RETKOOP_CACHE_JOURNAL=0`, and started with
`RETKOOP_CHARGEMENT=complet` as well: every exercice loaded, as before; `--modes`, where
`gc-normal` is the portal with Python's collector as it is, `RETKOOP_GC=normal`):

  - one client saving through Fava's entry API, one save after the other: p50 / p95;
  - 20 concurrent clients, each logged in, on 50 coops: the journal data of the current
    exercice (`api/journal_page`) and 15 % saves (validated by the rules, committed), with a
    pause between a client's requests: p50 / p95, first visit of a coop (its app created) apart;
  - resident memory of one process after visiting 200 coops with the LRU at 50, against the
    same on coops of 2 exercices (`--reference`).

Usage:  python bench/web.py [--exercices 10] [--reference 2] [--clients 20] [--pauses 0.5]
                            [--modes ouverts,sans-cache,complet,gc-normal] [--sans-memoire]
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

from retkoop_tools.demo.generator import (
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV
from retkoop_tools.store.init import init_ad_repo
from retkoop_tools.store.store import Author
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.gc_pauses import MODE_ENV as GC_ENV
from retkoop_tools.web.gc_pauses import PLAIN as GC_PLAIN
from retkoop_tools.web.read_cache import READS_ENV
from built import built, mark  # noqa: E402  (bench/built.py)

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "Banc d'essai du portail web !"
LOGIN = "bench@ad99.test"
#: The product, then the obvious alternatives, each in a server of its own (environment).
MODES = {
    "ouverts": ("exercices ouverts seuls", {}),
    "sans-cache": ("sans cache du journal", {READS_ENV: "0"}),
    "complet": ("tout chargé, sans cache", {MODE_ENV: FULL_MODE, READS_ENV: "0"}),
    # Not in the default run: Python's collector left as it is (full collections during requests).
    "gc-normal": ("ramasse-miettes normal", {GC_ENV: GC_PLAIN}),
}
DEFAULT_MODES = ("ouverts", "sans-cache", "complet")
#: One account per client, as twenty people log in: logins of one account at the same time are
#: counted as failures until their password is checked (parallel guessing), and lock it.
CLIENT_ACCOUNTS = 64


def login_of(n: int | None) -> str:
    return LOGIN if n is None else f"bench{n}@ad99.test"


def build(total: int, operations: int, exercices: int) -> Path:
    """An AD git repository of `total` synthetic coops (built once, kept under bench/out/): the
    first coops of bench/check.py's AD of the same shape when it exists, else generated."""
    root = HERE / "out" / f"web-{total}x{operations}x{exercices}"
    if built(root):
        return root
    if root.exists():
        shutil.rmtree(root)
    print(f"Construction du dépôt : {total} coopératives de {exercices} exercices…", flush=True)
    init_ad_repo(root, "99", "AD synthétique", Author("Banc", "banc@test"))
    ad_yaml = (root / "ad.yaml").read_text()
    sources = [d for d in sorted(HERE.glob(f"out/ad-*x{operations}x{exercices}")) if built(d)]
    source = next((d for d in sources if len(list((d / "ledgers").iterdir())) >= total), None)
    if source is not None:
        shutil.copy(source / "ad.yaml", root / "ad.yaml")
        for coop in sorted((source / "ledgers").iterdir())[:total]:
            shutil.copytree(coop, root / "ledgers" / coop.name)
    else:
        years = synthetic_exercices(exercices)
        generate_ad(root, synthetic_coops(total), target_ops=operations, workers=os.cpu_count() or 1,
                    exercices=years, closed=set(years[:-1]), closing=True)
    (root / "ad.yaml").write_text(ad_yaml)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@t", "commit", "-qm", "livres", "--no-verify"],
                   cwd=root, check=True)
    (root / ".git" / "info" / "exclude").write_text(".complete\n")
    mark(root)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, instance: Path, lru: int, processes: int = 1, mode: dict | None = None):
        self.port = free_port()
        env = dict(os.environ, RETKOOP_CACHE_DIR=str(instance / "cache"), **(mode or {}))
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

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (user + system)."""
        pids = [self.proc.pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()]
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)  # gunicorn lets its workers finish their requests
        except subprocess.TimeoutExpired:
            self.proc.kill()
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

    def login(self, n: int | None = None) -> None:
        body = urllib.parse.urlencode({"identifiant": login_of(n), "mot_de_passe": PASSWORD}).encode()
        response, _ = self.request("POST", "/connexion", body, {"Content-Type": "application/x-www-form-urlencoded"})
        self.cookie = response.getheader("Set-Cookie").split(";")[0]

    def slug(self, uai: str) -> str:
        if uai not in self.slugs:
            response, _ = self.request("GET", f"/coop/{uai}/")
            location = response.getheader("Location")
            self.slugs[uai] = location.split(f"/coop/{uai}/")[1].split("/")[0]
        return self.slugs[uai]


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, in seconds (every core, /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK"), sum(fields) / os.sysconf("SC_CLK_TCK")


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
        client.login(n)
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


def warm_up(port: int, uais: list[str], processes: int, kept: bool = True, rounds: int = 12) -> int:
    """Every worker process opens every coop (its Fava app, its Journal rendered), so that the
    steady state is measured. Which worker takes a connection is the kernel's choice: sequential
    visits may all land on the same one. So each round visits the coops from 2 × processes
    threads at once, each in an order of its own, until two rounds in a row find no read slower
    than a kept answer can be (an app created or a Journal rendered: ≥ 0,15 s). A portal that
    keeps no answer (`kept=False`) renders every read: three rounds then. The rounds made."""
    if not kept:
        rounds = 3
    quiet = 0
    for done in range(1, rounds + 1):
        slowest = [0.0]

        def visits(n: int) -> None:
            client = Client(port)
            client.login()
            order = list(uais)
            random.Random(done * 100 + n).shuffle(order)
            for uai in order:
                slug = client.slug(uai)
                start = time.perf_counter()
                response, _ = client.request("GET", f"/coop/{uai}/{slug}/api/journal_page?time=FY2026&page=1&order=desc")
                assert response.status == 200
                slowest[0] = max(slowest[0], time.perf_counter() - start)

        threads = [threading.Thread(target=visits, args=(n,)) for n in range(2 * processes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        quiet = quiet + 1 if slowest[0] < 0.15 else 0
        if quiet == 2 and kept:
            return done
    return rounds


def one_client_saves(port: int, uais: list[str], saves: int) -> list[float]:
    """Saves through Fava's entry API, one after the other (one client): the portal's own
    latency, rules, git and Fava's reload included."""
    client = Client(port)
    client.login()
    times = []
    for n in range(saves):
        uai = uais[n % len(uais)]
        slug = client.slug(uai)
        i = int(time.time() * 1000) % 10**6 * 10 + n
        entry = {"t": "Transaction", "date": f"2026-08-{1 + i % 28:02d}", "flag": "*", "payee": f"Seul {i}",
                 "narration": "Don", "tags": [], "links": [], "meta": {"piece": f"UN{i:07d}", "mode": "VIR"},
                 "postings": [{"account": "Actif:512-Banque", "amount": "1.00 EUR"},
                              {"account": "Produits:771-Dons", "amount": "-1.00 EUR"}]}
        start = time.perf_counter()
        response, data = client.request("PUT", f"/coop/{uai}/{slug}/api/add_entries",
                                        json.dumps({"entries": [entry]}).encode(), {"Content-Type": "application/json"})
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"{response.status} {data[:300]!r}")
    return times


def memory(root: Path, instance: Path, total: int) -> tuple[float, float]:
    """Resident memory of one process after visiting 50 coops, then `total`, with the LRU at 50."""
    server = Server(root, instance, lru=50, processes=1)
    try:
        visit_all(server.port, sorted(p.name for p in (root / "ledgers").iterdir() if p.is_dir())[:50])
        at_50 = server.rss_mb()
        visit_all(server.port, sorted(p.name for p in (root / "ledgers").iterdir() if p.is_dir())[:total])
        return at_50, server.rss_mb()
    finally:
        server.stop()


def clone(base: Path, tmp: Path, name: str) -> tuple[Path, Path]:
    root = tmp / name
    subprocess.run(["git", "clone", "-q", str(base), str(root)], check=True)
    # The backup's remote, as a forge is: bare, taking every push. Pushed to the cached AD
    # itself (not bare, its branch checked out), each push was refused and the next one sent
    # every commit not pushed yet: a git push of growing cost after each save (~50 ms of CPU,
    # then ~9 ms more per commit waiting), beside the portal.
    remote = tmp / f"{name}-distant.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(base), str(remote)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "set-url", "origin", str(remote)], check=True)
    instance = tmp / f"{name}-instance"
    accounts = Accounts(instance / "comptes.sqlite")
    accounts.add(LOGIN, "ad_staff", password=PASSWORD)
    for n in range(CLIENT_ACCOUNTS):
        accounts.add(login_of(n), "ad_staff", password=PASSWORD)
    return root, instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--coops", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--total", type=int, default=200)
    parser.add_argument("--operations", type=int, default=430)
    parser.add_argument("--exercices", type=int, default=10, help="exercices par coop, tous clos sauf le dernier")
    parser.add_argument("--reference", type=int, default=2,
                        help="exercices des coops de référence pour la mémoire (0 : pas de référence)")
    parser.add_argument("--processus", type=int, default=2)
    parser.add_argument("--pauses", default="0.5", help="pauses moyennes entre deux requêtes d'un client (s)")
    parser.add_argument("--saves", type=int, default=30, help="enregistrements d'un client seul")
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES),
                        help="les portails mesurés, le produit d'abord : " + ", ".join(
                            f"{k} ({v[0]})" for k, v in MODES.items()))
    parser.add_argument("--sans-memoire", action="store_true", help="ne pas mesurer la mémoire")
    args = parser.parse_args()

    base = build(args.total, args.operations, args.exercices)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="retkoop-web-") as tmp:
        root, instance = clone(base, Path(tmp), "ad")
        uais = sorted(p.name for p in (root / "ledgers").iterdir() if p.is_dir())
        print(f"{len(uais)} coopératives de {args.exercices} exercices (~{args.operations} opérations par "
              f"exercice), {args.processus} processus")
        modes = [m for m in args.modes.split(",") if m]
        unknown = [m for m in modes if m not in MODES]
        if unknown or not modes or modes[0] != "ouverts":
            raise SystemExit(f"--modes : « ouverts » d'abord, puis parmi {', '.join(MODES)} ({', '.join(unknown)} ?)")
        single: dict[str, list[float]] = {}
        for mode in modes:
            label, env = MODES[mode]
            server = Server(root, instance, lru=50, processes=args.processus, mode=env)
            try:
                warm_up(server.port, uais[: args.coops], args.processus, kept=READS_ENV not in env)
                cpu = server.cpu_seconds()
                single[mode] = one_client_saves(server.port, uais[: args.coops], args.saves)
                cpu = server.cpu_seconds() - cpu
            finally:
                server.stop()
            print(f"  un client seul, {label:24} : enregistrement p50 {1000 * pct(single[mode], 50):5.0f} ms  "
                  f"p95 {1000 * pct(single[mode], 95):5.0f} ms  (cible p50 ≤ 80 ms), "
                  f"CPU du portail {1000 * cpu / max(len(single[mode]), 1):.0f} ms par enregistrement")
        for mode in modes[1:]:
            print(f"  → un client seul, {MODES[mode][0]} ÷ {MODES['ouverts'][0]} (p50) : "
                  f"{pct(single[mode], 50) / pct(single['ouverts'], 50):.1f}×")

        for pause in (float(p) for p in args.pauses.split(",")):
            results = {}
            for mode in modes:
                label, env = MODES[mode]
                server = Server(root, instance, lru=50, processes=args.processus, mode=env)
                try:
                    # Warm-up: every worker process opens the coops once (app creation is
                    # measured apart), then the steady state is measured.
                    rounds = warm_up(server.port, uais[: args.coops], args.processus, kept=READS_ENV not in env)
                    print(f"  (mise en route : {rounds} tours de visites)")
                    start, cpu, machine = time.perf_counter(), server.cpu_seconds(), machine_busy()
                    ours = time.process_time()
                    times = load_phase(server.port, uais[: args.coops], args.clients, args.requests, pause)
                    wall = time.perf_counter() - start
                    cpu, ours = server.cpu_seconds() - cpu, time.process_time() - ours
                    busy, span = (after - before for after, before in zip(machine_busy(), machine))
                finally:
                    server.stop()
                results[mode] = times
                total = sum(len(v) for v in times.values())
                print(f"{args.clients} clients, {args.coops} coopératives, pause moyenne {pause} s, {label} : "
                      f"{total} requêtes en {wall:.1f} s")
                cores = os.cpu_count() or 1
                print(f"  CPU du portail : {cpu:.1f} s en {wall:.1f} s ({cpu / wall:.2f} cœur(s) sur {cores}), "
                      f"{1000 * cpu / max(total, 1):.0f} ms par requête ; machine occupée à "
                      f"{100 * busy / span:.0f} % ({busy / wall:.2f} cœur(s) : le portail, ces clients "
                      f"{ours / wall:.2f}, le reste)")
                for kind, name, target in (("lecture", "journal de l'exercice (app chargée)", "cible p95 < 150 ms"),
                                           ("lecture_froide", "journal, 1re visite (app créée)", ""),
                                           ("enregistrement", "enregistrement (règles + commit)", "cible p95 < 400 ms")):
                    values = times[kind]
                    print(f"  {name:40} n={len(values):4}  p50 {1000 * pct(values, 50):5.0f} ms  "
                          f"p95 {1000 * pct(values, 95):5.0f} ms  {target}")
            for mode in modes[1:]:
                for kind in ("lecture", "enregistrement"):
                    print(f"  → {kind}, {MODES[mode][0]} ÷ {MODES['ouverts'][0]} (p95) : "
                          f"{pct(results[mode][kind], 95) / pct(results['ouverts'][kind], 95):.1f}×")

        if args.sans_memoire:
            return
        a50, a_all = memory(root, instance, args.total)
        print(f"  mémoire, 1 processus, LRU 50, coops de {args.exercices} exercices : {a50:.0f} Mo après 50, "
              f"{a_all:.0f} Mo après {args.total}")
        if args.reference:
            ref_root, ref_instance = clone(build(args.total, args.operations, args.reference), Path(tmp), "reference")
            b50, b_all = memory(ref_root, ref_instance, args.total)
            print(f"  mémoire, 1 processus, LRU 50, coops de {args.reference} exercices : {b50:.0f} Mo après 50, "
                  f"{b_all:.0f} Mo après {args.total}")
            print(f"  → {args.exercices} exercices ÷ {args.reference} : {a_all / b_all:.2f}× (cible ≤ 1,3×)")


if __name__ == "__main__":
    main()
