"""Checking commits rather than the working tree: for the git hooks and the forges' CI.

A commit is checked as it is in git: the coops it touches are extracted from its tree (or
from the index, for pre-commit) into a temporary AD root and checked there. Every commit of a
push is checked, not only the last one.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from retkoop_tools.ad import AD_FILENAME, COOP_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.runner import CheckError, CoopResult, check_many
from retkoop_tools.console.committed import summary_problems
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

    @property
    def warnings(self):
        """The avertissements: shown, counted apart, never a reason to refuse the commit."""
        return [e for r in self.results for e in r.warnings]


def _uais_in(paths: list[str]) -> tuple[set[str], bool]:
    """The folders of `ledgers/` named by changed paths, and whether the AD's own rules changed."""
    uais, ad_changed = set(), False
    for path in paths:
        parts = path.split("/")
        if path in _AD_FILES:
            ad_changed = True
        elif len(parts) >= 3 and parts[0] == LEDGERS_DIRNAME:
            uais.add(parts[1])
    return uais, ad_changed


def _coops_and_folders(paths: list[str]) -> tuple[set[str], set[str]]:
    """From the files of a tree: its coops (folders of `ledgers/` holding a `coop.beancount`)
    and every folder of `ledgers/` (a file such as `ledgers/.gitkeep` is neither)."""
    coops, folders = set(), set()
    for path in paths:
        parts = path.split("/")
        if len(parts) >= 3 and parts[0] == LEDGERS_DIRNAME:
            folders.add(parts[1])
            if len(parts) == 3 and parts[2] == COOP_FILENAME:
                coops.add(parts[1])
    return coops, folders


def _targets(changed: list[str], files: list[str]) -> list[str]:
    """The coops to check for `changed` paths in a tree holding `files`.

    Every coop when ad.yaml or the chart changed, else the coops the paths touch; a touched
    folder of `ledgers/` without `coop.beancount` is checked too, so that its error (« La
    coopérative … n'existe pas ») is reported rather than the folder going in unchecked.
    """
    uais, ad_changed = _uais_in(changed)
    coops, folders = _coops_and_folders(files)
    return sorted((coops if ad_changed else uais & coops) | (uais & folders))


def _paths(out: str) -> list[str]:
    """The paths of a `-z` listing: unquoted, whatever their characters (« facture-été.pdf »)."""
    return [p for p in out.split("\0") if p]


