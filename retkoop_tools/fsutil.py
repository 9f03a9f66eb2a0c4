"""Files: atomic writes (a reader sees the old file or the new one, never a mix), and their
digests remembered while they are unchanged."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path


def atomic_write(path: Path | str, text: str | bytes, durable: bool = True) -> None:
    """Write `text` (or bytes) to `path` through a temporary file, fsync, then rename over it.

    `durable=False` skips the fsyncs: still never a half-written file, but a power cut may
    lose it (for caches).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if isinstance(text, bytes):
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if not durable:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def current_umask() -> int:
    """The process's umask (read from /proc when it can be, without changing it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_private(*folders: Path) -> None:
    """Files created from now on, and these folders, are for this user only (0700/0600).

    The AD's repository holds every coop's books and the instance folder the accounts'
    password hashes: another user of the server reads neither.
    """
    os.umask(0o077)
    for folder in folders:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, folder.stat().st_mode & 0o700)


#: A file's digest, remembered under what `stat` says of it: device, inode, size, modification
#: and change times. The change time (ctime) is the kernel's, set on every write and rename,
#: and no user can set it back. As git does for its index, a file changed less than
#: `_RACY_NS` before it was read is not remembered: its times could be those of a write that
#: comes next in the same tick of the clock.
_DIGESTS: dict[str, tuple[tuple, bytes]] = {}
_DIGESTS_LOCK = threading.Lock()
_RACY_NS = 2_000_000_000
_MAX_DIGESTS = 50_000


def file_digest(path: Path | str) -> bytes:
    """The SHA-256 digest of the file's content (OSError if it cannot be read)."""
    name = os.fspath(path)
    st = os.stat(name)
    signature = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _DIGESTS_LOCK:
        found = _DIGESTS.get(name)
    if found is not None and found[0] == signature:
        return found[1]
    with open(name, "rb") as handle:
        digest = hashlib.sha256(handle.read()).digest()
    after = os.stat(name)
    unchanged = (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) == signature
    if unchanged and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS:
        with _DIGESTS_LOCK:
            if len(_DIGESTS) >= _MAX_DIGESTS:
                _DIGESTS.clear()
            _DIGESTS[name] = (signature, digest)
    return digest
