"""The AD's repository and the instance folder are readable by the portal's user only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from retkoop_tools.fsutil import atomic_write


def test_make_private_closes_the_folders_and_new_files(tmp_path):
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from retkoop_tools.fsutil import atomic_write, make_private\n"
        "root, instance = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "make_private(root, instance)\n"
        "atomic_write(root / 'nouveau.beancount', 'x')\n"
        "(instance / 'comptes.sqlite').write_text('')\n"
    )
    root, instance = tmp_path / "ad", tmp_path / "instance"
    root.mkdir(mode=0o755)
    subprocess.run([sys.executable, "-c", script, str(root), str(instance)], check=True)
    for folder in (root, instance):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
    for path in (root / "nouveau.beancount", instance / "comptes.sqlite"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, oct(path.stat().st_mode)


def test_atomic_write_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
