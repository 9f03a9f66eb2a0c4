"""Every coop's summary, kept up to date: only the coops whose files changed are loaded again.

Three levels, from the cheapest:

1. in memory, a coop whose files have the same sizes and times as last time is unchanged;
2. on disk, a summary is kept under a hash of the coop's files (the check cache's key, with
   the YAML files of the CRF, CRA and adhésion), so a new process or another worker of the
   portal finds it without loading the books;
3. in the repository, the summary the store committed beside the books
   (`resume-console.json`, `committed.py`), when its key is that of the coop's files: a new
   installation or a fresh clone reads it without loading the books;
4. otherwise the coop is loaded, in a pool of worker processes when there are many.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount import loader

from retkoop_tools.ad import LEDGERS_DIRNAME, load_ad
from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.runner import default_workers
from retkoop_tools.console import committed
from retkoop_tools.console.committed import summary_cache, summary_cache_dir
from retkoop_tools.console.summary import SUMMARY_VERSION, summarize

Progress = Callable[[int, int], None]


@dataclass
class RefreshStats:
    """What a refresh did: how many coops, and how each was obtained."""

    coops: int = 0
    unchanged: int = 0
    from_disk: int = 0
    from_repo: int = 0  # committed beside the books (resume-console.json)
    computed: int = 0
    seconds: float = 0.0


@dataclass
class _Known:
    signature: tuple
    key: str
    summary: dict[str, Any]


def _signature(coop_dir: Path) -> tuple:
    """Sizes and times of the coop's files, and times of its folders (files added, removed)."""
    parts: list[tuple] = []
    stack = [coop_dir]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for item in it:
                    stat = item.stat(follow_symlinks=False)
                    if item.is_dir(follow_symlinks=False):
                        parts.append((item.path, stat.st_mtime_ns))
                        stack.append(Path(item.path))
                    elif folder == coop_dir:
                        parts.append((item.name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
        except FileNotFoundError:
            return ()
    return tuple(sorted(parts))


# Worker-side state: the AD root, set once per worker process.
_WORKER_ROOT: Path | None = None


def _init_worker(ad_root: str) -> None:
    global _WORKER_ROOT
    _WORKER_ROOT = Path(ad_root)


def _summarize_in_worker(uai: str) -> dict[str, Any]:
    assert _WORKER_ROOT is not None
    return summarize(_WORKER_ROOT, uai)


class Summaries:
    """The summaries of one AD's coops, refreshed on demand; safe to share between threads."""

    def __init__(self, ad_root: Path, cache_dir: Path | None = None, workers: int | None = None,
                 start_method: str = "fork"):
        self.root = Path(ad_root).resolve()
        self.cache_dir = cache_dir or summary_cache_dir()
        self.workers = workers or default_workers()
        self.start_method = start_method
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()  # one refresh at a time
        self._cache: ResultCache | None = None
        self.progress: tuple[int, int] = (0, 0)  # (done, to do) of the refresh running, if any

    # -- reading ------------------------------------------------------------------------------
    def all(self) -> dict[str, dict[str, Any]]:
        """The summaries known now (possibly while a refresh is running), by UAI."""
        return {uai: known.summary for uai, known in sorted(self._known.items())}

    def keyed(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """The summaries known now with the key of the files each was computed for, by UAI."""
        return {uai: (known.key, known.summary) for uai, known in sorted(self._known.items())}

    def get(self, uai: str) -> dict[str, Any] | None:
        known = self._known.get(uai)
        return known.summary if known else None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    # -- refreshing ---------------------------------------------------------------------------
    def _ad_cache(self) -> ResultCache:
        """The disk cache, built again when the AD's rules (ad.yaml, chart) changed."""
        cache = summary_cache(self.root, self.cache_dir)
        if cache is not self._cache:
            self._cache = cache
            self._known.clear()
        return cache

    def refresh(self, on_progress: Progress | None = None) -> RefreshStats:
        """Bring every summary up to date; returns what it did."""
        with self._lock:
            return self._refresh(on_progress)

    def _refresh(self, on_progress: Progress | None) -> RefreshStats:
        start = time.perf_counter()
        loader.initialize(use_cache=False)  # Beancount's pickles would land in the coops' folders
        cache = self._ad_cache()
        uais = load_ad(self.root).uais()
        stats = RefreshStats(coops=len(uais))
        for gone in set(self._known) - set(uais):
            del self._known[gone]
        todo: dict[str, tuple[tuple, str]] = {}
        for uai in uais:
            signature = _signature(self.root / LEDGERS_DIRNAME / uai)
            known = self._known.get(uai)
            if known is not None and known.signature == signature:
                stats.unchanged += 1
                continue
            key = cache.key(uai)
            if known is not None and known.key == key:
                known.signature = signature
                stats.unchanged += 1
                continue
            stored = cache.get(key)
            if stored is not None and stored.get("version") == SUMMARY_VERSION:
                self._known[uai] = _Known(signature, key, stored)
                stats.from_disk += 1
                continue
            stored = committed.read(self.root / LEDGERS_DIRNAME / uai, key, SUMMARY_VERSION)
            if stored is not None:
                self._known[uai] = _Known(signature, key, stored)
                stats.from_repo += 1
                continue
            todo[uai] = (signature, key)
        self.progress = (0, len(todo))
        if on_progress:
            on_progress(0, len(todo))

        def finished(summary: dict[str, Any]) -> None:
            signature, key = todo[summary["uai"]]
            cache.put(key, summary)
            self._known[summary["uai"]] = _Known(signature, key, summary)
            stats.computed += 1
            self.progress = (stats.computed, len(todo))
            if on_progress:
                on_progress(stats.computed, len(todo))

        workers = min(self.workers, len(todo))
        if workers <= 1 or len(todo) <= 2:
            for uai in todo:
                finished(summarize(self.root, uai))
        else:
            context = multiprocessing.get_context(self.start_method)
            chunksize = max(1, min(8, len(todo) // (workers * 8)))
            with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                     initargs=(str(self.root),)) as pool:
                for summary in pool.map(_summarize_in_worker, list(todo), chunksize=chunksize):
                    finished(summary)
        self.progress = (0, 0)
        stats.seconds = time.perf_counter() - start
        return stats
