"""Each coop's console summary, kept in the repository beside its books (`resume-console.json`).

A new installation of the console (a fresh clone, a new server) reads 650 small files instead
of loading 650 coops' books. The file is derived data, never typed:

- the store writes it in the same commit as each write it makes (`Store.write`): the summary
  of the books as that commit leaves them, from the load the rules' check has just made;
- `retkoop ad resumes` writes, in one commit, those that are missing or stale (a commit made
  by hand with git, an upgrade of retkoop that changed the summaries);
- it holds the key it was computed for: the console's cache key, a hash of the coop's files,
  of ad.yaml and the chart, and of the code of the rules and of the summary. The console uses
  it only while that key is the one of the coop's files for the code it runs: a stale summary
  is computed again, never shown;
- the hooks and CI refuse a commit that adds or changes one unless it is exactly what the
  version that checks the commit computes for the commit's files (`summary_problems`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import retkoop_tools
from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.cache import SUMMARY_FILENAME, ResultCache, default_cache_dir

_PACKAGE = Path(retkoop_tools.__file__).parent
#: The code a summary depends on, besides the rules (the check cache's fingerprint has those).
SUMMARY_CODE = tuple(
    path for folder in ("console", "documents", "tresorier", "adhesion", "cloture")
    for path in sorted((_PACKAGE / folder).glob("*.py"))
)


def summary_cache_dir() -> Path:
    return default_cache_dir() / "console"


_CACHES: dict[tuple, ResultCache] = {}


def summary_cache(ad_root: Path, cache_dir: Path | None = None) -> ResultCache:
    """The summaries' cache of an AD (its keys are those the committed summaries carry), built
    again when ad.yaml or the chart changed."""
    root = Path(ad_root).resolve()
    directory = cache_dir or summary_cache_dir()
    signature = (str(root), str(directory), *(
        (root / name).stat().st_mtime_ns if (root / name).exists() else 0
        for name in (AD_FILENAME, AD_CHART_FILENAME)))
    cache = _CACHES.get(signature)
    if cache is None:
        if len(_CACHES) > 16:
            _CACHES.clear()
        cache = _CACHES[signature] = ResultCache(root, directory, code=SUMMARY_CODE,
                                                 contents=(".beancount", ".yaml"))
    return cache


def render(key: str, summary: Mapping[str, Any]) -> str:
    """The file's text: one key per line, sorted, so that a git diff shows what changed."""
    return json.dumps({"cle": key, "resume": summary}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read(coop_dir: Path, key: str, version: int) -> dict[str, Any] | None:
    """The committed summary of the coop, when it was computed for `key` (the coop's files as
    they are, with this code) and is of this `version`; else None."""
    path = Path(coop_dir) / SUMMARY_FILENAME
    try:
        if path.is_symlink():  # never followed (the hooks refuse links in a coop's folder)
            return None
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("cle") != key:
        return None
    summary = kept.get("resume")
    if not isinstance(summary, dict) or summary.get("version") != version \
            or summary.get("uai") != Path(coop_dir).name:
        return None
    return summary


def expected_summary(ad_root: Path, uai: str, cache: ResultCache, key: str, cheap: bool = False) -> dict[str, Any]:
    """This version's summary of the coop (from the local cache when it was computed already;
    `cheap`: see `summarize`)."""
    from retkoop_tools.console.summary import SUMMARY_VERSION, summarize

    stored = cache.get(key)
    if stored is not None and stored.get("version") == SUMMARY_VERSION:
        return stored
    summary = summarize(ad_root, uai, cheap=cheap)
    cache.put(key, summary)
    return summary


def written_summary(ad_root: Path, uai: str, summary: Mapping[str, Any] | None = None,
                    cheap: bool = False) -> bool:
    """Write the coop's `resume-console.json` for its files as they are now (the summary given,
    or computed; `cheap`: see `summarize`); whether the file changed. The caller commits it."""
    cache = summary_cache(ad_root)
    key = cache.key(uai)
    if summary is None:
        summary = expected_summary(ad_root, uai, cache, key, cheap)
    else:
        cache.put(key, dict(summary))
    return write_summary(Path(ad_root) / LEDGERS_DIRNAME / uai, render(key, summary))


def write_summary(coop_dir: Path, text: str) -> bool:
    from retkoop_tools.fsutil import atomic_write

    path = Path(coop_dir) / SUMMARY_FILENAME
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, text)
    return True


def _summarize_at(args: tuple[str, str]) -> tuple[str, dict[str, Any] | None]:
    from retkoop_tools.console.summary import summarize

    root, uai = args
    try:
        return uai, summarize(Path(root), uai)
    except Exception:  # noqa: BLE001 - books that do not load are reported by the check itself
        return uai, None


def summary_problems(ad_root: Path, uais: list[str], changed: list[str],
                     workers: int | None = None) -> dict[str, list]:
    """By coop: a `resume-console.json` that a commit adds or changes must be exactly what this
    version computes for the commit's files, since the console trusts it (a commit that leaves
    it stale is fine: its key no longer matches and the console computes the summary). The
    summaries not in the local cache are computed in a pool of processes when there are many."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from retkoop_tools.checks.runner import CheckError, default_workers
    from retkoop_tools.console.summary import SUMMARY_VERSION

    root = Path(ad_root)
    cache = summary_cache(root)
    pushed: dict[str, tuple[str, Any]] = {}
    for uai in uais:
        path = f"{LEDGERS_DIRNAME}/{uai}/{SUMMARY_FILENAME}"
        if path in changed and (root / path).is_file():
            try:
                kept = json.loads((root / path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                kept = None
            pushed[uai] = (cache.key(uai), kept)
    expected: dict[str, dict[str, Any] | None] = {}
    for uai, (key, _kept) in pushed.items():
        stored = cache.get(key)
        if stored is not None and stored.get("version") == SUMMARY_VERSION:
            expected[uai] = stored
    todo = [(str(root), uai) for uai in pushed if uai not in expected]
    workers = min(workers or default_workers(), len(todo))
    if workers > 1 and len(todo) > 2:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            computed = list(pool.map(_summarize_at, todo, chunksize=max(1, min(8, len(todo) // (workers * 8)))))
    else:
        computed = [_summarize_at(item) for item in todo]
    for uai, summary in computed:
        expected[uai] = summary
        if summary is not None:
            cache.put(pushed[uai][0], summary)
    problems: dict[str, list] = {}
    for uai, (key, kept) in pushed.items():
        summary = expected.get(uai)
        if summary is not None and kept == json.loads(render(key, summary)):
            continue
        path = f"{LEDGERS_DIRNAME}/{uai}/{SUMMARY_FILENAME}"
        problems[uai] = [CheckError(
            uai, path, 0,
            f"{SUMMARY_FILENAME} ne correspond pas aux livres de la coopérative pour cette version de "
            "retkoop : ce fichier est écrit par retkoop à chaque enregistrement, jamais à la main. "
            f"Retirez-le du commit (git rm {path}) ou régénérez-le avec « retkoop ad resumes » sur le "
            "serveur de l'AD.")]
    return problems
