"""Results of checks, kept by content: a coop whose files did not change is not loaded again.

The key of a coop is a hash of everything its check depends on: the text of its ledger files
and of its records (`crf-…yaml`, `mandataires.yaml`, `adhesion-…yaml`, which some rules read),
the names of its documents, the AD's `ad.yaml` (rule settings included) and chart, and the code
of the rules (our plugins, the messages, Beancount's version). A result holds the coop's
erreurs and its avertissements. Change any of it and the coop is checked
again. None of the rules depends on today's date.

Every write makes a new key, so the cache is bounded: a result read is touched, and once in
a while (at most every `PRUNE_INTERVAL` seconds, across processes) the results read or
written the longest ago are removed until the folder is back under its size
(`RETKOOP_CACHE_MAX_MO`, 200 Mo by default). A result removed is only computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME, DEFAULT_CHART_PATH
from retkoop_tools.fsutil import atomic_write, file_digest

CACHE_ENV = "RETKOOP_CACHE_DIR"
MAX_SIZE_ENV = "RETKOOP_CACHE_MAX_MO"
DEFAULT_MAX_MB = 200
PRUNE_INTERVAL = 600  # seconds between two looks at the folder's size
PRUNE_MARKER = ".elagage"
#: The console's summary that the store commits beside the books (`console/committed.py`):
#: derived from the other files, so never part of a key.
SUMMARY_FILENAME = "resume-console.json"


def max_cache_bytes() -> int:
    try:
        return max(1, int(os.environ.get(MAX_SIZE_ENV, DEFAULT_MAX_MB))) * 1024 * 1024
    except ValueError:
        return DEFAULT_MAX_MB * 1024 * 1024


def prune(directory: Path, max_bytes: int) -> int:
    """Remove the results used the longest ago until `directory` holds at most 80 % of
    `max_bytes` (when it holds more than `max_bytes`). Returns how many were removed."""
    files: list[tuple[float, int, str]] = []
    total = 0
    try:
        folders = [d for d in os.scandir(directory) if d.is_dir() and len(d.name) == 2]
    except OSError:
        return 0
    for folder in folders:
        try:
            with os.scandir(folder.path) as it:
                for item in it:
                    if item.name.endswith(".json"):
                        try:
                            stat = item.stat()
                        except OSError:
                            continue
                        files.append((stat.st_mtime, stat.st_size, item.path))
                        total += stat.st_size
        except OSError:
            continue
    if total <= max_bytes:
        return 0
    removed = 0
    for _, size, path in sorted(files):
        if total <= max_bytes * 0.8:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retkoop" / "check"


def _code_fingerprint(extra: tuple[Path, ...] = ()) -> str:
    """A hash of the code that decides the results: our rules, messages, Beancount's version."""
    import beancount
    import retkoop_plugins

    import retkoop_tools

    h = hashlib.sha256(f"beancount {beancount.__version__}\n".encode())
    sources = [
        *sorted(Path(retkoop_plugins.__file__).parent.glob("*.py")),
        *sorted((Path(retkoop_tools.__file__).parent / "ledger").glob("*.py")),
        *sorted((Path(retkoop_tools.__file__).parent / "checks").glob("*.py")),
        *sorted((Path(retkoop_tools.__file__).parent / "policy").glob("*.py")),  # header and file checks
        Path(retkoop_tools.__file__).parent / "chart" / "__init__.py",
        # What some rules read besides the books: ad.yaml's settings, the adhésion, the quitus.
        Path(retkoop_tools.__file__).parent / "ad.py",
        Path(retkoop_tools.__file__).parent / "adhesion" / "model.py",
        Path(retkoop_tools.__file__).parent / "documents" / "dossier.py",
        Path(retkoop_tools.__file__).parent / "documents" / "mandataires.py",
        DEFAULT_CHART_PATH,
        *extra,
    ]
    for path in sources:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class ResultCache:
    """Check results on disk, one small JSON file per key.

    Other results computed from a coop's files (the AD console's summaries) use the same
    cache with their own `directory`, the `code` they depend on, and the file `contents`
    (by suffix) that decide them.
    """

    def __init__(self, ad_root: Path, directory: Path | None = None, *, code: tuple[Path, ...] = (),
                 contents: tuple[str, ...] = (".beancount", ".yaml")):
        self.ad_root = Path(ad_root)
        self.directory = directory or default_cache_dir()
        self.contents = contents
        h = hashlib.sha256(_code_fingerprint(tuple(sorted(code))).encode())
        for name in (AD_FILENAME, AD_CHART_FILENAME):
            path = self.ad_root / name
            h.update(name.encode() + b"\0")
            if path.exists():
                h.update(path.read_bytes())
        self._base = h.digest()

    def key(self, uai: str) -> str:
        """The key of a coop's current files."""
        h = hashlib.sha256(self._base)
        coop_dir = self.ad_root / LEDGERS_DIRNAME / uai
        for path in sorted(coop_dir.rglob("*")):
            rel = path.relative_to(coop_dir).as_posix()
            if path.is_file() and rel != SUMMARY_FILENAME:
                h.update(rel.encode() + b"\0")
                if path.suffix in self.contents:
                    h.update(file_digest(path))  # remembered while the file is unchanged
                h.update(b"\0")
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        try:
            os.utime(path)  # used now: pruned last
        except OSError:
            pass
        return value

    def put(self, key: str, value: dict) -> None:
        try:
            atomic_write(self._path(key), json.dumps(value, ensure_ascii=False), durable=False)
        except OSError:
            return  # a cache that cannot be written is only slower
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        marker = self.directory / PRUNE_MARKER
        try:
            if time.time() - marker.stat().st_mtime < PRUNE_INTERVAL:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        try:
            marker.touch()
        except OSError:
            return
        prune(self.directory, max_cache_bytes())
