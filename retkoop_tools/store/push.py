"""The automatic backup: a background worker pushes each commit to the AD's remote.

Writes ask for a push and return at once; the worker pushes, retries with growing delays
while the remote is unreachable or refuses (the commits made meanwhile wait for the retry,
which sends them all), and says in French how the backup stands.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retkoop_tools.fr import fmt_date
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.store.gitcmd import git_dir

#: How the backup stands, shared by the portal's processes (in the repository's .git).
STATUS_FILENAME = "retkoop-sauvegarde.json"


@dataclass(frozen=True)
class PushState:
    """What the backup looks like now."""

    pushed_at: datetime.datetime | None
    failing_since: datetime.datetime | None
    last_error: str
    pending: bool

    @property
    def ok(self) -> bool:
        return self.failing_since is None

    def describe(self, now: datetime.datetime | None = None) -> str:
        """`sauvegardé il y a 2 min` / `dépôt distant injoignable depuis le 12/03/2026 à 14:02`."""
        now = now or datetime.datetime.now()
        if self.failing_since is not None:
            since = self.failing_since
            when = f"{since:%H:%M}" if since.date() == now.date() else f"le {fmt_date(since)} à {since:%H:%M}"
            return f"dépôt distant injoignable depuis {when}"
        if self.pushed_at is None:
            return "sauvegarde en attente" if self.pending else "pas encore sauvegardé"
        return ("sauvegarde en cours, dernière " if self.pending else "sauvegardé ") + _ago(now - self.pushed_at)


def _ago(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "à l'instant"
    if seconds < 3600:
        return f"il y a {seconds // 60} min"
    if seconds < 86400:
        return f"il y a {seconds // 3600} h"
    return f"il y a {seconds // 86400} j"


class Pusher:
    """Pushes `branch` of the repository at `root` to `remote`, in a daemon thread."""

    def __init__(self, root: Path, remote: str = "origin", branch: str = "main",
                 retry_delays: Sequence[float] = (2, 10, 30, 120, 300), timeout: float = 60,
                 clock: Callable[[], datetime.datetime] = datetime.datetime.now):
        self.root, self.remote, self.branch = Path(root), remote, branch
        self.retry_delays, self.timeout, self.clock = tuple(retry_delays), timeout, clock
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._stop = False
        self._pending = False
        self._pushed_at: datetime.datetime | None = None
        self._failing_since: datetime.datetime | None = None
        self._last_error = ""
        self._attempted_at: datetime.datetime | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="retkoop-push", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a push (returns at once)."""
        with self._lock:
            self._pending = True
            self._idle.clear()
        self._wake.set()

    def state(self) -> PushState:
        """This process's view, updated by the last attempt of any process (they all push the
        same branch to the same remote: the latest attempt tells how the backup stands)."""
        with self._lock:
            pushed_at, failing_since, error = self._pushed_at, self._failing_since, self._last_error
            seen = self._attempted_at
            pending = self._pending
        shared = self._read_shared()
        if shared is not None and (seen is None or shared["attempted_at"] > seen):
            pushed_at, failing_since, error = shared["pushed_at"], shared["failing_since"], shared["error"]
        return PushState(pushed_at, failing_since, error, pending)

    def _status_file(self) -> Path:
        return git_dir(self.root) / STATUS_FILENAME

    def _read_shared(self) -> dict | None:
        try:
            raw = json.loads(self._status_file().read_text(encoding="utf-8"))
            when = {k: datetime.datetime.fromisoformat(raw[k]) if raw.get(k) else None
                    for k in ("attempted_at", "pushed_at", "failing_since")}
            return {**when, "error": str(raw.get("error", ""))}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_shared(self) -> None:
        value = {"attempted_at": self._attempted_at, "pushed_at": self._pushed_at,
                 "failing_since": self._failing_since, "error": self._last_error}
        text = json.dumps({k: v.isoformat() if isinstance(v, datetime.datetime) else v for k, v in value.items()})
        try:
            atomic_write(self._status_file(), text, durable=False)
        except OSError:
            pass  # the status is a courtesy: a full disk must not stop the pushes

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is left to push (or the remote fails); for tests and shutdown."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=5)

    def _push_once(self) -> str | None:
        return push_now(self.root, self.remote, self.branch, self.timeout)

    def _run(self) -> None:
        attempt = 0
        while not self._stop:
            self._wake.wait()
            if self._stop:
                return
            self._wake.clear()
            with self._lock:
                self._pending = False
            error = self._push_once()
            with self._lock:
                self._attempted_at = self.clock()
                if error is None:
                    self._pushed_at = self.clock()
                    self._failing_since = None
                    self._last_error = ""
                    attempt = 0
                else:
                    self._failing_since = self._failing_since or self.clock()
                    self._last_error = error
                    self._pending = True
                self._write_shared()
                if not self._pending:
                    self._idle.set()
            if error is not None:
                self._idle.set()  # nothing more will happen before the retry
                delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
                attempt += 1
                # Sleep until the retry, even when new commits ask for a push meanwhile: each
                # push sends every commit the remote lacks, so pushing after every commit while
                # it refuses them would cost more and more; the retry sends them all at once.
                deadline = time.monotonic() + delay
                while not self._stop and time.monotonic() < deadline:
                    time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
                self._wake.set()


