"""Check many coops' ledgers at once: one pool of worker processes, French messages.

Starting an interpreter and importing Beancount costs more than loading a coop's ledger, so
the ledgers are loaded by a few long-lived workers (forked once, imports done) rather than by
one `bean-check` process each.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from beancount import loader
from beancount.core import data

from retkoop_tools.ad import AD, AD_FILENAME, COOP_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.messages import is_ours, to_french
from retkoop_tools.checks.regles import AVERTISSEMENT, ERREUR, level_of
from retkoop_tools.ledger.conventions import CUSTOM_COOPERATIVE
from retkoop_tools.ledger.standalone import (
    Loaded,
    UnsafeLedgerError,
    count_operations,
    load_books,
)


@dataclass(frozen=True)
class CheckError:
    """One problem in a coop's books, where to find it, and what to do, in French; `level` is
    erreur (the books are wrong) or avertissement (probably wrong; shown, never blocking)."""

    uai: str
    file: str
    line: int
    message: str
    level: str = ERREUR

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CoopResult:
    uai: str
    nom: str = ""
    errors: list[CheckError] = field(default_factory=list)  # erreurs only
    operations: int = 0
    seconds: float = 0.0
    warnings: list[CheckError] = field(default_factory=list)  # avertissements

    @property
    def ok(self) -> bool:
        """No erreur (avertissements never make a coop fail)."""
        return not self.errors

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: dict) -> CoopResult:
        value = dict(value)
        errors = [CheckError(**e) for e in value.pop("errors")]
        warnings = [CheckError(**e) for e in value.pop("warnings", [])]
        return cls(errors=errors, warnings=warnings, **value)


def _relative(filename: str, ad_root: Path) -> str:
    if not filename or filename.startswith("<"):
        return "coop.beancount"
    try:
        return str(Path(filename).resolve().relative_to(ad_root))
    except ValueError:
        return filename


def check_coop(ad_root: Path, uai: str, *, full: bool = False,
               texts: Mapping[str, str | bytes | None] | None = None) -> CoopResult:
    """Load one coop's ledger with its plugins and return its errors in French.

    The open exercices are loaded on their own after the closed ones' à-nouveaux
    (`ledger.standalone`); `full` loads every exercice. `texts` (path in the coop's folder →
    content, None: deleted) are checked in place of what the disk holds."""
    return load_and_check(ad_root, uai, full=full, texts=texts)[1]


def load_checked(ad_root: Path, uai: str) -> tuple[list, CoopResult]:
    """Load one coop's ledger with its plugins: its entries, and its errors in French."""
    loaded, result = load_and_check(ad_root, uai)
    return (loaded.entries if loaded is not None else []), result


def load_and_check(ad_root: Path, uai: str, *, full: bool = False,
                   texts: Mapping[str, str | bytes | None] | None = None) -> tuple[Loaded | None, CoopResult]:
    """The load of one coop (None when it could not be loaded) and the check's result."""
    start = time.perf_counter()
    path = Path(ad_root) / LEDGERS_DIRNAME / uai / COOP_FILENAME
    if not path.is_file() and not (texts and texts.get(COOP_FILENAME)):
        result = CoopResult(uai=uai)
        result.errors.append(
            CheckError(uai, _relative(str(path), ad_root), 0, f"La coopérative {uai} n'existe pas.")
        )
        return None, result
    try:
        loaded = load_books(path.parent, uai, texts=texts, full=full)
    except UnsafeLedgerError as exc:  # not loaded: what it holds is the coop's error
        result = CoopResult(uai=uai)
        result.errors = [CheckError(uai, f"{LEDGERS_DIRNAME}/{uai}/{v.file}", v.line, v.message)
                         for v in exc.violations]
        result.seconds = time.perf_counter() - start
        return None, result
    result = result_of_load(ad_root, uai, loaded.entries, loaded.errors, loaded.options)
    result.seconds = time.perf_counter() - start
    return loaded, result


