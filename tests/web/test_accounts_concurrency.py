"""The accounts database shared by a running portal and `retkoop user …` commands.

The portal (several request threads, like waitress) changes passwords and logs in while CLI
commands run as real subprocesses on the same SQLite file. Nothing may be lost, the file
stays sound, and no login answers 500.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

from werkzeug.test import Client

from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal
from tests.web.conftest import REPO

WEB_USERS = [f"web{i}@ad91.test" for i in range(3)]
CHANGES = 4  # password changes per web user
CLI_ROUNDS = 4
FIRST = "Une phrase de passe assez longue !"


def _new_password(i: int) -> str:
    return f"Ma phrase secrète numéro {i} bien longue"


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def _login(client: Client, login: str, password: str) -> int:
    response = client.post("/connexion", data={"identifiant": login, "mot_de_passe": password, "suite": "/"})
    return response.status_code


def _web_user(portal: Portal, login: str, statuses: list[int], errors: list[str]) -> None:
    """Log in, change the password, log in again with the new one, CHANGES times."""
    current = FIRST
    for i in range(CHANGES):
        client = Client(portal)
        status = _login(client, login, current)
        statuses.append(status)
        if status != 302:
            errors.append(f"{login}: connexion {status} au tour {i}")
            return
        page = client.get("/mot-de-passe")
        statuses.append(page.status_code)
        new = _new_password(i)
        response = client.post("/mot-de-passe", data={"csrf": _csrf(page.get_data(as_text=True)),
                                                      "actuel": current, "nouveau": new, "confirmation": new})
        statuses.append(response.status_code)
        if response.status_code != 302:
            errors.append(f"{login}: changement {response.status_code} au tour {i}")
            return
        current = new
        statuses.append(_login(Client(portal), login, current))


def _cli(root: Path, instance: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retkoop_tools", "user", *args, "--repo", str(root),
                           "--instance", str(instance)], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)


def test_portal_and_cli_share_the_accounts_database(tmp_path):
    from retkoop_tools.demo.portal import prepare_demo_ad

    root = prepare_demo_ad(REPO, tmp_path / "ad")
    instance = tmp_path / "instance"
    accounts = Accounts(instance / "comptes.sqlite")
    for login in WEB_USERS:
        accounts.add(login, "ad_staff", name=login, password=FIRST)
    accounts.add("cli-reset@ad91.test", "ad_staff", name="remis à zéro", password=FIRST)
    portal = Portal(root, instance, lru_size=1, backup=False)
    # The portal has served the database before the commands start.
    assert _login(Client(portal), WEB_USERS[0], FIRST) == 302

    statuses: list[int] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_web_user, args=(portal, login, statuses, errors)) for login in WEB_USERS]
    for thread in threads:
        thread.start()
    added, last_reset = [], None
    for i in range(CLI_ROUNDS):
        # What serving or copying the file does in a portal process: open, read, close. That
        # close() drops every POSIX lock SQLite holds in the process; the next command then
        # believed it was the last user and deleted the WAL files the portal still wrote to.
        (instance / "comptes.sqlite").read_bytes()
        login = f"cli{i}@ad91.test"
        result = _cli(root, instance, "add", login, "--role", "ad_staff")
        assert result.returncode == 0, result.stderr
        added.append((login, re.search(r"changer à la première connexion\) : (\S+)", result.stdout).group(1)))
        result = _cli(root, instance, "reset", "cli-reset@ad91.test")
        assert result.returncode == 0, result.stderr
        last_reset = result.stdout.split(" : ")[-1].strip()
        result = _cli(root, instance, "list")
        assert result.returncode == 0 and "cli-reset@ad91.test" in result.stdout, result.stderr
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert 500 not in statuses
    assert statuses.count(302) == len(WEB_USERS) * CHANGES * 3  # logins, changes, logins again
    # Every change is there, read by a fresh process's view (a new Accounts on the file).
    fresh = Accounts(instance / "comptes.sqlite")
    for login in WEB_USERS:
        assert fresh.authenticate(login, _new_password(CHANGES - 1)).login == login
    for login, secret in added:
        assert fresh.authenticate(login, secret).must_change
    assert fresh.authenticate("cli-reset@ad91.test", last_reset).must_change
    assert (instance / "comptes.sqlite-wal").exists() and (instance / "comptes.sqlite-shm").exists()
    # The portal itself still answers logins, through its own long-lived connections.
    assert _login(Client(portal), WEB_USERS[1], _new_password(CHANGES - 1)) == 302
    with sqlite3.connect(instance / "comptes.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # No world-readable password hashes: the folder and the database files are the owner's.
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for path in instance.glob("comptes.sqlite*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def _in_forked_child(accounts: Accounts, parent_connection, answer) -> None:
    own = accounts.list()  # through the object inherited from the parent
    accounts.add("enfant@ad91.test", "ad_staff", password=FIRST)
    answer.put((len(own), accounts._local.db[1] is not parent_connection))


def test_a_forked_process_opens_its_own_connection(tmp_path):
    import multiprocessing

    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    accounts.add("parent@ad91.test", "ad_staff", password=FIRST)
    parent_connection = accounts._local.db[1]
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_in_forked_child, args=(accounts, parent_connection, answer))
    child.start()
    seen, own_connection = answer.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0 and seen == 1 and own_connection
    # The parent's connection still works and sees the child's write.
    assert {u.login for u in accounts.list()} == {"parent@ad91.test", "enfant@ad91.test"}
    assert accounts._local.db[1] is parent_connection
    with sqlite3.connect(tmp_path / "instance" / "comptes.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