def push_now(root: Path, remote: str, branch: str, timeout: float = 60) -> str | None:
    """Push HEAD to `remote`'s `branch`, with the closing tags; None on success, else git's
    main complaint. A tag moved by a reopening and a new closing replaces the remote one."""
    try:
        proc = subprocess.run(
            ["git", "push", "--quiet", remote, f"HEAD:refs/heads/{branch}",
             "+refs/tags/*:refs/tags/*"],
            cwd=root, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "délai dépassé"
    if proc.returncode == 0:
        return None
    return french_push_error(proc.stderr)


#: git's complaints on a push, and what they mean for the AD (in French).
_PUSH_ERRORS = (
    ("Could not resolve host", "le nom du serveur distant est introuvable (réseau ou adresse ?)"),
    ("Connection refused", "le serveur distant refuse la connexion"),
    ("Connection timed out", "le serveur distant ne répond pas"),
    ("Permission denied", "accès refusé par le serveur distant (clé SSH ou jeton ?)"),
    ("Authentication failed", "identifiants refusés par le serveur distant"),
    ("does not appear to be a git repository", "le dépôt distant n'existe pas à cette adresse"),
    ("Repository not found", "le dépôt distant n'existe pas à cette adresse"),
    ("non-fast-forward", "le dépôt distant a des commits que ce dépôt n'a pas (récupérez-les d'abord)"),
    ("fetch first", "le dépôt distant a des commits que ce dépôt n'a pas (récupérez-les d'abord)"),
    ("pre-receive hook declined", "le dépôt distant a refusé la poussée (voir ses messages)"),
    ("No space left", "le serveur distant n'a plus de place"),
)


def french_push_error(stderr: str) -> str:
    """git's push error told in French (git's own line kept after it, for the AD's technician)."""
    lines = stderr.strip().splitlines() or ["erreur"]
    main = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0]).strip()
    for english, french in _PUSH_ERRORS:
        if english.lower() in stderr.lower():
            return f"{french} — git : « {main} »"
    return f"échec de git — « {main} »"


def backup_target(ad_root: Path) -> tuple[str, str] | None:
    """The (remote, branch) of the AD's backup from `ad.yaml`, if that remote exists."""
    from retkoop_tools.ad import load_ad
    from retkoop_tools.store.gitcmd import git

    config = load_ad(ad_root).config.get("sauvegarde") or {}
    remote, branch = str(config.get("distant", "origin")), str(config.get("branche", "main"))
    return (remote, branch) if remote in git(ad_root, "remote").split() else None


def pusher_for(ad_root: Path) -> Pusher | None:
    """A started backup worker for the AD repository, or None when it has no remote."""
    target = backup_target(ad_root)
    return Pusher(ad_root, *target) if target else None
