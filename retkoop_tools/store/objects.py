"""A commit of files of one folder, written by the store itself: git's objects and the
branch's ref, as `git commit -- <files>` would make them, without its cost.

`git commit -- <folder>` reads and writes the whole index twice and looks at every file of the
repository (~4 400 in an AD of 200 coops of ten years), ~40 ms a save, with the repository's
lock held: under load every other save waits for it. Here the blobs, the trees from the
folder up to the root, and the commit are written as loose objects (zlib, SHA-1, a temporary
file renamed, fsynced), then the branch's ref is moved with git's own lock protocol
(`<ref>.lock` created exclusively, the old value checked, renamed over) and its reflog and
HEAD's appended; `git update-index` brings the index to the commit for the files given only,
for the files given only. A crash before the ref moves leaves the files uncommitted (the store's
recovery puts them aside, as after an interrupted `git commit`) and unreachable objects (git's
gc drops them); after, the commit is made.

Used only where the result is certain to be git's (`usable`): a SHA-1 repository with refs in
files, no attributes or filters that change what git stores for a file, HEAD on a branch, and
identities git keeps as given. Otherwise, and when git's lock of the ref is taken, the store
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

from retkoop_tools.store.gitcmd import git, git_started


class Unsupported(Exception):
    """This commit is for `git commit` to make (the reason in the message, for the logs)."""


@dataclass(frozen=True)
class Ident:
    name: str
    email: str


#: Configuration that changes the bytes git stores for a file, or how refs and objects are kept.
_CONFIG_BLOCKERS = re.compile(r"^(core\.(autocrlf|eol|attributesfile|bigfilethreshold|compression|"
                              r"looseCompression)|filter\..*|extensions\..*|core\.repositoryformatversion)$",
                              re.IGNORECASE)
#: Characters git removes from (or trims around) a name or e-mail: such identities go to git.
_IDENT_CRUD = set("<>\n\0")
_IDENT_EDGE_CRUD = set(".,:;<>\"\\' \t")
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
    for line in config.splitlines():
        _scope, _, setting = line.partition("\t")
        name, _, value = setting.partition("=")
        if not _CONFIG_BLOCKERS.match(name):
            continue
        if name.lower() == "core.repositoryformatversion" and value.strip() == "0":
            continue
        return False
    if any(line.lower().endswith("core.filemode=false") for line in config.splitlines()):
        return False  # git keeps the index's mode then
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for attributes in (git_dir / "info" / "attributes", home / "git" / "attributes", Path("/etc/gitattributes")):
        if attributes.exists():
            return False
    return (git_dir / "refs" / "heads").is_dir() and not (git_dir / "reftable").exists()


def _clean_message(message: str) -> str:
    """The message as `git commit -F -` keeps it (cleanup « whitespace »)."""
    lines = [line.rstrip() for line in message.splitlines()]
    out: list[str] = []
    for line in lines:
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


def _ident_ok(text: str) -> bool:
    return bool(text) and not (_IDENT_CRUD & set(text)) and text[0] not in _IDENT_EDGE_CRUD \
        and text[-1] not in _IDENT_EDGE_CRUD


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
        if path.exists():
            return sha
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

    def _move_ref(self, ref: str, old: bytes | None, new: bytes, log_line: str) -> None:
        path = self.git_dir / ref
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise Unsupported(f"{lock.name} existe : git met à jour la branche") from None
        try:
            if self._ref_value(ref) != old:
                raise Unsupported(f"{ref} a changé pendant le commit")
            os.write(fd, new.hex().encode() + b"\n")
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(lock, path)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            lock.unlink(missing_ok=True)
            raise
        for log in (self.git_dir / "logs" / ref, self.git_dir / "logs" / "HEAD"):
            if log.exists() or log == self.git_dir / "logs" / ref:
                log.parent.mkdir(parents=True, exist_ok=True)
                with open(log, "a", encoding="utf-8") as f:
                    f.write(log_line)

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
        for rel in rels:
            if rel.is_absolute() or ".." in rel.parts or rel.parts[0] == ".git":
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
        # The index takes the files (the same blobs) while the objects are written; a failure
        # raises GitError, the ref unmoved.
        index = git_started(self.root, "update-index", "--add", "--remove", "--", *paths)
        try:
            for parts, content in contents.items():
                if content is not None:
                    self.write(b"blob", content[1])
            self._changed_tree(root_tree, blobs)
        except BaseException:
            index.proc.terminate()  # git removes its index.lock
            index.wait(check=False)
            raise
        index.wait()
        now = time.time()
        stamp = f"{int(now)} {_tz(now)}"
        body = (f"tree {new_tree.hex()}\nparent {parent.hex()}\n"
                f"author {author.name} <{author.email}> {stamp}\n"
                f"committer {committer.name} <{committer.email}> {stamp}\n\n{message}")
        commit = self.write(b"commit", body.encode("utf-8"))
        subject = message.split("\n", 1)[0]
        self._move_ref(ref, parent, commit,
                       f"{parent.hex()} {commit.hex()} {committer.name} <{committer.email}> {stamp}\t"
                       f"commit: {subject}\n")
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
