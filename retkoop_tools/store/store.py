"""The store: the one way to write a coop's books, for every writer (CLI, web, importers).

A write is validated, then written atomically, then committed at once, all under the coop's
lock (git's steps under the repository's lock as well):

1. the new files are staged in a copy of the coop's folder and checked with the OCCE rules;
   a write that adds an error is refused with the rule's French message, and neither the
   files nor the history change ("nothing reaches the disk that breaks a rule"); one that
   adds only avertissements is made, and the caller gets them to show;
2. each file is replaced atomically (temporary file, fsync, rename);
3. the coop's folder, and only it, is committed with the acting user as author, with the AD
   console's summary of the books as the commit leaves them (`resume-console.json`,
   `console/committed.py`), from the load the check has just made; the store writes that
   commit itself (`store/objects.py`), or has git make it.

Checking and writing a coop's files hold that coop's lock; only the git steps hold the
repository's lock, so writes to different coops are checked and written in parallel.

A writer killed between 2 and 3 leaves uncommitted files: the next write puts them aside in
`.git/retkoop-recovered/` and restores the last commit, so that a half-applied change never
enters the history. After each commit the store seals the coop's folder (`_signature`: each
file's inode, size and dates): the next write asks `git status` only when the folder is no
longer as sealed.
"""

from __future__ import annotations

import collections
import datetime
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from retkoop_tools.ad import AD_FILENAME, COOP_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.console.committed import SUMMARY_FILENAME
from retkoop_tools.chart import AD_CHART_FILENAME
from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.runner import CheckError, CoopResult, check_coop
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.policy.documents import DOCUMENTS_DIRNAME
from retkoop_tools.policy.writes import PolicyError, Scope, check_changes
from retkoop_tools.store import objects
from retkoop_tools.store.gitcmd import GitError, git, git_dir, git_started
from retkoop_tools.store.lock import repo_lock

_log = logging.getLogger(__name__)
RECOVERED_DIRNAME = "retkoop-recovered"
STAGING_DIRNAME = "retkoop-staging"
#: `.git/retkoop-propre/<UAI>`: the signature of the coop's files when last found committed.
SEALS_DIRNAME = "retkoop-propre"
COOP_TRAILER = "Coopérative"


@dataclass(frozen=True)
class Author:
    """Who acts: a person (e-mail) or a coop account (its UAI)."""

    name: str
    ident: str

    @property
    def signature(self) -> str:
        return f"{self.name} <{self.ident}>"


#: The committer of every commit the store makes (the author is the acting user).
DEFAULT_COMMITTER = Author("retkoop", "retkoop@localhost")


class StoreError(Exception):
    """A write that cannot be done; the message is in French."""


NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
NO_SPACE_MESSAGE = ("Le serveur n'a plus de place sur son disque (ou ne peut plus y écrire) : rien n'a été "
                    "enregistré. Prévenez l'AD ; vos opérations seront à saisir de nouveau une fois le "
                    "problème réglé.")


class NoSpaceError(StoreError):
    """The disk is full or read-only; nothing was written (French message)."""


class CommitError(StoreError):
    """Git could not commit the write (its index or branch locked by someone else, …); the
    coop's files were put back as committed: nothing was written (French message, git's words
    after it for the AD)."""


COMMIT_MESSAGE = ("L'enregistrement n'a pas pu être inscrit dans l'historique des livres : rien n'a été "
                  "enregistré. Réessayez dans un instant ; si cela se répète, prévenez l'AD (détail pour "
                  "elle : {detail}).")


class StaleWriteError(StoreError):
    """The change was computed from files that another write has changed since; nothing
    was written (the writer computes it again)."""


