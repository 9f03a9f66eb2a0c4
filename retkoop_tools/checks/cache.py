"""Results of checks, kept by content: a coop whose files did not change is not loaded again.

The key of a coop is a hash of everything its check depends on: the text of its ledger files,
the names of its documents, the AD's `ad.yaml` and chart, and the code of the rules
(our plugins, the messages, Beancount's version). Change any of it and the coop is checked
again. None of the rules depends on today's date.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME, DEFAULT_CHART_PATH
from retkoop_tools.fsutil import atomic_write

CACHE_ENV = "RETKOOP_CACHE_DIR"


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
        Path(retkoop_tools.__file__).parent / "chart" / "__init__.py",
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
                 contents: tuple[str, ...] = (".beancount",)):
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
            if path.is_file():
                h.update(rel.encode() + b"\0")
                if path.suffix in self.contents:
                    h.update(path.read_bytes())
                h.update(b"\0")
        return h.hexdigest()

    def get(self, key: str) -> dict | None:
        try:
            return json.loads((self.directory / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: dict) -> None:
        try:
            atomic_write(self.directory / key[:2] / f"{key}.json", json.dumps(value, ensure_ascii=False), durable=False)
        except OSError:
            pass  # a cache that cannot be written is only slower
