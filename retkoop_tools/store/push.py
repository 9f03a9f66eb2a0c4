"""The automatic backup: a background worker pushes each commit to the AD's remote.

Writes ask for a push and return at once; the worker pushes, retries with growing delays
while the remote is unreachable, and says in French how the backup stands.
"""

from __future__ import annotations

import datetime
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retkoop_tools.fr import fmt_date


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
        with self._lock:
            return PushState(self._pushed_at, self._failing_since, self._last_error, self._pending)

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
                if error is None:
                    self._pushed_at = self.clock()
                    self._failing_since = None
                    self._last_error = ""
                    attempt = 0
                else:
                    self._failing_since = self._failing_since or self.clock()
                    self._last_error = error
                    self._pending = True
                if not self._pending:
                    self._idle.set()
            if error is not None:
                self._idle.set()  # nothing more will happen before the retry
                delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
                attempt += 1
                # Sleep until the retry, unless a new commit asks for a push before.
                deadline = time.monotonic() + delay
                while not self._stop and time.monotonic() < deadline and not self._wake.is_set():
                    self._wake.wait(min(0.5, max(0.0, deadline - time.monotonic())))
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
    lines = proc.stderr.strip().splitlines() or ["erreur"]
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[0])


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
