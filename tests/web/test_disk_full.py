"""A full disk: every write answers in French, and files and history stay as they were.

The demo AD lives on a small tmpfs (mounted by the test, as root); a filler file leaves a few
kilobytes free, as on a server whose disk filled up.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from werkzeug.test import Client

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.web.conftest import ORIGIN, OWN, PASSWORD, REPO
from tests.web.test_treasurer_pages import expense
from tests.web.test_writes import ENTRY


def _mount(point: Path) -> bool:
    point.mkdir()
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(point)],
                          capture_output=True).returncode == 0


@pytest.fixture
def full_disk(tmp_path):
    disk = tmp_path / "disk"
    if not _mount(disk):
        pytest.skip("a tmpfs cannot be mounted here (root needed)")
    try:
        root = prepare_demo_ad(REPO, disk / "ad")
        accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
        accounts.add(OWN, "mandataire", name="Test mandataire", password=PASSWORD)
        portal = Portal(root, tmp_path / "instance", backup=False)
        client = Client(portal)
        assert client.post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD,
                                               "suite": "/"}).status_code == 302
        base = f"/coop/{OWN}/{portal.pool.slug(OWN)}"
        client.get(f"{base}/income_statement/")  # the app is loaded before the disk fills

        def fill(leave: int) -> Path:
            filler = disk / "filler"
            stat = os.statvfs(disk)
            free = stat.f_bavail * stat.f_frsize
            with open(filler, "wb") as out:
                out.write(b"\0" * max(0, free - leave))
            return filler

        yield root, client, base, fill
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def state(root: Path) -> tuple[str, str, bytes]:
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True).stdout
    return head, status, (root / "ledgers" / OWN / "2025-2026.beancount").read_bytes()


@pytest.mark.parametrize("leave", [150 * 1024, 40 * 1024, 8 * 1024])
def test_writes_on_a_full_disk_answer_in_french_and_change_nothing(full_disk, leave):
    """Each write either goes through whole (committed) or is refused in French with files and
    history as they were — never an unanswered request, an English page or a leftover."""
    root, client, base, fill = full_disk
    filler = fill(leave)
    refused = 0
    for send in (lambda: client.put(f"{base}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN),
                 lambda: client.post(f"{base}/extension/Saisie/enregistrer", data=expense(), headers=ORIGIN)):
        before = state(root)
        response = send()
        text = response.get_data(as_text=True)
        if response.status_code == 200:
            assert state(root)[1] == "" and state(root)[0] != before[0]
        else:
            refused += 1
            assert "plus de place" in text, text[:300]
            assert "Internal Server Error" not in text
            assert state(root) == before
    filler.unlink()
    if leave < 50 * 1024:
        assert refused == 2  # nothing fits in so little room
    # Once there is room again, a save goes through and nothing was left behind.
    again = client.put(f"{base}/api/add_entries", headers=ORIGIN,
                       json={"entries": [dict(ENTRY, meta={"piece": "W999", "mode": "VIR"})]})
    assert again.status_code == 200, again.get_data(as_text=True)
    assert state(root)[1] == ""


def test_a_fresh_worker_has_the_idna_codec_before_any_request():
    """Werkzeug's first use of the idna codec, by many threads at once, could fail for good."""
    import sys

    code = ("import sys; import retkoop_tools.web.portal; "
            "print('encodings.idna' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
