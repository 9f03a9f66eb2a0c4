"""A file's digest remembered while the file is unchanged (`fsutil.file_digest`)."""

from __future__ import annotations

import hashlib
import os
import time

from retkoop_tools import fsutil


def _age(path, seconds=10):
    """Make the file look written `seconds` ago (its ctime stays the kernel's: now)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_digest_is_the_content_s_and_follows_every_change(tmp_path, monkeypatch):
    path = tmp_path / "2024-2025.beancount"
    path.write_bytes(b"ancien contenu\n")
    assert fsutil.file_digest(path) == hashlib.sha256(b"ancien contenu\n").digest()
    # A file changed in the last two seconds is not remembered (its times could be a later
    # write's in the same tick): rewritten with the same size and times, it is read again.
    path.write_bytes(b"autre contenu\n")
    stat = path.stat()
    assert fsutil.file_digest(path) == hashlib.sha256(b"autre contenu\n").digest()
    assert str(path) not in fsutil._DIGESTS
    # An old file is remembered, and a write in place — its modification time put back, its
    # size the same — is still seen: the change time is the kernel's.
    monkeypatch.setattr(fsutil, "_RACY_NS", 0)
    _age(path)
    assert fsutil.file_digest(path) == hashlib.sha256(b"autre contenu\n").digest()
    assert str(path) in fsutil._DIGESTS
    time.sleep(0.02)
    with open(path, "r+b") as handle:
        handle.write(b"AUTRE")
    os.utime(path, ns=(stat.st_atime_ns, path.stat().st_mtime_ns - 10**10))
    _age(path)
    assert fsutil.file_digest(path) == hashlib.sha256(b"AUTRE contenu\n").digest()
    # Replaced by a rename (as the store writes): another inode.
    other = tmp_path / "nouveau"
    other.write_bytes(b"AUTRE contenu\n".replace(b"AUTRE", b"autre"))
    os.replace(other, path)
    assert fsutil.file_digest(path) == hashlib.sha256(b"autre contenu\n").digest()


def test_a_missing_file_is_an_oserror(tmp_path):
    import pytest

    with pytest.raises(OSError):
        fsutil.file_digest(tmp_path / "absent")
