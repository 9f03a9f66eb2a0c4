"""Changes to a coop's files as text: entries replaced, removed, inserted, ticked.

Edits are collected, then applied file by file from the bottom up (so that the line numbers
of the loaded entries stay right), insertions last, before the exercice's insert marker.
The result is a `{relative path: new text}` mapping for the store, which validates it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from retkoop_tools.ledger.conventions import META_RELEVE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position


class EditError(Exception):
    """The files are not as the loaded ledger said (changed meanwhile); French message."""


def _entry_lines(lines: list[str], lineno: int) -> tuple[int, int]:
    """[start, end) of the entry starting at 1-based `lineno`, with the blank line after it."""
    start = lineno - 1
    if start >= len(lines) or not lines[start][:1].isdigit():
        raise EditError("Le fichier a changé depuis l'affichage de la page : rechargez-la et recommencez.")
    end = start + 1
    while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip():
        end += 1
    if end < len(lines) and not lines[end].strip():
        end += 1
    return start, end


class Changes(dict):
    """The new texts by file, with the texts they were computed from (`originals`): the store
    refuses them if a file changed in between (another writer's save would be lost)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.originals: dict[str, str] = {}


class Edits:
    def __init__(self, coop_dir: Path):
        self.coop_dir = Path(coop_dir)
        self._line_edits: dict[str, list[tuple[int, str, object]]] = defaultdict(list)
        self._inserts: dict[str, list[str]] = defaultdict(list)
        self.extra: dict[str, str | bytes] = {}

    def _rel(self, filename: str) -> str:
        path = Path(filename)
        try:
            return path.resolve().relative_to(self.coop_dir.resolve()).as_posix()
        except ValueError:
            raise EditError(f"{filename} n'est pas un fichier de cette coopérative.") from None

    def replace(self, meta: dict, text: str) -> None:
        self._line_edits[self._rel(meta["filename"])].append((int(meta["lineno"]), "replace", text))

    def remove(self, meta: dict) -> None:
        self._line_edits[self._rel(meta["filename"])].append((int(meta["lineno"]), "remove", None))

    def set_meta(self, meta: dict, key: str, value: str) -> None:
        """Give the entry at `meta` the metadata `key: value` (value as Beancount text)."""
        self._line_edits[self._rel(meta["filename"])].append((int(meta["lineno"]), "meta", (key, value)))

    def set_posting_meta(self, meta: dict, account: str, key: str, value: str) -> None:
        """Give the posting on `account` of the entry at `meta` the metadata `key: value`."""
        self._line_edits[self._rel(meta["filename"])].append((int(meta["lineno"]), "posting-meta", (account, key, value)))

    def tick(self, op, account: str, value: str) -> None:
        """Tick `op` on a statement of `account` (`releve: value`): on the operation when it moves
        that one bank account, on its posting when it moves two (a transfer, an opening)."""
        if len(op.banks) > 1:
            self.set_posting_meta(op.entry.meta, account, META_RELEVE, value)
        else:
            self.set_meta(op.entry.meta, META_RELEVE, value)

    def insert(self, exercice: Exercice, text: str) -> None:
        self._inserts[exercice.filename].append(text.strip("\n") + "\n\n")

    def changes(self) -> Changes:
        result = Changes(self.extra)
        for rel in sorted(set(self._line_edits) | set(self._inserts)):
            path = self.coop_dir / rel
            if not path.exists():
                raise EditError(f"L'exercice {rel} n'existe pas pour cette coopérative.")
            text = path.read_text(encoding="utf-8")
            result.originals[rel] = text
            lines = text.splitlines(keepends=True)
            for lineno, action, arg in sorted(self._line_edits.get(rel, []), key=lambda e: -e[0]):
                start, end = _entry_lines(lines, lineno)
                if action == "remove":
                    del lines[start:end]
                elif action == "replace":
                    lines[start:end] = [arg.strip("\n") + "\n\n"]  # type: ignore[union-attr]
                elif action == "posting-meta":
                    account, key, value = arg  # type: ignore[misc]
                    posting = re.compile(rf"^\s+{re.escape(account)}(\s|$)")
                    at = next((i for i in range(start + 1, end) if posting.match(lines[i])), None)
                    if at is None:
                        raise EditError("Le fichier a changé depuis l'affichage de la page : rechargez-la et recommencez.")
                    lines.insert(at + 1, f"    {key}: {value}\n")
                else:
                    key, value = arg  # type: ignore[misc]
                    pattern = re.compile(rf"^\s+{re.escape(key)}:")
                    meta_end = start + 1
                    while meta_end < end and re.match(r"^\s+[a-z][A-Za-z0-9_-]*:", lines[meta_end]):
                        meta_end += 1
                    new_line = f"  {key}: {value}\n"
                    for i in range(start + 1, meta_end):
                        if pattern.match(lines[i]):
                            lines[i] = new_line
                            break
                    else:
                        lines.insert(meta_end, new_line)
            text = "".join(lines)
            inserts = self._inserts.get(rel)
            if inserts:
                at = insert_position(text)
                text = text[:at] + "".join(inserts) + text[at:]
            result[rel] = text
        return result
