"""Running git: a thin, explicit wrapper (hot paths call the git binary, not GitPython)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

from retkoop_tools.store.lock import held_fds


class GitError(RuntimeError):
    """A git command failed; the message says which, with git's own words."""


class GitNoSpaceError(GitError, OSError):
    """git failed for want of disk space (or a read-only disk): an OSError like any other write."""


_NO_SPACE = ("No space left on device", "Out of diskspace", "Read-only file system", "Disk quota exceeded")


def git(cwd: Path | str, *args: str, env: dict[str, str] | None = None, input: str | None = None,
        check: bool = True) -> str:
    """Run `git args` in `cwd` and return its standard output."""
    full_env = dict(os.environ)
    # Hooks run git with GIT_DIR / GIT_INDEX_FILE set for *their* repository: never inherit
    # them into a command aimed at another one.
    for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX"):
        if env is None or var not in env:
            full_env.pop(var, None)
    full_env.setdefault("LC_ALL", "C")
    if env:
        full_env.update(env)
    # The locks held go with the command: killed here, we leave them held until git is done.
    proc = subprocess.run(
        ["git", *args], cwd=str(cwd), env=full_env, input=input, capture_output=True, text=True,
        pass_fds=held_fds(),
    )
    if check and proc.returncode != 0:
        message = f"git {' '.join(args[:3])} a échoué : {proc.stderr.strip() or proc.stdout.strip()}"
        if any(marker in proc.stderr for marker in _NO_SPACE):
            error = GitNoSpaceError(message)
            error.errno = errno.ENOSPC
            raise error
        raise GitError(message)
    return proc.stdout


def is_git_repo(path: Path) -> bool:
    return git(path, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"


def git_dir(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--absolute-git-dir").strip())
