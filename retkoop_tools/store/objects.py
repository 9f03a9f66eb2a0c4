"""A commit of files of one folder, written by the store itself: git's objects and the
branch's ref, as `git commit -- <files>` would make them, without its cost.

`git commit -- <folder>` reads and writes the whole index twice and looks at every file of the
repository (~4 400 in an AD of 200 coops of ten years), ~40 ms a save, with the repository's
lock held: under load every other save waits for it. Here the blobs, the trees from the
folder up to the root, and the commit are written as loose objects (zlib, SHA-1, a temporary
file renamed, fsynced); `git update-index` brings the index to the commit for the files given
only, meanwhile; then `git update-ref` moves the branch from the parent to the commit (git's
lock of the ref, the old value checked, the reflogs of the branch and of HEAD written first,
as `git commit` does). Both run as git processes started before the objects are written (their
start-up hidden), and hold the store's locks with them: a writer killed at any moment leaves
no lock of git behind it. A crash before the ref moves leaves the files uncommitted (the
store's recovery puts them aside, as after an interrupted `git commit`) and unreachable
objects (git's gc drops them); after, the commit is made.

Used only where the result is certain to be git's (`usable`): a SHA-1 repository with refs in
files, no attributes or filters that change what git stores for a file, no configuration that
changes a commit (signing, message cleanup or encoding, shared permissions, a post-commit
hook), HEAD on a branch, identities and messages git keeps as given, and paths git accepts. Otherwise, and when git's lock of the ref is taken, the store
runs `git commit` as before (`Unsupported`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import stat
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from retkoop_tools.store.gitcmd import GitError, GitNoSpaceError, git, git_started


class Unsupported(Exception):
    """This commit is for `git commit` to make (the reason in the message, for the logs)."""


@dataclass(frozen=True)
class Ident:
    name: str
    email: str


#: Configuration that changes the bytes git stores for a file, or how refs and objects are kept,
#: or what `git commit` makes of a commit: set at all, git commits.
_CONFIG_BLOCKERS = re.compile(r"^(core\.(autocrlf|eol|attributesfile|bigfilethreshold|compression|"
                              r"looseCompression|sharedRepository)|filter\..*|extensions\..*|"
                              r"i18n\.commitEncoding|core\.repositoryformatversion)$", re.IGNORECASE)
#: Settings whose default (given here) alone gives git's commit as written here.
_CONFIG_DEFAULTS = {"core.repositoryformatversion": "0", "core.filemode": "true", "commit.gpgsign": "false",
                    "commit.cleanup": "default"}
_GIT_TRUE = {"true", "yes", "on", "1"}
_GIT_FALSE = {"false", "no", "off", "0", ""}
#: Characters git removes from a name or e-mail anywhere: such identities go to git.
_IDENT_CRUD = set("<>\n\0")
#: Characters git trims around a name or e-mail (`crud` in git's ident.c), besides ≤ U+0020.
_IDENT_EDGE_CRUD = set(".,:;<>\"\\'")
#: What macOS's file system ignores in a name, and git with it (`is_hfs_dotgit`).
_HFS_IGNORED = frozenset(chr(c) for c in (*range(0x200c, 0x2010), *range(0x202a, 0x202f),
                                          *range(0x206a, 0x2070), 0xfeff))
#: Git's whitespace (its own `isspace`): what `git commit` strips at the end of a message's lines.
_GIT_SPACE = " \t\n\r"
#: Parsed trees kept by id (immutable), most recent first out.
_TREES_KEPT = 512
#: Commits written here between two `git gc --auto` (which `git commit` would run each time).
GC_EVERY = 50

_USABLE: dict[str, bool] = {}
_USABLE_LOCK = threading.Lock()


def usable(root: Path, git_dir: Path) -> bool:
    """Whether commits of this repository may be written here (checked once per process)."""
    key = str(git_dir)
    with _USABLE_LOCK:
        if key not in _USABLE:
            _USABLE[key] = _check_usable(root, git_dir)
        return _USABLE[key]


def _check_usable(root: Path, git_dir: Path) -> bool:
    try:
        config = git(root, "config", "--list", "--show-scope", check=False)
    except OSError:
        return False
    settings: dict[str, str] = {}
    for line in config.splitlines():
        _scope, _, setting = line.partition("\t")
        name, equal, value = setting.partition("=")
        name = name.lower()
        if _CONFIG_BLOCKERS.match(name) and name != "core.repositoryformatversion":
            return False
        if name == "core.hookspath":
            hooks = Path(os.path.expanduser(value.strip()))
            settings[name] = str(hooks if hooks.is_absolute() else root / hooks)
            continue
        settings[name] = value.strip().lower() if equal else "true"  # the last one wins, as in git
    for name, default in _CONFIG_DEFAULTS.items():
        value = settings.get(name, default)
        if default in ("true", "false"):
            if value not in (_GIT_TRUE if default == "true" else _GIT_FALSE):
                return False  # core.filemode off: git keeps the index's mode; gpgsign: a signature
        elif value not in (default, "whitespace" if name == "commit.cleanup" else default):
            return False
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for attributes in (git_dir / "info" / "attributes", home / "git" / "attributes", Path("/etc/gitattributes")):
        if attributes.exists():
            return False
    hooks = Path(settings.get("core.hookspath") or git_dir / "hooks")
    if (hooks / "post-commit").exists():  # `git commit --no-verify` runs it still
        return False
    return (git_dir / "refs" / "heads").is_dir() and not (git_dir / "reftable").exists()


def _clean_message(message: str) -> str:
    """The message as `git commit -F -` keeps it (cleanup « whitespace »: lines cut at "\n"
    only, git's whitespace stripped at their end, blank lines collapsed and trimmed)."""
    out: list[str] = []
    for line in message.split("\n"):
        line = line.rstrip(_GIT_SPACE)
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _tz(now: float) -> str:
    offset = time.localtime(now).tm_gmtoff // 60
    sign = "-" if offset < 0 else "+"
    return f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"


def _edge_crud(char: str) -> bool:
    return char <= " " or char in _IDENT_EDGE_CRUD


def _ident_ok(text: str) -> bool:
    return bool(text) and not (_IDENT_CRUD & set(text)) and not _edge_crud(text[0]) and not _edge_crud(text[-1])


def git_reserved(part: str) -> bool:
    """Whether git refuses this name in a path (its `verify_path`, NTFS and HFS protections
    on: `.git` under any case, with dots or spaces after it, as `git~1`)."""
    lowered = "".join(c for c in part.lower() if c not in _HFS_IGNORED).rstrip(". ")
    return lowered in (".git", "git~1") or part in (".", "..", "")


def _path_ok(rel: PurePosixPath) -> bool:
    """Whether git takes this path as it is, and stores it as the store would: nothing git
    reserves or reads as its own (attributes, modules, ignore files), nothing odd."""
    if rel.is_absolute() or not rel.parts:
        return False
    for part in rel.parts:
        if git_reserved(part) or part.lower().startswith(".git") or "\\" in part or ":" in part \
                or any(ord(c) < 0x20 or c in _HFS_IGNORED for c in part):
            return False
    return True


def _tree_key(entry: tuple[bytes, bytes, bytes]) -> bytes:
    mode, name, _ = entry
    return name + b"/" if mode == b"40000" else name


class ObjectWriter:
    """Commits of one repository written in-process; one per repository and process, used
    with the store's repository lock held."""

    def __init__(self, root: Path, git_dir: Path):
        self.root = root
        self.git_dir = git_dir
        self.objects = git_dir / "objects"
        self._trees: collections.OrderedDict[bytes, list] = collections.OrderedDict()
        self._since_gc = 0

    # -- objects ----------------------------------------------------------------------
    def _path(self, sha: bytes) -> Path:
        hexsha = sha.hex()
        return self.objects / hexsha[:2] / hexsha[2:]

    def write(self, kind: bytes, body: bytes, dry: bool = False) -> bytes:
        """Write the object (unless `dry`); its id."""
        data = kind + b" " + str(len(body)).encode() + b"\0" + body
        sha = hashlib.sha1(data).digest()
        if dry:
            return sha
        path = self._path(sha)
        try:
            os.utime(path)  # there already: freshened, as git does, for its gc's grace period
            return sha
        except FileNotFoundError:
            pass
        except OSError:  # not ours to touch: written anew
            pass
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="tmp_obj_", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(zlib.compress(data))
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return sha

    def _read(self, sha: bytes, kind: bytes) -> bytes:
        try:
            data = zlib.decompress(self._path(sha).read_bytes())
        except FileNotFoundError:  # packed: git reads it
            proc = subprocess.run(["git", "cat-file", kind.decode(), sha.hex()], cwd=self.root,
                                  capture_output=True, env={**os.environ, "LC_ALL": "C"})
            if proc.returncode:
                raise Unsupported(f"objet {sha.hex()} illisible : {proc.stderr.decode(errors='replace')}")
            return proc.stdout
        header, _, body = data.partition(b"\0")
        if not header.startswith(kind + b" ") or int(header.split()[1]) != len(body):
            raise Unsupported(f"objet {sha.hex()} : {header!r}")
        return body

    def tree(self, sha: bytes) -> list[tuple[bytes, bytes, bytes]]:
        """The entries (mode, name, id) of tree `sha`."""
        kept = self._trees.get(sha)
        if kept is not None:
            self._trees.move_to_end(sha)
            return list(kept)
        body = self._read(sha, b"tree")
        entries, at = [], 0
        while at < len(body):
            space = body.index(b" ", at)
            nul = body.index(b"\0", space)
            entries.append((body[at:space], body[space + 1:nul], body[nul + 1:nul + 21]))
            at = nul + 21
        self._keep(sha, entries)
        return list(entries)

    def _keep(self, sha: bytes, entries: list) -> None:
        self._trees[sha] = entries
        self._trees.move_to_end(sha)
        while len(self._trees) > _TREES_KEPT:
            self._trees.popitem(last=False)

    def write_tree(self, entries: list[tuple[bytes, bytes, bytes]], dry: bool = False) -> bytes:
        entries = sorted(entries, key=_tree_key)
        sha = self.write(b"tree", b"".join(mode + b" " + name + b"\0" + oid for mode, name, oid in entries), dry)
        if not dry:
            self._keep(sha, entries)
        return sha

    # -- refs -------------------------------------------------------------------------
    def branch(self) -> tuple[str, bytes | None]:
        """HEAD's branch (`refs/heads/…`) and its commit (None: no commit yet)."""
        head = (self.git_dir / "HEAD").read_text(encoding="ascii").strip()
        if not head.startswith("ref: refs/heads/"):
            raise Unsupported("HEAD détachée")
        ref = head[5:]
        return ref, self._ref_value(ref)

    def _ref_value(self, ref: str) -> bytes | None:
        try:
            value = (self.git_dir / ref).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            value = None
            packed = self.git_dir / "packed-refs"
            if packed.exists():
                for line in packed.read_text(encoding="ascii").splitlines():
                    if line.endswith(" " + ref) and not line.startswith(("#", "^")):
                        value = line.split(" ", 1)[0]
        if value is None:
            return None
        if not re.fullmatch(r"[0-9a-f]{40}", value):
            raise Unsupported(f"référence {ref} : {value!r}")
        return bytes.fromhex(value)

    # -- the commit -------------------------------------------------------------------
    def commit(self, paths: list[str], author: Ident, committer: Ident, message: str) -> str | None:
        """Commit the files `paths` (relative to the root, as they are on disk; a missing one is
        removed), and nothing else. The new commit's id, or None when nothing changed.
        Raises Unsupported before anything is committed when git has to do it."""
        for who in (author, committer):
            if not (_ident_ok(who.name) and _ident_ok(who.email)):
                raise Unsupported("identité que git réécrirait")
        message = _clean_message(message)
        if not message:
            raise Unsupported("message vide")
        rels = [PurePosixPath(p) for p in paths]
        if "\0" in message:
            raise Unsupported("message avec un caractère nul")
        for rel in rels:
            if not _path_ok(rel):
                raise Unsupported(f"chemin {rel}")
            for folder in [self.root, *(self.root / rel.parents[i] for i in range(len(rel.parts) - 2, -1, -1))]:
                if (folder / ".gitattributes").exists():
                    raise Unsupported("attributs git")
        ref, parent = self.branch()
        if parent is None:
            raise Unsupported("premier commit")
        commit_body = self._read(parent, b"commit")
        root_tree = bytes.fromhex(commit_body[5:45].decode("ascii"))
        contents: dict[tuple[str, ...], tuple[bytes, bytes] | None] = {}
        for rel in rels:
            path = self.root / rel
            try:
                info = path.lstat()
            except FileNotFoundError:
                contents[rel.parts] = None
                continue
            if not stat.S_ISREG(info.st_mode):
                raise Unsupported(f"{rel} n'est pas un fichier")
            contents[rel.parts] = (b"100755" if info.st_mode & stat.S_IXUSR else b"100644", path.read_bytes())
        blobs = {parts: None if c is None else (c[0], self.write(b"blob", c[1], dry=True)) for parts, c in contents.items()}
        new_tree = self._changed_tree(root_tree, blobs, dry=True)
        if new_tree == root_tree:  # the index has these contents already
            return None
        now = time.time()
        stamp = f"{int(now)} {_tz(now)}"
        body = (f"tree {new_tree.hex()}\nparent {parent.hex()}\n"
                f"author {author.name} <{author.email}> {stamp}\n"
                f"committer {committer.name} <{committer.email}> {stamp}\n\n{message}").encode("utf-8")
        commit = self.write(b"commit", body, dry=True)
        subject = message.split("\n", 1)[0]
        # The index takes the files (the same blobs) while the objects are written; git's
        # update-ref, started meanwhile, waits for its order. A failure before it is given
        # leaves the ref unmoved (update-ref reads nothing and does nothing).
        index = git_started(self.root, "update-index", "--add", "--remove", "--", *paths)
        move = git_started(self.root, "update-ref", "-m", f"commit: {subject}", "--stdin", input_later=True,
                           env={"GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email,
                                "GIT_COMMITTER_DATE": f"@{stamp}"})
        try:
            for parts, content in contents.items():
                if content is not None:
                    self.write(b"blob", content[1])
            self._changed_tree(root_tree, blobs)
            self.write(b"commit", body)
            index.wait()
        except BaseException:
            if index.proc.returncode is None:
                index.proc.terminate()  # git removes its index.lock
            index.wait(check=False)
            move.wait(check=False)
            raise
        move.input = f"update {ref} {commit.hex()} {parent.hex()}\n"
        try:
            move.wait()
        except GitNoSpaceError:
            raise
        except GitError as exc:  # its lock taken, the branch moved meanwhile: for git commit
            raise Unsupported(str(exc)) from None
        self._since_gc += 1
        if self._since_gc >= GC_EVERY:
            self._since_gc = 0
            threading.Thread(target=self._gc, daemon=True).start()
        return commit.hex()

    def _gc(self) -> None:
        """What `git commit` runs after each commit: packs loose objects once there are many
        (detached, it does not hold the store's lock)."""
        subprocess.run(["git", "gc", "--auto", "--quiet"], cwd=self.root, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    def _changed_tree(self, tree: bytes | None, changes: Mapping[tuple[str, ...], tuple[bytes, bytes] | None],
                      dry: bool = False) -> bytes | None:
        """Tree `tree` with `changes` (path parts → (mode, blob) or None) applied, written
        (unless `dry`); None when it is left empty."""
        entries = {e[1]: e for e in self.tree(tree)} if tree is not None else {}
        below: dict[bytes, dict] = collections.defaultdict(dict)
        for parts, change in changes.items():
            name = parts[0].encode("utf-8")
            if len(parts) == 1:
                old = entries.get(name)
                if old is not None and old[0] == b"40000":
                    raise Unsupported(f"{parts[0]} est un dossier")
                if change is None:
                    entries.pop(name, None)
                else:
                    if old is not None and old[0] not in (b"100644", b"100755"):
                        raise Unsupported(f"{parts[0]} : mode {old[0]!r}")
                    entries[name] = (change[0], name, change[1])
            else:
                below[name][parts[1:]] = change
        for name, sub in below.items():
            old = entries.get(name)
            if old is not None and old[0] != b"40000":
                raise Unsupported(f"{name!r} n'est pas un dossier")
            sha = self._changed_tree(old[2] if old else None, sub, dry)
            if sha is None:
                entries.pop(name, None)
            else:
                entries[name] = (b"40000", name, sha)
        if not entries:
            return None
        return self.write_tree(list(entries.values()), dry)


_WRITERS: dict[str, ObjectWriter] = {}


def writer_for(root: Path, git_dir: Path) -> ObjectWriter | None:
    """The repository's writer in this process, or None when git must commit (`usable`)."""
    if not usable(root, git_dir):
        return None
    with _USABLE_LOCK:
        key = str(git_dir)
        if key not in _WRITERS:
            _WRITERS[key] = ObjectWriter(root, git_dir)
        return _WRITERS[key]
