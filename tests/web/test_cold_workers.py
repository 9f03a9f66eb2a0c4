"""A fresh gunicorn worker, hit by many first requests at once, answers them all."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from retkoop_tools.demo.portal import prepare_demo_ad
from tests.web.conftest import REPO


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Host": "portail.exemple-été.fr"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_thirty_first_requests_at_once_on_cold_workers(tmp_path):
    root = prepare_demo_ad(REPO, tmp_path / "ad")
    retkoop = Path(sys.executable).parent / "retkoop"
    for attempt in range(2):
        port = _free_port()
        server = subprocess.Popen([str(retkoop), "serve", "--repo", str(root), "--instance", str(tmp_path / "instance"),
                                   "--port", str(port), "--processus", "2", "--threads", "8"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the portal did not start"
                    time.sleep(0.2)
            urls = [f"{base}/connexion", f"{base}/coop/0910001A/", f"{base}/sante"] * 10
            with ThreadPoolExecutor(30) as pool:
                statuses = list(pool.map(_get, urls))
            assert 500 not in statuses, (attempt, statuses)
            assert all(s in (200, 302) for s in statuses), statuses
        finally:
            server.terminate()
            server.wait(timeout=30)