class WritePolicyError(StoreError):
    """The write changes what its writer may not (a system file, a seal, markup…); nothing
    was written."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("Modification refusée : " + " ".join(messages[:10]))


class RuleViolationError(StoreError):
    """The write would break an OCCE rule; nothing was written."""

    def __init__(self, errors: list[CheckError]):
        self.errors = errors
        shown = "\n".join(f"  {e.file}:{e.line} : {e.message}" for e in errors[:10])
        more = f"\n  … et {len(errors) - 10} autre(s)" if len(errors) > 10 else ""
        super().__init__(f"Modification refusée, elle enfreindrait les règles :\n{shown}{more}")


_LINE_REF = re.compile(r"\.beancount:\d+")
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
#: What `git commit` says (in the C locale) when the paths given hold no change.
_NOTHING_TO_COMMIT = re.compile(r"nothing to commit|no changes added to commit")


def _error_key(error: CheckError) -> str:
    # Lines move when entries are inserted, also inside messages citing another entry.
    return _LINE_REF.sub(".beancount", error.message)


def new_errors(before: CoopResult | None, after: CoopResult, *, warnings: bool = False) -> list[CheckError]:
    """Errors of `after` that `before` did not have (compared by message, not by line); with
    `warnings`, the avertissements instead."""
    def of(result: CoopResult | None) -> list[CheckError]:
        return [] if result is None else (result.warnings if warnings else result.errors)

    remaining = collections.Counter(_error_key(e) for e in of(before))
    added = []
    for error in of(after):
        key = _error_key(error)
        if remaining[key]:
            remaining[key] -= 1
        else:
            added.append(error)
    return added


#: A staging or snapshot folder older than this was left by a killed writer (a check or a
#: request never takes that long).
STALE_SCRATCH_SECONDS = 15 * 60


def _signature(coop_dir: Path) -> str:
    """What identifies the files of a coop's folder as they are: for each file and folder, its
    path, type, inode, size, modification and change times (nanoseconds); links not followed.
    A file gone while the folder is read (another process's write, renamed) counts as gone."""
    digest = hashlib.blake2b(digest_size=20)
    for folder, dirs, files in os.walk(coop_dir):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                digest.update(f"{os.path.relpath(path, coop_dir)}\0-\n".encode("utf-8", "surrogateescape"))
                continue
            digest.update(f"{os.path.relpath(path, coop_dir)}\0{info.st_mode} {info.st_ino} {info.st_size} "
                          f"{info.st_mtime_ns} {info.st_ctime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _remove_stale(base: Path) -> None:
    """Remove what killed writers left in the scratch folder."""
    limit = time.time() - STALE_SCRATCH_SECONDS
    for item in base.iterdir():
        try:
            if item.lstat().st_mtime < limit:
                if item.is_dir() and not item.is_symlink():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    item.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


#: Per thread: the coops whose lock it holds (how many times over), and among them those it
#: found clean (nothing uncommitted) since it took the lock; keyed by (git folder, UAI).
_HOLDS = threading.local()


def _held() -> dict[tuple[str, str], int]:
    if not hasattr(_HOLDS, "count"):
        _HOLDS.count, _HOLDS.clean = {}, set()
    return _HOLDS.count


def _clean() -> set[tuple[str, str]]:
    _held()
    return _HOLDS.clean


@dataclass(frozen=True)
class _CoopsOf:
    """The clean coops of one repository, by UAI."""

    keys: set[tuple[str, str]]
    git_dir: str

    def __contains__(self, uai: str) -> bool:
        return (self.git_dir, uai) in self.keys

    def add(self, uai: str) -> None:
        self.keys.add((self.git_dir, uai))

    def discard(self, uai: str) -> None:
        self.keys.discard((self.git_dir, uai))


#: Names of the store's temporary files and caches (ignored by the AD's .gitignore).
_SCRATCH_NAME = re.compile(r"\..*\.tmp|.*\.picklecache|__pycache__")


def _safe_relpath(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or rel.parts[0] in (".git",):
        raise StoreError(f"Chemin refusé : « {path} » doit rester dans le dossier de la coopérative.")
    reserved = [part for part in rel.parts if objects.git_reserved(part)]
    if reserved:
        raise StoreError(f"Chemin refusé : « {path} » : le nom « {reserved[0]} » est réservé à git ; "
                         "renommez ce dossier ou ce fichier.")
    scratch = [part for part in rel.parts if _SCRATCH_NAME.fullmatch(part)]
    if scratch:  # git ignores them (.gitignore of the AD), the store's recovery removes them
        raise StoreError(f"Chemin refusé : « {path} » : le nom « {scratch[0]} » est celui d'un fichier "
                         "temporaire ; renommez ce fichier.")
    return rel


class Store:
    """Validated, atomic, committed writes into the coops of one AD repository."""

    def __init__(self, ad_root: Path, committer: Author = DEFAULT_COMMITTER, pusher=None,
                 cache: ResultCache | None = None):
        self.root = Path(ad_root).resolve()
        self.git_dir = git_dir(self.root)
        self.committer = committer
        self.pusher = pusher
        self.cache = cache or ResultCache(self.root)

    # -- public API -----------------------------------------------------------------------
    def write(self, uai: str, changes: Mapping[str, str | bytes | None], author: Author,
              message: str, *, validate: bool = True, scope: Scope = Scope.ENTRIES,
              expected: Mapping[str, str | bytes | None] | None = None,
              warnings: list[CheckError] | None = None,
              alongside: Callable[[], None] | None = None) -> str | None:
        """Apply `changes` (path in the coop's folder → new content, None to delete).

        `scope` says what kind of change the caller may make (`policy.writes`): entries and
        documents unless the caller is one of the AD's commands or our own records.
        `expected` gives the texts the change was computed from: if a file no longer has that
        text (another writer committed in between), StaleWriteError, nothing written. A writer
        that computes its change inside `prepare(uai)` never gets it.
        Returns the new commit's id, or None when the files already had that content.
        Raises PolicyError or RuleViolationError (nothing written) when the write is outside
        the policy or the books would break a rule. The avertissements the write adds (the
        write is made) are appended to `warnings` when it is given, for the caller to show.
        `alongside` runs while git commits, the new files written (the portal reloads Fava's app
        from them meanwhile); if it fails, the write goes on.
        """
        rels = {_safe_relpath(p): c for p, c in changes.items()}
        try:
            return self._write(uai, rels, author, message, validate, scope, expected, warnings, alongside)
        except OSError as exc:
            if exc.errno in NO_SPACE_ERRNOS:
                raise NoSpaceError(NO_SPACE_MESSAGE) from exc
            raise

    def _write(self, uai: str, rels: dict, author: Author, message: str, validate: bool, scope: Scope,
               expected: Mapping[str, str | bytes | None] | None,
               warnings: list[CheckError] | None = None,
               alongside: Callable[[], None] | None = None) -> str | None:
        with self.coop_locked(uai):
            coop_dir = self._coop_dir(uai)
            self._recover_once(uai)
            if expected:
                self._check_expected(coop_dir, expected)
            try:
                check_changes(coop_dir, rels, scope)
            except PolicyError as exc:
                raise WritePolicyError(exc.messages) from None
            # Checking takes the time; it needs this coop's lock only, not git's.
            after = self._validate(uai, rels, warnings) if validate else None
            summary = self._summary(uai, rels)
            ran: list[bool] = []

            def along() -> None:
                ran.append(True)
                alongside()

            along = along if alongside is not None else None
            self._clean().discard(uai)  # until committed, the folder holds uncommitted files
            try:
                # The coop's lock is enough for its files (nobody else writes them, git's steps
                # name the folders they commit); the repository's lock for git's steps only.
                created = False  # a file new to the folder (else git knows every file)
                # New files first, coop.beancount (which includes the others) last.
                for rel in sorted(rels, key=lambda r: (r.name == COOP_FILENAME, str(r))):
                    target = coop_dir / rel
                    content = rels[rel]
                    if content is None:
                        if target.exists():
                            target.unlink()
                    else:
                        created = created or not target.exists()
                        atomic_write(target, content)
                created = self._write_summary(uai, summary) or created
                if after is not None:  # the next load of these files starts from a known result
                    self.cache.put(self.cache.key(uai), after.as_dict())
                with self.locked():
                    commit = self._commit(uai, author, message, new_files=created, alongside=along,
                                          paths=[rel.as_posix() for rel in rels] + [SUMMARY_FILENAME])
                self._seal(uai)
                self._clean().add(uai)
            except OSError:
                # A full or read-only disk: each file is the old or the new one (atomic
                # writes); put the coop back as committed, as far as the disk lets us.
                with self.locked():
                    self._recover(uai)
                raise
            except GitError as exc:  # git refused (a lock of its own taken by hand…): put back
                with self.locked():
                    self._recover(uai)
                    self._seal(uai)
                self._clean().add(uai)
                raise CommitError(COMMIT_MESSAGE.format(detail=exc)) from exc
            if alongside is not None and not ran:  # committed without git: after the lock
                try:
                    alongside()
                except Exception:  # noqa: BLE001 - the caller's work; the commit is made
                    _log.exception("travail après le commit de %s", uai)
            return commit

    def check(self, uai: str, changes: Mapping[str, str | bytes | None], *, scope: Scope = Scope.ENTRIES) -> None:
        """What `write` would check, and nothing written: raises WritePolicyError or
        RuleViolationError exactly as `write` would (a preview that says what would be refused)."""
        rels = {_safe_relpath(p): c for p, c in changes.items()}
        with self.coop_locked(uai):
            coop_dir = self._coop_dir(uai)
            try:
                check_changes(coop_dir, rels, scope)
            except PolicyError as exc:
                raise WritePolicyError(exc.messages) from None
            self._validate(uai, rels)

    def insert_entries(self, uai: str, text: str, author: Author, message: str,
                       exercice: Exercice, scope: Scope = Scope.ENTRIES) -> str | None:
        """Insert entries' text at the end of an exercice file (before Fava's marker)."""
        coop_dir = self._coop_dir(uai)
        path = coop_dir / exercice.filename
        if not path.exists():
            raise StoreError(f"L'exercice {exercice} n'est pas ouvert pour la coopérative {uai}.")
        with self.coop_locked(uai):
            self._recover_once(uai)  # the text to insert into is the committed one
            current = path.read_text(encoding="utf-8")
            at = insert_position(current)
            body = text.strip("\n") + "\n\n"
            return self.write(uai, {exercice.filename: current[:at] + body + current[at:]}, author, message,
                              scope=scope)

    @contextmanager
    def prepare(self, uai: str) -> Iterator[None]:
        """Hold this coop's lock, with what an interrupted write left put aside first: a writer
        reads the books and computes its change inside, so that it is computed from the last
        commit and no other write can come in between."""
        with self.coop_locked(uai):
            self._recover_once(uai)
            yield

    def recover_all(self) -> list[str]:
        """Put aside what interrupted writes left in any coop (at start-up); the coops concerned.
        The others are sealed (`_recover_once`): their first write asks no `git status`.

        The seal sees the files only: what git alone changed (an index or a branch moved by
        hand on the server, files untouched) shows here, in `git status`, and unseals the coop.
        Git's status takes no lock (`--no-optional-locks`): writers of other processes go on."""
        ledgers = self.root / LEDGERS_DIRNAME
        uais = sorted(p.name for p in ledgers.iterdir() if (p / COOP_FILENAME).is_file()) if ledgers.is_dir() else []
        before = {uai: _signature(ledgers / uai) for uai in uais}
        # Renames off: both sides of a staged `git mv` from one coop to another are named.
        status = git(self.root, "--no-optional-locks", "status", "--porcelain", "-z", "--no-renames",
                     "--untracked-files=all", "--", LEDGERS_DIRNAME, check=False)
        dirty = sorted({entry[3:].split("/")[1] for entry in status.split("\0") if entry[3:].count("/") >= 2})
        for uai in uais:
            seal = self.git_dir / SEALS_DIRNAME / uai
            if uai in dirty:  # a seal that matches the files does not vouch for git's side
                seal.unlink(missing_ok=True)
                continue
            # Untouched while git looked (a writer in another process changes a change time):
            # as git found them.
            signature = _signature(ledgers / uai)
            if signature == before[uai] and \
                    (not seal.exists() or seal.read_text(encoding="ascii", errors="replace") != signature):
                try:
                    atomic_write(seal, signature, durable=False)
                except OSError:
                    break
        for uai in dirty:
            if (ledgers / uai / COOP_FILENAME).is_file():
                with self.prepare(uai):
                    pass
        return dirty

    def _check_expected(self, coop_dir: Path, expected: Mapping[str, str | bytes | None]) -> None:
        for rel, old in expected.items():
            path = coop_dir / _safe_relpath(rel)
            current = path.read_bytes() if path.is_file() else None
            wanted = old.encode("utf-8") if isinstance(old, str) else old
            if current != wanted:
                raise StaleWriteError(
                    f"Les livres ont changé pendant la préparation de cet enregistrement ({rel} a été "
                    "modifié par un autre enregistrement) : rien n'a été écrit ; rechargez la page et "
                    "recommencez.")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The repository's lock: git's index and refs, across threads and processes."""
        with repo_lock(self.git_dir):
            yield

    @contextmanager
    def coop_locked(self, uai: str) -> Iterator[None]:
        """One coop's lock: its files, while a write to them is checked and applied."""
        with repo_lock(self.git_dir, f"retkoop-{uai}.lock"):
            holds, key = _held(), (str(self.git_dir), uai)
            holds[key] = holds.get(key, 0) + 1
            try:
                yield
            finally:
                holds[key] -= 1
                if not holds[key]:  # the lock is let go: another writer may come in between
                    del holds[key]
                    _clean().discard(key)

    def _clean(self) -> _CoopsOf:
        return _CoopsOf(_clean(), str(self.git_dir))

    def touched(self, uai: str) -> None:
        """The coop's files were written otherwise than by the store while this thread holds its
        lock, and not all put back: the next write puts aside what is uncommitted first."""
        self._clean().discard(uai)
        (self.git_dir / SEALS_DIRNAME / uai).unlink(missing_ok=True)

    def _recover_once(self, uai: str) -> None:
        """`_recover`, once per hold of the coop's lock: once this thread found the coop clean
        (or made it so), nobody else writes its files until the lock is let go, and the store's
        own writes are committed (or put back) before they return. Whoever writes the files
        otherwise while holding the lock (the portal, for Fava's writes) puts them back first.

        A coop whose files are, to the inode and the change time, those the store left when it
        last committed (or found them clean) has nothing to put aside: its seal says so
        (`_signature`), without git. A killed writer, Fava or anyone writing there changes a
        change time at least (the system sets it, nobody can set it back)."""
        if uai in self._clean():
            return
        seal = self.git_dir / SEALS_DIRNAME / uai
        try:
            if seal.read_text(encoding="ascii") == _signature(self.root / LEDGERS_DIRNAME / uai):
                self._clean().add(uai)
                return
        except (OSError, UnicodeDecodeError):
            pass
        with self.locked():
            self._recover(uai)
            self._seal(uai)
        self._clean().add(uai)

    def _seal(self, uai: str) -> None:
        """Record the coop's files as they are, committed (with the coop's lock held)."""
        try:
            atomic_write(self.git_dir / SEALS_DIRNAME / uai, _signature(self.root / LEDGERS_DIRNAME / uai),
                         durable=False)
        except OSError:  # no seal: the next write asks git
            (self.git_dir / SEALS_DIRNAME / uai).unlink(missing_ok=True)

    def commit_new_coop(self, uai: str, author: Author, message: str) -> str | None:
        """Commit a coop folder that a generator has just written (retkoop coop add)."""
        with self.locked():
            result = check_coop(self.root, uai)
            if result.errors:
                raise RuleViolationError(result.errors)
            self._write_summary(uai, None)
            return self._commit(uai, author, message)

    def commit_summaries(self, summaries: Mapping[str, tuple[str, dict]], author: Author,
                         message: str) -> tuple[str | None, int]:
        """Write and commit in one commit the console's summaries (UAI → (key, summary)) that
        differ from the committed ones, for the coops whose files still have that key (a coop
        written meanwhile has its own summary from that write). Returns the commit (None when
        nothing changed) and how many summaries it holds."""
        from retkoop_tools.console.committed import SUMMARY_FILENAME, render, summary_cache, write_summary

        cache = summary_cache(self.root)
        with self.locked():  # no write of the store changes files meanwhile
            paths = []
            for uai, (key, summary) in sorted(summaries.items()):
                coop_dir = self.root / LEDGERS_DIRNAME / uai
                if (coop_dir / COOP_FILENAME).is_file() and cache.key(uai) == key \
                        and write_summary(coop_dir, render(key, summary)):
                    paths.append(f"{LEDGERS_DIRNAME}/{uai}/{SUMMARY_FILENAME}")
            if not paths:
                return None, 0
            for start in range(0, len(paths), 500):
                git(self.root, "add", "--", *paths[start:start + 500])
            env = {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.ident,
                   "GIT_COMMITTER_NAME": self.committer.name, "GIT_COMMITTER_EMAIL": self.committer.ident,
                   "LC_ALL": "C"}
            # With the paths: only they are committed, whatever else the index holds.
            git(self.root, "commit", "-q", "--no-verify", "-F", "-", "--", *paths, env=env,
                input=message.strip() + "\n")
            commit = self._head_after_commit()
        if self.pusher is not None:
            self.pusher.request()
        return commit, len(paths)

    def head(self) -> str:
        return git(self.root, "rev-parse", "HEAD").strip()

    def _unchanged(self, rel: str) -> bool:
        """Whether the folder `rel` is as committed, index and files (an empty `git status`)."""
        try:
            return not git(self.root, "status", "--porcelain", "--", rel).strip()
        except GitError:
            return False

    def _head_after_commit(self) -> str:
        """The commit just made: read from the branch's ref file that `git commit` has just
        written (under the repository's lock), else asked to git."""
        try:
            head = (self.git_dir / "HEAD").read_text(encoding="ascii").strip()
            value = (self.git_dir / head[5:]).read_text(encoding="ascii").strip() if head.startswith("ref: ") else head
        except (OSError, UnicodeDecodeError, ValueError):
            return self.head()
        return value if _OBJECT_ID.fullmatch(value) else self.head()

    # -- internals ------------------------------------------------------------------------
    def _coop_dir(self, uai: str) -> Path:
        coop_dir = self.root / LEDGERS_DIRNAME / uai
        if not (coop_dir / COOP_FILENAME).is_file():
            raise StoreError(f"La coopérative {uai} n'existe pas dans ce dépôt.")
        return coop_dir

    def _relative_coop_dir(self, uai: str) -> str:
        return f"{LEDGERS_DIRNAME}/{uai}"

    def _summary(self, uai: str, rels: Mapping[PurePosixPath, str | bytes | None]) -> dict | None:
        """The console's summary of the coop after a write of books of its folder: from the
        texts about to be written, so from the load the rules' check has just made (remembered),
        outside the repository's lock. None for other writes (computed once written), and when
        it would take a second load (`summarize(cheap=True)`): the console computes it then."""
        if not all(len(rel.parts) == 1 and rel.suffix == ".beancount" for rel in rels):
            return None
        from retkoop_tools.console.summary import NotCheapError, summarize

        try:
            return summarize(self.root, uai, texts={rel.as_posix(): content for rel, content in rels.items()},
                             cheap=True)
        except NotCheapError:
            return None
        except Exception:  # noqa: BLE001 - a summary never stops a write: the console computes it
            _log.exception("Résumé de la console de %s non calculé", uai)
            return None

    def _write_summary(self, uai: str, summary: dict | None) -> bool:
        """Write the coop's `resume-console.json` for its files as written (with the coop's lock
        held); whether the file is new to the folder. Any failure leaves the previous one,
        whose key no longer matches: the console then computes the summary."""
        from retkoop_tools.console.committed import SUMMARY_FILENAME, written_summary
        from retkoop_tools.console.summary import NotCheapError

        path = self.root / LEDGERS_DIRNAME / uai / SUMMARY_FILENAME
        existed = path.exists()
        try:
            written_summary(self.root, uai, summary, cheap=True)
        except NotCheapError:  # the closed exercices' figures need a full load: not in a write
            pass
        except Exception:  # noqa: BLE001
            _log.exception("Résumé de la console de %s non écrit", uai)
        return not existed and path.exists()

    def _validate(self, uai: str, rels: Mapping[PurePosixPath, str | bytes | None],
                  warnings: list[CheckError] | None = None) -> CoopResult:
        before_key = self.cache.key(uai)
        cached = self.cache.get(before_key)
        before = CoopResult.from_dict(cached) if cached else check_coop(self.root, uai)
        if not cached:
            self.cache.put(before_key, before.as_dict())
        if all(len(rel.parts) == 1 and rel.suffix != ".yaml" for rel in rels):
            # Books of the coop's folder itself: checked as they will be, with their real names,
            # without copying the coop. This load is the one Fava shows next. A record (YAML:
            # the quitus, the adhésion, the mandataires) is read by the rules from the disk.
            after = check_coop(self.root, uai, texts={rel.as_posix(): content for rel, content in rels.items()})
        else:  # documents or records: the rules read them from the disk
            with self._staging(uai, rels) as staging_root:
                after = check_coop(staging_root, uai)
        added = new_errors(before, after)
        if added:
            raise RuleViolationError(added)
        if warnings is not None:
            warnings.extend(new_errors(before, after, warnings=True))
        return after

    @contextmanager
    def _staging(self, uai: str, rels: Mapping[PurePosixPath, str | bytes | None]) -> Iterator[Path]:
        """A throw-away AD root holding the coop as it would be after the write."""
        base = self.git_dir / STAGING_DIRNAME
        base.mkdir(exist_ok=True)
        _remove_stale(base)
        root = Path(tempfile.mkdtemp(dir=base))
        try:
            for name in (AD_FILENAME, AD_CHART_FILENAME):
                if (self.root / name).exists():
                    shutil.copy2(self.root / name, root / name)
            src = self.root / LEDGERS_DIRNAME / uai
            dst = root / LEDGERS_DIRNAME / uai
            dst.mkdir(parents=True)
            for item in src.iterdir():
                if item.is_symlink():
                    continue  # never followed; the verification of the coop's folder reports it
                if item.name == DOCUMENTS_DIRNAME:
                    # Hard links: cheap, and the originals stay intact (changed files are
                    # unlinked below before being written). Links are not followed.
                    shutil.copytree(item, dst / item.name, copy_function=os.link, symlinks=True)
                elif item.is_file():
                    shutil.copy2(item, dst / item.name)
            for rel, content in rels.items():
                target = dst / rel
                if target.exists() or target.is_symlink():
                    target.unlink()
                if content is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if isinstance(content, bytes):
                        target.write_bytes(content)
                    else:
                        target.write_text(content, encoding="utf-8")
            yield root
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _recover(self, uai: str) -> None:
        """Put aside what an interrupted write left uncommitted, and restore the last commit."""
        lock_file = self.git_dir / "index.lock"
        if lock_file.exists():  # we hold the repository lock: no git command of ours runs
            lock_file.unlink()
        rel = self._relative_coop_dir(uai)
        for tmp in (self.root / rel).rglob(".*.tmp"):  # atomic_write's, from a killed writer
            tmp.unlink(missing_ok=True)
        status = git(self.root, "status", "--porcelain", "--untracked-files=all", "--", rel)
        if not status.strip():
            return
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        keep = self.git_dir / RECOVERED_DIRNAME / f"{stamp}-{uai}"
        keep.mkdir(parents=True)
        (keep / "status.txt").write_text(status, encoding="utf-8")
        has_head = git(self.root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
        # Against HEAD: staged changes (an interrupted `git add`) as well as unstaged ones.
        diff = git(self.root, "diff", "--binary", "HEAD" if has_head else "--cached", "--", rel, check=False)
        (keep / "diff.patch").write_text(diff, encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("??"):
                path = self.root / line[3:].strip('"')
                if path.is_file():
                    (keep / "untracked").mkdir(exist_ok=True)
                    shutil.copy2(path, keep / "untracked" / path.name)
        # Unstage first: a file added to the index but not in HEAD would survive the checkout
        # and enter the next user's commit.
        git(self.root, "reset", "-q", "--", rel, check=False)
        if has_head:
            git(self.root, "checkout", "-q", "HEAD", "--", rel, check=False)
        git(self.root, "clean", "-fdq", "--", rel)

    def _commit(self, uai: str, author: Author, message: str, *, new_files: bool = True,
                alongside: Callable[[], None] | None = None, paths: list[str] | None = None) -> str | None:
        """Commit the coop's folder as it is. Without `new_files` (the folder was clean and the
        store wrote only files git knows, or removed some), `git commit -- <folder>` alone
        stages them: untracked files are what `git add -A` adds besides. `alongside` runs while
        git commits (see `write`). Given `paths` (the files written, in the coop's folder, the
        folder clean otherwise), the store writes the commit of those files itself
        (`store.objects`), `alongside` not run, unless git has to."""
        rel = self._relative_coop_dir(uai)
        full_message = f"{message.strip()}\n\n{COOP_TRAILER}: {uai}\n"
        writer = objects.writer_for(self.root, self.git_dir) if paths is not None else None
        if writer is not None:
            try:
                commit = writer.commit([f"{rel}/{p}" for p in paths], objects.Ident(author.name, author.ident),
                                       objects.Ident(self.committer.name, self.committer.ident), full_message)
            except objects.Unsupported as exc:
                _log.info("commit de %s par git : %s", uai, exc)
            else:
                if commit is not None and self.pusher is not None:
                    self.pusher.request()
                return commit
        if new_files:
            git(self.root, "add", "-A", "--", rel)
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.ident,
            "GIT_COMMITTER_NAME": self.committer.name,
            "GIT_COMMITTER_EMAIL": self.committer.ident,
        }
        try:
            # --no-verify: the store validated the coop already; only its folder is committed.
            # With nothing to commit in the folder, git says so and fails: no commit (what an
            # empty `git status` of the folder says, asked only then to be sure).
            running = git_started(self.root, "commit", "-q", "--no-verify", "-F", "-", "--", rel,
                                  env={**env, "LC_ALL": "C"}, input=full_message)
            if alongside is not None:
                try:
                    alongside()
                except Exception:  # noqa: BLE001 - the caller's work; the commit goes on
                    _log.exception("travail pendant le commit de %s", uai)
            running.wait()
        except GitError as exc:
            if _NOTHING_TO_COMMIT.search(str(exc)) and not isinstance(exc, OSError) and self._unchanged(rel):
                return None
            git(self.root, "reset", "-q", "--", rel, check=False)
            raise
        commit = self._head_after_commit()
        if self.pusher is not None:
            self.pusher.request()
        return commit
