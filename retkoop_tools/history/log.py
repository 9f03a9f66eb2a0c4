"""A coop's history from git: per commit, its author and what changed, entry by entry."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.checks.cache import SUMMARY_FILENAME
from retkoop_tools.history.diff import Change, diff_entries, parse_entries
from retkoop_tools.ledger.exercice import Exercice


@dataclass
class CommitChanges:
    commit: str
    author: str
    ident: str
    date: datetime.datetime
    message: str
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "commit": self.commit,
            "auteur": self.author,
            "identifiant": self.ident,
            "date": self.date.isoformat(),
            "message": self.message,
            "changements": [c.as_dict() for c in self.changes],
        }


class _Snapshots:
    """Parsed entries and file lists of a coop at any commit, parsing each blob once."""

    def __init__(self, repo: git.Repo, uai: str):
        self.repo, self.uai = repo, uai
        self._parsed: dict[str, list[Any]] = {}

    def files(self, commit: git.Commit | None) -> dict[str, git.Blob]:
        if commit is None:
            return {}
        try:
            tree = commit.tree / LEDGERS_DIRNAME / self.uai
        except KeyError:
            return {}
        return {
            str(Path(item.path).relative_to(f"{LEDGERS_DIRNAME}/{self.uai}")): item
            for item in tree.traverse() if item.type == "blob"
        }

    def entries(self, files: dict[str, git.Blob]) -> list[Any]:
        result = []
        for name, blob in sorted(files.items()):
            if not name.endswith(".beancount") or "/" in name:
                continue
            if blob.hexsha not in self._parsed:
                text = blob.data_stream.read().decode("utf-8", errors="replace")
                self._parsed[blob.hexsha] = parse_entries(text, name)
            result.extend(self._parsed[blob.hexsha])
        return result


def _is_document(name: str) -> bool:
    """Not the books, nor what a closing keeps of them for the loads (cloture-<ex>.json), nor
    the console's summary the store commits with them."""
    return not (name.endswith((".beancount", ".gitkeep")) or _KEPT_BY_CLOSING.match(name)
                or name == SUMMARY_FILENAME)


_KEPT_BY_CLOSING = re.compile(r"^cloture-\d{4}-\d{4}\.json$")


def _document_changes(before: dict[str, Any], after: dict[str, Any], date: datetime.date) -> list[Change]:
    changes = []
    for name in sorted(set(after) - set(before)):
        if _is_document(name):
            changes.append(Change("document", date, f"Document ajouté : {name}"))
    for name in sorted(set(before) - set(after)):
        if _is_document(name):
            changes.append(Change("document", date, f"Document retiré : {name}"))
    return changes


def coop_history(ad_root: Path, uai: str, exercice: Exercice | None = None,
                 auteur: str | None = None, limit: int | None = None,
                 since: datetime.date | None = None, until: datetime.date | None = None) -> list[CommitChanges]:
    """Newest first: the commits that touched the coop, with their entry-level changes.

    `since` and `until` (inclusive) filter on the day the commit was made.
    """
    path = f"{LEDGERS_DIRNAME}/{uai}"
    who = (auteur or "").casefold()
    history = []
    with git.Repo(ad_root, search_parent_directories=True) as repo:
        snapshots = _Snapshots(repo, uai)
        prefix = Path(ad_root).resolve().relative_to(Path(repo.working_tree_dir).resolve())
        path = str(prefix / path) if str(prefix) != "." else path
        for commit in repo.iter_commits(paths=path):
            if who and who not in commit.author.name.casefold() and who not in commit.author.email.casefold():
                continue
            day = commit.authored_datetime.date()
            if (since and day < since) or (until and day > until):
                continue
            parent = commit.parents[0] if commit.parents else None
            before_files, after_files = snapshots.files(parent), snapshots.files(commit)
            changes = diff_entries(snapshots.entries(before_files), snapshots.entries(after_files))
            when = commit.authored_datetime
            changes += _document_changes(before_files, after_files, when.date())
            if exercice is not None:
                changes = [c for c in changes if c.kind == "document" or exercice.contains(c.date)]
                if not changes:
                    continue
            history.append(CommitChanges(
                commit=commit.hexsha, author=commit.author.name, ident=commit.author.email,
                date=when, message=commit.message.strip().splitlines()[0] if commit.message.strip() else "",
                changes=changes,
            ))
            if limit and len(history) >= limit:
                break
    return history


class UnknownCommitError(LookupError):
    """The commit does not exist or did not touch this coop; the message is in French."""


def coop_commit(ad_root: Path, uai: str, commit: str) -> tuple[CommitChanges, str]:
    """One commit of the coop: its entry-level changes, and its diff limited to the coop's folder."""
    import re

    if not re.fullmatch(r"[0-9a-f]{7,40}", commit or ""):
        raise UnknownCommitError("Adresse de commit invalide.")
    with git.Repo(ad_root, search_parent_directories=True) as repo:
        prefix = Path(ad_root).resolve().relative_to(Path(repo.working_tree_dir).resolve())
        path = f"{LEDGERS_DIRNAME}/{uai}" if str(prefix) == "." else str(prefix / LEDGERS_DIRNAME / uai)
        try:
            found = repo.commit(commit)
        except (ValueError, git.BadName):
            raise UnknownCommitError(f"Le commit {commit} n'existe pas.") from None
        if not repo.git.diff_tree("--no-commit-id", "--name-only", "-r", "--root", found.hexsha, "--", path).strip():
            raise UnknownCommitError(f"Le commit {commit[:10]} ne change pas les livres de {uai}.")
        snapshots = _Snapshots(repo, uai)
        parent = found.parents[0] if found.parents else None
        before_files, after_files = snapshots.files(parent), snapshots.files(found)
        changes = diff_entries(snapshots.entries(before_files), snapshots.entries(after_files))
        changes += _document_changes(before_files, after_files, found.authored_datetime.date())
        diff = repo.git.show("--format=", "--patch", "--no-color", found.hexsha, "--", path)
        return CommitChanges(commit=found.hexsha, author=found.author.name, ident=found.author.email,
                             date=found.authored_datetime, message=found.message.strip(), changes=changes), diff
