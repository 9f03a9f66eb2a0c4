"""Checking commits rather than the working tree: for the git hooks and the forges' CI.

A commit is checked as it is in git: the coops it touches are extracted from its tree (or
from the index, for pre-commit) into a temporary AD root and checked there. Every commit of a
push is checked, not only the last one.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.runner import CheckError, CoopResult, check_many
from retkoop_tools.ledger.conventions import CUSTOM_CLOTURE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.gitcmd import git

ZERO_SHA = "0" * 40
_AD_FILES = (AD_FILENAME, AD_CHART_FILENAME)


@dataclass
class CommitResult:
    commit: str
    subject: str
    results: list[CoopResult] = field(default_factory=list)

    @property
    def errors(self):
        return [e for r in self.results for e in r.errors]


def _uais_in(paths: list[str]) -> tuple[set[str], bool]:
    """The coops named by changed paths, and whether the AD's own rules changed."""
    uais, ad_changed = set(), False
    for path in paths:
        parts = path.split("/")
        if path in _AD_FILES:
            ad_changed = True
        elif len(parts) >= 3 and parts[0] == LEDGERS_DIRNAME:
            uais.add(parts[1])
    return uais, ad_changed


def _coops_of_tree(repo: Path, rev: str) -> set[str]:
    out = git(repo, "ls-tree", "--name-only", f"{rev}:{LEDGERS_DIRNAME}", check=False)
    return {line for line in out.splitlines() if line}


def touched_uais(repo: Path, commit: str) -> list[str]:
    """Coops changed by `commit` (all of them when ad.yaml or the chart changed), still present."""
    out = git(repo, "diff-tree", "-r", "--root", "--no-commit-id", "--name-only", "--no-renames", commit)
    uais, ad_changed = _uais_in(out.splitlines())
    present = _coops_of_tree(repo, commit)
    return sorted(present if ad_changed else uais & present)


def materialize_commit(repo: Path, commit: str, uais: list[str], dest: Path) -> None:
    """Extract `ad.yaml`, the chart and the coops `uais` of `commit` into `dest`."""
    names = git(repo, "ls-tree", "--name-only", commit).splitlines()
    paths = [n for n in _AD_FILES if n in names] + [f"{LEDGERS_DIRNAME}/{u}" for u in uais]
    if not paths:
        return
    proc = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *paths],
        cwd=repo, capture_output=True, check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        if not hasattr(tarfile, "data_filter"):  # Python 3.11 before 3.11.4
            tar.extractall(dest, members=[m for m in tar.getmembers() if not (m.issym() or m.islnk())])
            return
        tar.extractall(dest, filter=_link_kept_harmless)


def _link_kept_harmless(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """A link of the commit stays a link (the verification reports it) but never points out."""
    if member.issym() or member.islnk():
        member = member.replace(linkname=".", deep=False)
        member.type = tarfile.SYMTYPE
    return tarfile.data_filter(member, dest)


def check_commit(repo: Path, commit: str, workers: int | None = None) -> CommitResult:
    subject = git(repo, "log", "-1", "--format=%s", commit).strip()
    result = CommitResult(commit=commit, subject=subject)
    uais = touched_uais(repo, commit)
    if not uais:
        return result
    with tempfile.TemporaryDirectory(prefix="retkoop-commit-") as tmp:
        materialize_commit(repo, commit, uais, Path(tmp))
        result.results = check_many(Path(tmp), uais, workers=workers)
    for coop in result.results:
        coop.errors += seal_problems(repo, commit, coop.uai)
    return result


def _seals(repo: Path, rev: str, uai: str) -> dict[str, str]:
    """The closed exercices of a coop at `rev`: exercice file → its seal's digest."""
    seals = {}
    listing = git(repo, "ls-tree", "--name-only", f"{rev}:{LEDGERS_DIRNAME}/{uai}", check=False)
    for name in listing.splitlines():
        if Exercice.from_filename(name) is None:
            continue
        text = git(repo, "show", f"{rev}:{LEDGERS_DIRNAME}/{uai}/{name}", check=False)
        for entry in parser.parse_string(text)[0]:
            if isinstance(entry, data.Custom) and entry.type == CUSTOM_CLOTURE and len(entry.values) >= 2:
                seals[str(entry.values[0].value)] = str(entry.values[1].value)
    return seals


def seal_problems(repo: Path, commit: str, uai: str) -> list[CheckError]:
    """A seal that a commit removes or changes without the AD's reopening recorded with it.

    `retkoop exercice rouvrir` removes the seal and records who and why in `crf-<ex>.yaml`
    in the same commit; any other commit that drops a seal would let a closed exercice change.
    """
    parent = git(repo, "rev-parse", "--verify", "-q", f"{commit}^", check=False).strip()
    if not parent:
        return []
    before, after = _seals(repo, parent, uai), _seals(repo, commit, uai)
    problems = []
    for exercice, digest in before.items():
        if after.get(exercice) == digest:
            continue
        record = f"{LEDGERS_DIRNAME}/{uai}/crf-{exercice}.yaml"
        changed = git(repo, "diff", "--name-only", parent, commit, "--", record, check=False).strip()
        text = git(repo, "show", f"{commit}:{record}", check=False) if changed else ""
        old_text = git(repo, "show", f"{parent}:{record}", check=False) if changed else ""
        reopened = text.count("action: reouverture") + text.count("action: renvoi") > (
            old_text.count("action: reouverture") + old_text.count("action: renvoi"))
        if after.get(exercice) is None and reopened:
            continue
        problems.append(CheckError(
            uai, f"{LEDGERS_DIRNAME}/{uai}/{exercice}.beancount", 0,
            f"La clôture de l'exercice {exercice} est retirée ou changée sans réouverture par l'AD : "
            f"seule l'AD rouvre un exercice clos, avec son motif (retkoop exercice rouvrir {uai} "
            f"{exercice} --motif « … »)."))
    return problems


def commits_of_range(repo: Path, old: str, new: str) -> list[str]:
    """The commits `new` brings over `old`, oldest first (all new ones when `old` is zero)."""
    if new == ZERO_SHA:
        return []
    if old == ZERO_SHA:
        out = git(repo, "rev-list", "--reverse", new, "--not", "--all")
        if not out.strip():  # a new branch on commits the repository already has
            return []
    else:
        out = git(repo, "rev-list", "--reverse", f"{old}..{new}")
    return [line for line in out.splitlines() if line]


def check_commits(repo: Path, commits: list[str], workers: int | None = None,
                  on_commit: Callable[[CommitResult], None] | None = None) -> list[CommitResult]:
    results = []
    for commit in commits:
        result = check_commit(repo, commit, workers)
        results.append(result)
        if on_commit:
            on_commit(result)
    return results


def check_index(repo: Path, workers: int | None = None) -> list[CoopResult]:
    """Check the coops the staged changes touch, as they are in the index (pre-commit)."""
    out = git(repo, "diff", "--cached", "--name-only", "--no-renames")
    uais, ad_changed = _uais_in(out.splitlines())
    tracked = git(repo, "ls-files", "--", LEDGERS_DIRNAME).splitlines()
    present = {p.split("/")[1] for p in tracked if p.count("/") >= 2}
    targets = sorted(present if ad_changed else uais & present)
    if not targets:
        return []
    with tempfile.TemporaryDirectory(prefix="retkoop-index-") as tmp:
        files = [p for p in tracked if p.split("/")[1] in targets]
        files += [n for n in _AD_FILES if git(repo, "ls-files", "--", n).strip()]
        git(repo, "checkout-index", f"--prefix={tmp}/", "--", *files)
        return check_many(Path(tmp), targets, workers=workers)