def touched_uais(repo: Path, commit: str) -> list[str]:
    """Coops changed by `commit` (all of them when ad.yaml or the chart changed), still present."""
    changed = git(repo, "diff-tree", "-r", "-z", "--root", "--no-commit-id", "--name-only", "--no-renames", commit)
    files = git(repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", f"{LEDGERS_DIRNAME}/")
    return _targets(_paths(changed), _paths(files))


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
    changed = _paths(git(repo, "diff-tree", "-r", "-z", "--root", "--no-commit-id", "--name-only",
                         "--no-renames", commit))
    with tempfile.TemporaryDirectory(prefix="retkoop-commit-") as tmp:
        materialize_commit(repo, commit, uais, Path(tmp))
        result.results = check_many(Path(tmp), uais, workers=workers)
        derived = summary_problems(Path(tmp), uais, changed, workers)
        for coop in result.results:
            coop.errors += results_problems(Path(tmp), coop.uai, changed) + derived.get(coop.uai, [])
    for coop in result.results:
        coop.errors += seal_problems(repo, commit, coop.uai)
    return result


_RESULTS_FILE = re.compile(r"^cloture-(\d{4}-\d{4})\.json$")


def results_problems(ad_root: Path, uai: str, changed: list[str]) -> list[CheckError]:
    """A `cloture-<exercice>.json` that a commit adds or changes must hold what the books give:
    the loads trust it (the open exercices load on its state, the console shows its figures).
    It is computed again from a full load of the coop as the commit leaves it. Each of its two
    parts is judged on its own: a part of an older version of retkoop is used by no version to
    come, so it is not judged, but it never spares the other part. A part of any other version
    is refused: its fingerprint is public (the next one too), and the version it names would
    trust it once installed, although no hook judged it."""
    from retkoop_tools.cloture.resultats import closing_results, results_text
    from retkoop_tools.console.summary import FIGURES_VERSION, summary_code
    from retkoop_tools.ledger.anouveaux import STATE_FORMAT
    from retkoop_tools.ledger.standalone import code_fingerprint

    versions = {"etat": code_fingerprint(), "resume": summary_code()}
    older_figures = {summary_code(version) for version in range(FIGURES_VERSION)}
    older = {"etat": lambda part: type(part.get("format")) is int and part["format"] < STATE_FORMAT,
             "resume": lambda part: part.get("code") in older_figures}
    problems = []
    prefix = f"{LEDGERS_DIRNAME}/{uai}/"
    for path in changed:
        name = path[len(prefix):] if path.startswith(prefix) else ""
        match = _RESULTS_FILE.match(name)
        target = ad_root / LEDGERS_DIRNAME / uai / name
        if not match or not target.is_file():
            continue
        try:
            kept = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = None
        other = set()  # the parts of another version (refused unless older)
        if isinstance(kept, dict):
            other = {part for part, version in versions.items()
                     if isinstance(kept.get(part), dict) and kept[part].get("code") != version}
            if any(not older[part](kept[part]) for part in other):
                problems.append(CheckError(
                    uai, path, 0,
                    f"{name} est marqué d'une autre version de retkoop que celle qui vérifie ce commit : "
                    f"il est écrit par la clôture (retkoop exercice clore {uai} {match.group(1)}) avec la "
                    "version du serveur, jamais à la main."))
                continue
            if other == set(versions) and set(kept) <= {"format", "exercice", *versions}:
                continue  # nothing this version uses
        try:
            expected = json.loads(results_text(closing_results(ad_root, uai, Exercice.parse(match.group(1)))))
        except Exception:  # noqa: BLE001 - books that do not load are reported by the check itself
            expected = None
        if isinstance(kept, dict) and isinstance(expected, dict):
            kept = {k: v for k, v in kept.items() if k not in other}
            expected = {k: v for k, v in expected.items() if k not in other}
        if kept != expected:
            problems.append(CheckError(
                uai, path, 0,
                f"{name} ne correspond pas aux livres de l'exercice {match.group(1)} : ce fichier est écrit "
                f"par la clôture (retkoop exercice clore {uai} {match.group(1)}), jamais à la main."))
    return problems


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


def _reopenings(text: str) -> int:
    """The reopenings (and returns to the mandataire) that a `crf-<exercice>.yaml` records in its
    history: read as YAML, so that the words in a comment or a motif count for nothing."""
    import yaml

    try:
        raw = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return 0
    events = raw.get("historique") if isinstance(raw, dict) else None
    return sum(1 for e in events or () if isinstance(e, dict) and e.get("action") in ("reouverture", "renvoi"))


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
        reopened = _reopenings(text) > _reopenings(old_text)
        if after.get(exercice) is None and reopened:
            continue
        problems.append(CheckError(
            uai, f"{LEDGERS_DIRNAME}/{uai}/{exercice}.beancount", 0,
            f"La clôture de l'exercice {exercice} est retirée ou changée sans réouverture par l'AD : "
            f"seule l'AD rouvre un exercice clos, avec son motif (retkoop exercice rouvrir {uai} "
            f"{exercice} --motif « … »)."))
    return problems


def commits_of_range(repo: Path, old: str, new: str) -> list[str]:
    """The commits that pushing `new` brings to this repository, oldest first (pre-receive).

    Run before the references move, `--all` is what the repository already has: a new
    branch (`old` zero), a fast-forward and a force push alike bring exactly the commits of
    `new` that no reference reaches yet. A deleted reference (`new` zero) brings none.
    """
    if new == ZERO_SHA:
        return []
    out = git(repo, "rev-list", "--reverse", new, "--not", "--all")
    return [line for line in out.splitlines() if line]


class RevisionError(Exception):
    """A revision to check is not in the repository; the message is in French."""


@dataclass
class CommitsToCheck:
    """The commits a forge's CI checks, and how they were chosen when the base was unusable."""

    head: str
    commits: list[str]
    note: str = ""


def _commit_id(repo: Path, rev: str) -> str | None:
    if not rev or set(rev) == {"0"}:
        return None
    return git(repo, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False).strip() or None


def commits_of_ci_range(repo: Path, base: str, head: str, principal: str) -> CommitsToCheck:
    """The commits a push or merge request brings, oldest first, in a forge's clone.

    `base..head` when `base` is in the clone. When it is not — zero for a new branch or a
    first push, or an old tip the clone lacks after a force push — the target's state before
    the push is unknown: the commits of `head` that the principal branch (`principal`, e.g.
    `origin/main`) lacks are checked, since everything on it was checked when it got there.
    When `head` is on the principal branch itself (its first push, a force push on it) or the
    clone has no such branch, every commit of `head` is checked.
    """
    head_id = _commit_id(repo, head)
    if head_id is None:
        raise RevisionError(f"La révision à vérifier « {head} » est introuvable dans ce clone.")
    base_id = _commit_id(repo, base)
    if base_id is not None:
        out = git(repo, "rev-list", "--reverse", f"{base_id}..{head_id}")
        return CommitsToCheck(head_id, out.split())
    why = ("Nouvelle branche ou première poussée (base 0000…)" if not base or set(base) == {"0"}
           else f"La base {base[:10]} est absente du clone (poussée forcée ?)")
    principal_id = _commit_id(repo, principal)
    if principal_id is not None:
        commits = git(repo, "rev-list", "--reverse", head_id, "--not", principal_id).split()
        if commits:
            return CommitsToCheck(head_id, commits, f"{why} : vérification {_des_commits(len(commits))} "
                                  f"absent{'s' if len(commits) > 1 else ''} de {principal}.")
        where = f"{head[:10]} est sur {principal}"
    else:
        where = f"{principal} est absente du clone"
    commits = git(repo, "rev-list", "--reverse", head_id).split()
    return CommitsToCheck(head_id, commits, f"{why} et {where} : vérification de tout "
                          f"l'historique ({len(commits)} commit{'s' if len(commits) > 1 else ''}).")


def _des_commits(n: int) -> str:
    return "du commit" if n == 1 else f"des {n} commits"


def check_commits(repo: Path, commits: list[str], workers: int | None = None,
                  on_commit: Callable[[CommitResult], None] | None = None) -> list[CommitResult]:
    results = []
    for commit in commits:
        result = check_commit(repo, commit, workers)
        results.append(result)
        if on_commit:
            on_commit(result)
    return results


def check_index(repo: Path, workers: int | None = None, index_file: str | None = None) -> list[CoopResult]:
    """Check the coops the staged changes touch, as they are in the index (pre-commit).

    `index_file` is the index git prepared for the commit (the hook's `GIT_INDEX_FILE`):
    `git commit -a` and `git commit <paths>` commit a temporary index, not `.git/index`.
    """
    env = {"GIT_INDEX_FILE": index_file} if index_file else None
    changed = _paths(git(repo, "diff", "--cached", "-z", "--name-only", "--no-renames", env=env))
    tracked = _paths(git(repo, "ls-files", "-z", "--", f"{LEDGERS_DIRNAME}/", env=env))
    targets = _targets(changed, tracked)
    if not targets:
        return []
    with tempfile.TemporaryDirectory(prefix="retkoop-index-") as tmp:
        files = [p for p in tracked if p.split("/")[1] in targets]
        files += [n for n in _AD_FILES if git(repo, "ls-files", "--", n, env=env).strip()]
        git(repo, "checkout-index", f"--prefix={tmp}/", "--", *files, env=env)
        results = check_many(Path(tmp), targets, workers=workers)
        derived = summary_problems(Path(tmp), targets, changed, workers)
        for coop in results:
            coop.errors += results_problems(Path(tmp), coop.uai, changed) + derived.get(coop.uai, [])
        return results
