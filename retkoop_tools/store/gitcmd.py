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


#: Characters of input a pipe takes without waiting for git to read (Linux gives 64 KiB; a
#: character is at most 4 bytes).
_PIPE_ROOM = 4096

_NO_SPACE = ("No space left on device", "Out of diskspace", "Read-only file system", "Disk quota exceeded")


def git(cwd: Path | str, *args: str, env: dict[str, str] | None = None, input: str | None = None,
        check: bool = True) -> str:
    """Run `git args` in `cwd` and return its standard output."""
    return git_started(cwd, *args, env=env, input=input).wait(check)


class Running:
    """A git command started (`git_started`): `wait` for its output, as `git` returns it."""

    def __init__(self, args: tuple[str, ...], proc: subprocess.Popen, input: str | None):
        self.args = args
        self.proc = proc
        self.input = input  # what is left to write to git

    def wait(self, check: bool = True) -> str:
        stdout, stderr = self.proc.communicate(self.input)
        if check and self.proc.returncode != 0:
            message = f"git {' '.join(self.args[:3])} a échoué : {stderr.strip() or stdout.strip()}"
            if any(marker in stderr for marker in _NO_SPACE):
                error = GitNoSpaceError(message)
                error.errno = errno.ENOSPC
                raise error
            raise GitError(message)
        return stdout


def git_started(cwd: Path | str, *args: str, env: dict[str, str] | None = None,
                input: str | None = None, input_later: bool = False) -> Running:
    """Start `git args` in `cwd` (its input written), for the caller to work meanwhile and then
    `wait` for it. With `input_later`, git waits for its input: the caller sets the `input` of
    what is returned before it `wait`s (left None, git reads nothing)."""
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
    proc = subprocess.Popen(
        ["git", *args], cwd=str(cwd), env=full_env, stdin=subprocess.PIPE if input is not None or input_later else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=held_fds(),
    )
    if input is not None and len(input) < _PIPE_ROOM:  # written now, without blocking: git starts
        try:
            proc.stdin.write(input)
            proc.stdin.close()
        except BrokenPipeError:  # git stopped before reading: its error says why
            pass
        proc.stdin = None  # closed: `communicate` only reads
        input = None
    return Running(args, proc, input)


def is_git_repo(path: Path) -> bool:
    return git(path, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"


def git_dir(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--absolute-git-dir").strip())