def result_of_load(ad_root: Path, uai: str, entries: list, errors: list, options: dict | None = None) -> CoopResult:
    """The check's result from a load of the coop's ledger done elsewhere (e.g. by Fava, whose
    loader is ours, with the same plugins)."""
    result = CoopResult(uai=uai)
    result.operations = count_operations(entries, options or {})
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_COOPERATIVE:
            result.nom = str(entry.meta.get("nom", ""))
    seen = set()
    for error in errors:
        source = error.source or {}
        filename = _relative(str(source.get("filename", "")), ad_root)
        line = int(source.get("lineno") or 0)
        message = error.message if is_ours(error) else to_french(str(error.message))
        if not is_ours(error) and message.startswith("Erreur Beancount") and "\n" in str(
            error.message
        ):
            message += " " + str(error.message).strip().splitlines()[-1]
        level = level_of(error)
        key = (filename, line, message)
        if key not in seen:
            seen.add(key)
            found = CheckError(uai, filename, line, message, level)
            (result.warnings if level == AVERTISSEMENT else result.errors).append(found)
    # By place, then message: a standalone load gives the closed exercices' kept errors after
    # the rules' own, and must list them as a full load does.
    result.errors.sort(key=lambda e: (e.file, e.line, e.message))
    result.warnings.sort(key=lambda e: (e.file, e.line, e.message))
    return result


# Worker-side state: the AD root, set once per worker process.
_WORKER_ROOT: Path | None = None


def _init_worker(ad_root: str) -> None:
    global _WORKER_ROOT
    _WORKER_ROOT = Path(ad_root)


def _check_in_worker(uai: str) -> CoopResult:
    assert _WORKER_ROOT is not None
    return check_coop(_WORKER_ROOT, uai)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def check_many(
    ad_root: Path,
    uais: Iterable[str],
    workers: int | None = None,
    on_result: Callable[[CoopResult], None] | None = None,
    cache: ResultCache | None = None,
) -> list[CoopResult]:
    """Check every coop of `uais`, in one pool of `workers` processes; results in order.

    With a `cache`, a coop whose files are unchanged since a previous check gets that
    check's result without being loaded again.
    """
    # Beancount's pickle cache would write files into the coops' folders, and is keyed on
    # file times, not on our plugins' code: it stays off.
    loader.initialize(use_cache=False)
    uais = list(uais)
    done: dict[str, CoopResult] = {}
    keys: dict[str, str] = {}
    if cache is not None:
        for uai in uais:
            keys[uai] = cache.key(uai)
            hit = cache.get(keys[uai])
            if hit is not None:
                done[uai] = CoopResult.from_dict(hit)
                if on_result:
                    on_result(done[uai])
    todo = [u for u in uais if u not in done]

    def finished(result: CoopResult) -> None:
        done[result.uai] = result
        if cache is not None:
            cache.put(keys[result.uai], result.as_dict())
        if on_result:
            on_result(result)

    workers = min(workers or default_workers(), max(1, len(todo)))
    if workers == 1:
        for uai in todo:
            finished(check_coop(ad_root, uai))
    else:
        # fork: the workers inherit Beancount and our plugins already imported.
        context = multiprocessing.get_context("fork")
        chunksize = max(1, min(16, len(todo) // (workers * 8)))
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker,
            initargs=(str(ad_root),),
        ) as pool:
            for result in pool.map(_check_in_worker, todo, chunksize=chunksize):
                finished(result)
    return [done[u] for u in uais]


class GitRevisionError(Exception):
    """The revision given to --since is unknown; the message is in French."""


def changed_uais(ad: AD, since: str) -> list[str]:
    """Coops whose files changed since `since` (committed or not); all when the AD's rules did."""
    def git(*args: str) -> list[str]:
        proc = subprocess.run(
            ["git", "-C", str(ad.root), *args], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise GitRevisionError(
                f"git n'a pas pu comparer avec « {since} » : {proc.stderr.strip() or 'erreur'}"
            )
        # -z: paths as they are, never C-quoted (a file name with an accent or a newline).
        return [path for path in proc.stdout.split("\0") if path]

    # Both listings are relative to the AD's root, even when it is a sub-folder of the repo.
    paths = git("diff", "-z", "--name-only", "--no-renames", "--relative", since, "--")
    paths += git("ls-files", "-z", "--others", "--exclude-standard")
    all_uais = ad.uais()
    changed: set[str] = set()
    for rel in paths:
        parts = Path(rel).parts
        if rel in (AD_FILENAME, AD_CHART_FILENAME):
            return all_uais
        if len(parts) >= 2 and parts[0] == LEDGERS_DIRNAME and parts[1] in all_uais:
            changed.add(parts[1])
    return sorted(changed)
