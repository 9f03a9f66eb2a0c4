"""One Fava application per coop, created on first use and evicted when unused (LRU).

Each app knows only its coop's `coop.beancount` (and what it includes), so it cannot serve
another coop's files. A vérificateur gets an app of their own per (coop, exercice), keyed
`UAI@2025-2026`, whose ledger holds that exercice only (`fava_scope.py`). Every app renders
Fava's templates with user texts escaped (`fava_templates.py`), and in French
(`fava_francais.py`). Fava's poll watcher is used: it starts no thread, so an evicted app
leaves nothing running behind it.
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fava.application import create_app
from flask import Flask

from retkoop_tools.ad import COOP_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.runner import result_of_load
from retkoop_tools.ledger.anouveaux import OPEN_FROM_KEY
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.policy.files import UnsafeLedgerError, verify_coop_dir
from retkoop_tools.web import fava_hooks  # noqa: F401 - verifies before every Fava load
from retkoop_tools.web import fava_journal  # noqa: F401 - the Journal's entries rendered once each
from retkoop_tools.web import gc_pauses
from retkoop_tools.web.fava_francais import use_french
from retkoop_tools.web.fava_scope import (
    HISTORY,
    create_exercice_app,
    create_history_app,
    scope_key,
)
from retkoop_tools.web.fava_templates import use_escaping_templates

MAX_UPLOAD = 20 * 1024 * 1024  # a phone photo of a receipt, a bank statement


def _patch_fava_url_cache() -> None:
    """Make Fava's url_for cache aware of the coop's prefix.

    Fava 1.30 memoises `flask.url_for` in a module-level `lru_cache` keyed on the endpoint
    and its values only. Several Fava apps in one process, each under its own
    `/coop/<UAI>` prefix, would then share URLs: coop B's pages would load their scripts
    from `/coop/A/static/…`, which B's users may not open. The key gets the script root.
    """
    import fava.application as fava_app
    from flask import request, url_for

    if getattr(fava_app._cached_url_for, "retkoop", False):  # noqa: SLF001
        return

    @functools.lru_cache(maxsize=8192)
    def cached(script_root: str, endpoint: str, items: tuple) -> str:
        return url_for(endpoint, **dict(items))

    def url_for_with_prefix(endpoint: str, **values: str) -> str:
        return cached(request.script_root, endpoint, tuple(sorted(values.items())))

    url_for_with_prefix.retkoop = True  # type: ignore[attr-defined]
    fava_app._cached_url_for = url_for_with_prefix  # noqa: SLF001


_patch_fava_url_cache()


def verify_loadable(coop_dir: Path, uai: str) -> None:
    """Refuse to let Fava load a coop whose files name code, options or other files."""
    violations = verify_coop_dir(coop_dir, uai)
    if violations:
        raise UnsafeLedgerError(violations)


class FavaPool:
    def __init__(self, ad_root: Path, size: int = 50, results: ResultCache | None = None):
        self.ad_root = Path(ad_root)
        self.size = max(1, size)
        #: The rules' results (the store's cache): each load by Fava is also a check, kept so
        #: that the next write on the coop need not load its books once more to compare.
        self.results = results
        self._apps: collections.OrderedDict[str, Flask] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._creating: dict[str, threading.Lock] = {}
        self._loaded_sig: dict[str, tuple] = {}
        self._rw = threading.Condition()
        self._readers: collections.Counter[str] = collections.Counter()
        self._writers: set[str] = set()
        self.created = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._apps)

    def get(self, uai: str, exercice: Exercice | str | None = None) -> Flask:
        """The coop's app; with `exercice`, the app that knows that exercice only; with
        `HISTORY`, the read-only app of every exercice (the closed ones, on demand)."""
        name = scope_key(uai, exercice)
        with self._lock:
            app = self._apps.get(name)
            if app is not None:
                self._apps.move_to_end(name)
                return app
            creating = self._creating.setdefault(name, threading.Lock())
        with creating:  # one creation per app at a time, others wait for it
            with self._lock:
                app = self._apps.get(name)
                if app is not None:
                    return app
            signature = self._signature(uai)
            key = self._results_key(uai) if exercice is None else None
            app = self._create(uai, exercice)
            self._keep_results(uai, app, key)
            with self._lock:
                self._loaded_sig[name] = signature
                self._apps[name] = app
                self.created += 1
                while len(self._apps) > self.size:
                    evicted, _ = self._apps.popitem(last=False)
                    self._loaded_sig.pop(evicted, None)
                    self.evicted += 1
                    gc_pauses.release()  # the evicted app's cycles freed by the next collection
                self._creating.pop(name, None)
            return app

    def _create(self, uai: str, exercice: Exercice | None = None) -> Flask:
        path = str((self.ad_root / LEDGERS_DIRNAME / uai / COOP_FILENAME).resolve())
        verify_loadable(Path(path).parent, uai)  # Fava imports and runs what the files name
        if exercice is None:
            app = create_app([path], load=True, poll_watcher=True)
        elif exercice == HISTORY:
            app = create_history_app(path)
        else:
            app = create_exercice_app(path, exercice)  # type: ignore[arg-type]
        app.config["RETKOOP_POOL_KEY"] = scope_key(uai, exercice)
        app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD
        use_escaping_templates(app)
        use_french(app)
        return app

    @contextmanager
    def reading(self, uai: str) -> Iterator[None]:
        """Many readers of a coop at once, none while it is being written."""
        with self._rw:
            while uai in self._writers:
                self._rw.wait()
            self._readers[uai] += 1
        try:
            yield
        finally:
            with self._rw:
                self._readers[uai] -= 1
                self._rw.notify_all()

    @contextmanager
    def writing(self, uai: str) -> Iterator[None]:
        """One writer of a coop, once its readers are done."""
        with self._rw:
            while uai in self._writers or self._readers[uai]:
                self._rw.wait()
            self._writers.add(uai)
        try:
            yield
        finally:
            with self._rw:
                self._writers.discard(uai)
                self._rw.notify_all()

    def _signature(self, uai: str) -> tuple:
        """What the coop's ledger files and records look like on disk (a few stat calls): some
        rules read the records (quitus, mandataires, adhésion), so they change the load too."""
        coop_dir = self.ad_root / LEDGERS_DIRNAME / uai
        sig = []
        for path in sorted([*coop_dir.glob("*.beancount"), *coop_dir.glob("*.yaml")]):
            stat = path.stat()
            sig.append((path.name, stat.st_mtime_ns, stat.st_size, stat.st_ino))
        return tuple(sig)

    def is_current(self, uai: str, app: Flask) -> bool:
        """Whether the app holds the coop's files as they are on disk (no reload needed)."""
        name = app.config.get("RETKOOP_POOL_KEY", uai)
        current = self._signature(uai)
        with self._lock:
            return self._loaded_sig.get(name) == current

    def mark_dirty(self, uai: str) -> None:
        """The coop's files changed behind Fava's back (a write through the store)."""
        with self._lock:
            for name in [n for n in self._loaded_sig if n == uai or n.startswith(uai + "@")]:
                self._loaded_sig.pop(name, None)

    def reload_if_dirty(self, uai: str, app: Flask) -> None:
        """Reload the coop's ledger if its files changed since it was loaded.

        Fava's JSON API does not look for changes by itself, and another process of the
        portal (or a `git pull`) may have written: the files' signature tells.
        """
        name = app.config.get("RETKOOP_POOL_KEY", uai)
        current = self._signature(uai)
        with self._lock:
            if self._loaded_sig.get(name) == current:
                return
        key = self._results_key(uai) if name == uai else None  # a clamped load is no check
        verify_loadable(self.ad_root / LEDGERS_DIRNAME / uai, uai)
        for ledger in app.config["LEDGERS"].ledgers:
            ledger.load_file()
        self._keep_results(uai, app, key)
        with self._lock:
            self._loaded_sig[name] = current

    def _results_key(self, uai: str) -> str | None:
        return self.results.key(uai) if self.results is not None else None

    def _keep_results(self, uai: str, app: Flask, key: str | None) -> None:
        """Store the check result of the load Fava just did, if the files did not change
        during it (same key before and after) and it is not stored yet."""
        if key is None or self.results is None or self.results.has(key):
            return
        ledger = app.config["LEDGERS"].ledgers[0]
        result = result_of_load(self.results.ad_root, uai, ledger.all_entries, ledger.load_errors, ledger.options)
        if self.results.key(uai) == key:
            self.results.put(key, result.as_dict())

    @staticmethod
    def open_from(app: Flask) -> Exercice | None:
        """The first exercice the app's ledger holds in full (None: it holds every one)."""
        value = app.config["LEDGERS"].ledgers[0].options.get(OPEN_FROM_KEY)
        return Exercice.parse(value) if value else None

    def slug(self, uai: str) -> str:
        return self.get(uai).config["LEDGERS"].first_slug()
