"""One lock per repository, held across the threads of a process and across processes.

Threads of one process share a re-entrant thread lock; processes (web workers, CLI, hooks)
serialise on an `flock` of `.git/retkoop.lock`. A process killed while holding it releases
the file lock with its file descriptors.

The git commands run under a lock inherit its descriptor (`held_fds`): an `flock` lasts until
every descriptor of it is closed, so when a writer is killed while git runs, the lock stays
held until that orphaned git exits too. The next writer never sees, nor cleans up after, a git
command that is still running.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_THREAD_LOCKS: dict[str, threading.RLock] = {}
_GUARD = threading.Lock()
_HELD = threading.local()  # .fds: lock path → descriptor, for the file locks this thread holds


def _held() -> dict[str, int]:
    fds = getattr(_HELD, "fds", None)
    if fds is None:
        fds = _HELD.fds = {}
    return fds


def held_fds() -> tuple[int, ...]:
    """The descriptors of the file locks this thread holds (to pass on to child processes)."""
    return tuple(_held().values())


def _thread_lock(key: str) -> threading.RLock:
    with _GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.RLock())


@contextmanager
def repo_lock(git_dir: Path, name: str = "retkoop.lock") -> Iterator[None]:
    """Hold the lock `name` of the repository whose git folder is `git_dir`.

    `retkoop.lock` guards git itself (index, refs); `retkoop-<UAI>.lock` guards one coop's
    files while a write is checked, so that coops are checked in parallel.
    """
    key = str(Path(git_dir).resolve() / name)
    held = _held()
    with _thread_lock(key):
        if key in held:  # re-entered by the same thread: the outer frame holds the file lock
            yield
            return
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held[key] = fd
            try:
                yield
            finally:
                del held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
