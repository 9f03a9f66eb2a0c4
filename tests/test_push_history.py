"""The background backup, and the entry-level history of a coop."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys

import pytest

from retkoop_tools.history.log import coop_history
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.push import Pusher, PushState
from retkoop_tools.store.store import RuleViolationError, Store
from tests.gitrepo import ADMIN, TEACHER, make_ad_repo, run_git, sale

EX = Exercice(2025)
UAI = "0910001A"


def test_writes_are_pushed_in_the_background(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    remote = tmp_path / "sauvegarde.git"
    run_git(tmp_path, "init", "-q", "--bare", str(remote))
    run_git(store.root, "remote", "add", "origin", str(remote))
    pusher = Pusher(store.root, retry_delays=(0.2,))
    try:
        store = Store(store.root, pusher=pusher)
        commit = store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
        assert pusher.wait_idle(20)
        assert run_git(remote, "rev-parse", "main").stdout.strip() == commit
        assert pusher.state().ok and pusher.state().describe() == "sauvegardé à l'instant"
        # Another worker of the portal, which pushed nothing itself, tells the same.
        other = Pusher(store.root, retry_delays=(0.2,))
        try:
            assert other.state().ok and other.state().describe() == "sauvegardé à l'instant"
        finally:
            other.stop()

        # The remote disappears: writes go on, the state says so, and it heals on return.
        shutil.move(remote, tmp_path / "ailleurs.git")
        commit2 = store.insert_entries(UAI, sale(2, day=11), TEACHER, "Saisie R002", EX)
        assert commit2 == store.head()
        assert pusher.wait_idle(20)
        state = pusher.state()
        assert not state.ok and state.describe().startswith("dépôt distant injoignable depuis ")
        other = Pusher(store.root, retry_delays=(0.2,))
        try:
            assert not other.state().ok  # the failure is seen by every worker at once
        finally:
            other.stop()
        shutil.move(tmp_path / "ailleurs.git", remote)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
        while not pusher.state().ok:
            assert datetime.datetime.now() < deadline, "not pushed again"
            pusher.wait_idle(0.2)
        assert run_git(remote, "rev-parse", "main").stdout.strip() == commit2
    finally:
        pusher.stop()


def test_push_state_in_french():
    now = datetime.datetime(2026, 3, 12, 14, 30)
    assert PushState(now - datetime.timedelta(minutes=2), None, "", False).describe(now) == "sauvegardé il y a 2 min"
    assert PushState(None, datetime.datetime(2026, 3, 12, 14, 2), "x", True).describe(now) == (
        "dépôt distant injoignable depuis 14:02")
    assert PushState(None, datetime.datetime(2026, 3, 10, 9, 5), "x", True).describe(now) == (
        "dépôt distant injoignable depuis le 10/03/2026 à 09:05")


def _history_repo(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
    path = store.root / "ledgers" / UAI / "2025-2026.beancount"
    return store, path


def test_modified_amount_is_a_modification(tmp_path):
    store, path = _history_repo(tmp_path)
    text = path.read_text().replace("  15.00 EUR", "  18.50 EUR").replace(" -15.00 EUR", " -18.50 EUR")
    store.write(UAI, {"2025-2026.beancount": text}, ADMIN, "Correction du montant de R001")
    latest = coop_history(store.root, UAI, limit=1)[0]
    assert (latest.author, latest.ident) == ("Compta AD", "compta@ad91.fr")
    assert [c.kind for c in latest.changes] == ["modification"]
    assert latest.changes[0].description == "Opération modifiée : R001 du 10/10/2025 : Famille 1, 18,50\u00a0€"
    assert "montant : 15,00\u00a0€ → 18,50\u00a0€" in latest.changes[0].details


def test_reformatted_file_is_no_change(tmp_path):
    store, path = _history_repo(tmp_path)
    text = path.read_text()
    text = text.replace('  piece: "R001"\n  mode: "ESP"\n', '  mode: "ESP"\n  piece: "R001"\n')
    text = text.replace("Actif:530-Caisse                        15.00 EUR", "Actif:530-Caisse   15 EUR")
    store.write(UAI, {"2025-2026.beancount": text}, ADMIN, "Mise en forme")
    latest = coop_history(store.root, UAI, limit=1)[0]
    assert latest.message == "Mise en forme" and latest.changes == []


def test_added_deleted_ticked_and_counted(tmp_path):
    store, path = _history_repo(tmp_path)
    text = path.read_text()
    at = text.index('2025-08-31 custom "fava-option"')
    text = text[:at] + '2025-10-10 custom "arrete-caisse" Actif:530-Caisse\n  b50: 1\n  b10: 1\n  b5: 1\n\n' + text[at:]
    text = text.replace('  nature: "ouverture"\n', '  nature: "ouverture"\n  releve: 2025-09-30\n')
    at = text.index('2025-08-31 custom "fava-option"')
    text = text[:at] + '2025-09-30 custom "releve" Actif:512-Banque 1000.00 EUR\n\n' + text[at:]
    store.write(UAI, {"2025-2026.beancount": text}, TEACHER, "Pointage et caisse")
    changes = coop_history(store.root, UAI, limit=1)[0].changes
    descriptions = [c.description for c in changes]
    assert "Caisse comptée : arrêté de caisse du 10/10/2025 : 65,00\u00a0€" in descriptions
    assert any(d.startswith("Relevé enregistré : relevé du 30/09/2025") for d in descriptions)
    assert any(c.kind == "pointage" and "sur le relevé du 30/09/2025" in c.description for c in changes)

    text = path.read_text()
    start = text.index('2025-10-10 * "Famille 1"')
    end = text.index("\n\n", start) + 2
    # Deleting R001 alone breaks the cash count of the same day: refused.
    with pytest.raises(RuleViolationError, match="Arrêté de caisse du 10/10/2025"):
        store.write(UAI, {"2025-2026.beancount": text[:start] + text[end:]}, TEACHER, "Suppression")
    text = text[:start] + text[end:]
    count = text.index('2025-10-10 custom "arrete-caisse"')
    text = text[:count] + text[text.index("\n\n", count) + 2:]
    store.write(UAI, {"2025-2026.beancount": text}, TEACHER, "Suppression de R001 et du comptage")
    changes = coop_history(store.root, UAI, limit=1)[0].changes
    assert sorted(c.description for c in changes) == [
        "Opération supprimée : R001 du 10/10/2025 : Famille 1, 15,00\u00a0€",
        "Supprimé : arrêté de caisse du 10/10/2025 : 65,00\u00a0€",
    ]


def test_history_filters_and_json_cli(tmp_path):
    store, path = _history_repo(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", "history", UAI, "--auteur", "martin", "--json",
         "--repo", str(store.root)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    commits = json.loads(proc.stdout)
    assert [c["message"] for c in commits] == ["Saisie R001"]
    assert commits[0]["changements"][0]["type"] == "ajout"
    assert commits[0]["changements"][0]["description"].startswith("Opération ajoutée : R001 du 10/10/2025")
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", "history", UAI, "--exercice", "2024-2025",
         "--repo", str(store.root)], capture_output=True, text=True)
    assert proc.stdout.strip() == "Aucun changement trouvé."
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", "history", UAI, "--repo", str(store.root)],
        capture_output=True, text=True)
    assert "Mme Martin <martin@ecole.fr>" in proc.stdout and "+ Opération ajoutée" in proc.stdout


def test_sauvegarde_command(tmp_path):
    store = make_ad_repo(tmp_path / "ad")
    run = lambda: subprocess.run([sys.executable, "-m", "retkoop_tools", "sauvegarde", "--repo", str(store.root)],  # noqa: E731
                                 capture_output=True, text=True)
    proc = run()
    assert proc.returncode == 1 and "aucun dépôt distant de sauvegarde" in proc.stderr
    run_git(store.root, "remote", "add", "origin", str(tmp_path / "absent.git"))
    proc = run()
    assert proc.returncode == 1 and proc.stderr.startswith("Erreur : dépôt distant injoignable (origin)")
    assert "le dépôt distant n'existe pas à cette adresse" in proc.stderr  # git's words told in French
    run_git(tmp_path, "init", "-q", "--bare", str(tmp_path / "absent.git"))
    proc = run()
    assert proc.returncode == 0 and "Sauvegardé vers origin (branche main)." in proc.stdout
    assert run_git(tmp_path / "absent.git", "rev-parse", "main").stdout.strip() == store.head()


def test_commits_made_while_the_remote_refuses_wait_for_the_retry(tmp_path):
    """Each push sends every commit the remote lacks: while it refuses them, a push after every
    commit would cost more and more. The commits wait for the retry, which sends them all."""
    store = make_ad_repo(tmp_path / "ad")
    remote = tmp_path / "sauvegarde.git"
    run_git(tmp_path, "init", "-q", "--bare", str(remote))
    run_git(store.root, "remote", "add", "origin", str(remote))
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    pusher = Pusher(store.root, retry_delays=(6,))
    attempts = []
    real = pusher._push_once
    pusher._push_once = lambda: attempts.append(1) or real()
    try:
        store = Store(store.root, pusher=pusher)
        store.insert_entries(UAI, sale(1), TEACHER, "Saisie R001", EX)
        assert pusher.wait_idle(20)
        assert not pusher.state().ok and "refusé" in pusher.state().last_error
        started = datetime.datetime.now()
        for n in range(2, 6):
            store.insert_entries(UAI, sale(n, day=10 + n), TEACHER, f"Saisie R00{n}", EX)
        if datetime.datetime.now() - started < datetime.timedelta(seconds=5):  # before the retry
            assert len(attempts) == 1  # no push per commit while the remote refuses
        hook.unlink()
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
        while not pusher.state().ok:
            assert datetime.datetime.now() < deadline, "not pushed again"
            pusher.wait_idle(0.2)
        assert run_git(remote, "rev-parse", "main").stdout.strip() == store.head()
        assert len(attempts) == 2  # one retry sent the five commits
    finally:
        pusher.stop()
