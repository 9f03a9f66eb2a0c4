"""Writes made by Fava, routed through the store.

Fava writes files in place, without our rules, and fires no hook for document uploads,
deletes or moves. So every state-changing request to a coop's Fava app runs under the
repository lock, between a snapshot of the coop's folder and a comparison with it: what Fava
changed is put back as it was, then handed to the store, which validates it, writes it
atomically and commits it with the logged-in user as author — or refuses it with the rule's
French message, and the files stay as they were.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from retkoop_tools.history.diff import diff_entries, diff_texts, parse_entries

_TEXT_SUFFIXES = (".beancount", ".yaml")


@dataclass
class Snapshot:
    """The coop's folder before a request: text files copied, other files hard-linked."""

    coop_dir: Path
    backup: Path
    files: dict[str, tuple[int, int, int]]  # rel → (inode, size, mtime_ns)
    folders: dict[str, tuple[int, int]] = field(default_factory=dict)  # rel → (atime_ns, mtime_ns)

    @classmethod
    def take(cls, coop_dir: Path, scratch: Path) -> Snapshot:
        scratch.mkdir(parents=True, exist_ok=True)
        backup = Path(tempfile.mkdtemp(prefix="snapshot-", dir=scratch))
        files = {}
        folders = {".": (coop_dir.stat().st_atime_ns, coop_dir.stat().st_mtime_ns)}
        for path in coop_dir.rglob("*"):
            if path.is_dir():
                stat = path.stat()
                folders[path.relative_to(coop_dir).as_posix()] = (stat.st_atime_ns, stat.st_mtime_ns)
            if not path.is_file():
                continue
            rel = path.relative_to(coop_dir).as_posix()
            stat = path.stat()
            files[rel] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            target = backup / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix in _TEXT_SUFFIXES:  # Fava rewrites these in place: a real copy
                shutil.copy2(path, target)
            else:  # documents are created, deleted or renamed, never rewritten: a link
                os.link(path, target)
        return cls(coop_dir, backup, files, folders)

    def changes(self) -> dict[str, bytes | None]:
        """What changed since the snapshot: rel → new bytes, or None when deleted."""
        now = {}
        for path in self.coop_dir.rglob("*"):
            if path.is_file():
                stat = path.stat()
                now[path.relative_to(self.coop_dir).as_posix()] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        changed: dict[str, bytes | None] = {}
        for rel, sig in now.items():
            if self.files.get(rel) != sig:
                content = (self.coop_dir / rel).read_bytes()
                old = self.backup / rel
                if rel in self.files and old.read_bytes() == content:
                    continue
                changed[rel] = content
        for rel in self.files.keys() - now.keys():
            changed[rel] = None
        return changed

    def restore(self, changed: dict[str, bytes | None]) -> None:
        """Put back the files as they were before the request.

        The saved copies are renamed back into place: no byte is written, so this works on a
        full disk too (the copies are used once: the snapshot is discarded after)."""
        for rel in changed:
            current, old = self.coop_dir / rel, self.backup / rel
            if rel in self.files:
                os.replace(old, current)
            elif current.exists():
                current.unlink()
        # Folders Fava created for a document and that are now empty.
        for path in sorted(self.coop_dir.rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()) and not (self.backup / path.relative_to(self.coop_dir)).exists():
                path.rmdir()
        # The files are as they were, and so are the folders' dates: Fava's watcher, which
        # reads them, sees no change (no false « file changed » in the teacher's page).
        for rel, times in sorted(self.folders.items(), key=lambda item: -item[0].count("/")):
            folder = self.coop_dir / rel
            if folder.is_dir():
                os.utime(folder, ns=times)

    def restored(self) -> bool:
        """Whether the folder holds the snapshot's files again: the same names, sizes and dates
        (`restore` puts back the copies, which keep their originals' dates)."""
        now = {}
        for path in self.coop_dir.rglob("*"):
            if path.is_file():
                stat = path.stat()
                now[path.relative_to(self.coop_dir).as_posix()] = (stat.st_size, stat.st_mtime_ns)
        return now == {rel: (size, mtime) for rel, (_inode, size, mtime) in self.files.items()}

    def discard(self) -> None:
        shutil.rmtree(self.backup, ignore_errors=True)

    def old_text(self, rel: str) -> str:
        path = self.backup / rel
        return path.read_text("utf-8") if path.exists() else ""


def commit_message(snapshot: Snapshot, changes: dict[str, bytes | None]) -> str:
    """A French commit message from the changes themselves (entries, then documents)."""
    old, new = [], []
    documents = []
    books = [rel for rel in changes if rel.endswith(".beancount")]
    # Parsed under the name the rules' load gives the file: that load reads the same parse.
    folder = snapshot.coop_dir.resolve()
    for rel, content in sorted(changes.items()):
        if rel.endswith(".beancount"):
            old_text = snapshot.old_text(rel)
            new_text = content.decode("utf-8", "replace") if content is not None else ""
            if len(books) == 1:  # one file (a save): its entries compared in the changed region
                changed = diff_texts(old_text, new_text, str(folder / rel))
            else:
                old += parse_entries(old_text, rel)
                new += parse_entries(new_text, rel)
        else:
            documents.append(("Ajout du document " if content is not None else "Suppression du document ") + rel)
    if len(books) != 1:
        changed = diff_entries(old, new)
    described = [c.description for c in changed]
    lines = described + documents
    if not lines:
        return "Mise en forme des livres (aucune écriture changée)"
    # A user's text (a note on several lines…) never adds lines to the commit message.
    lines = [re.sub(r"[\r\n\t\x00-\x1f]+", " ", line) for line in lines]
    first = lines[0]
    for prefix, verb in (("Opération ajoutée : ", "Saisie "), ("Opération modifiée : ", "Correction "),
                         ("Opération supprimée : ", "Suppression ")):
        if first.startswith(prefix):
            first = verb + first[len(prefix):]
    return first if len(lines) == 1 else f"{first} (et {len(lines) - 1} autre(s) changement(s))"
