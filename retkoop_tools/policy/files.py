"""A coop's folder, verified before anything loads it.

Beancount imports the plugins, follows the includes and reads the documents folder that the
top-level file names; Fava imports the extensions and runs the import configuration that any
file names. So before a check, a hook, CI, the console, a document or a Fava app loads a coop:

- `coop.beancount` must be exactly the file this version of retkoop generates for the coop's
  identity and exercice files (`retkoop coop entete` rewrites it after an upgrade);
- every other `.beancount` file must declare nothing (`scan.scan_included`);
- nothing in the folder may be a symbolic link.

When one of these fails, the coop is not loaded at all: the violations are its errors.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from retkoop_tools.ad import COOP_FILENAME
from retkoop_tools.ledger.conventions import CUSTOM_COOPERATIVE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import COMPTES_FILENAME, CoopIdentity, render_coop_file
from retkoop_tools.policy.scan import Violation, decode, scan_included

_CLEAN_CACHE_SIZE = 4096
_clean: OrderedDict[tuple[str, str], bool] = OrderedDict()
_clean_lock = threading.Lock()


class UnsafeLedgerError(Exception):
    """A coop's files hold what no load may follow; nothing was loaded."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        shown = "\n".join(f"  {v.message}" for v in violations[:10])
        super().__init__("Les livres de la coopérative n'ont pas été chargés : ils contiennent des "
                         f"lignes interdites.\n{shown}")


@functools.lru_cache(maxsize=64)  # each load verifies the header: the same text, parsed once
def identity_of(text: str) -> CoopIdentity | None:
    """The coop's identity from the text of its coop.beancount (parsed, nothing followed)."""
    entries, _errors, _options = parser.parse_string(text)
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_COOPERATIVE and entry.values:
            return CoopIdentity(
                uai=str(entry.values[0].value),
                nom=str(entry.meta.get("nom", "")),
                commune=str(entry.meta.get("commune", "")),
                numerotation=str(entry.meta.get("numerotation", "RD")),
                banques=str(entry.meta.get("banques", "") or ""),
                email=str(entry.meta.get("email", "") or ""),
            )
    return None


Texts = Mapping[str, "str | bytes | None"]


def included_files(coop_dir: Path, texts: Texts | None = None) -> list[str]:
    """The files coop.beancount includes: the chart's accounts and one file per exercice
    (with `texts`, the files a write is about to add or delete: path → content or None)."""
    names = {p.name for p in coop_dir.glob("*.beancount")}
    for rel, content in (texts or {}).items():
        if "/" not in rel and rel.endswith(".beancount"):
            (names.add if content is not None else names.discard)(rel)
    exercices = sorted(e for e in (Exercice.from_filename(n) for n in names) if e is not None)
    return [COMPTES_FILENAME] + [e.filename for e in exercices]


def expected_coop_file(coop_dir: Path, text: str, texts: Texts | None = None) -> str | None:
    """coop.beancount as this version writes it, for the identity that `text` declares."""
    identity = identity_of(text)
    exercices = [e for e in (Exercice.from_filename(n) for n in included_files(coop_dir, texts)) if e]
    if identity is None or not exercices:
        return None
    return render_coop_file(identity, exercices)


def _content(coop_dir: Path, rel: str, texts: Texts | None) -> bytes:
    if texts is not None and texts.get(rel) is not None:
        content = texts[rel]
        return content.encode("utf-8") if isinstance(content, str) else content  # type: ignore[union-attr]
    return (coop_dir / rel).read_bytes()


def header_violations(coop_dir: Path, uai: str | None = None, texts: Texts | None = None) -> list[Violation]:
    """Whether coop.beancount is the one retkoop generates (first differing line named)."""
    text, problems = decode(_content(coop_dir, COOP_FILENAME, texts), COOP_FILENAME)
    if text is None:
        return problems
    expected = expected_coop_file(coop_dir, text, texts)
    fix = f"l'AD le régénère avec « retkoop coop entete {uai or coop_dir.name} »"
    if expected is None:
        return [Violation(COOP_FILENAME, 0, f"{COOP_FILENAME} n'a pas d'identité de coopérative "
                                            f"ou la coopérative n'a aucun exercice : {fix}.")]
    if identity_of(text).uai != (uai or coop_dir.name):  # type: ignore[union-attr]
        return [Violation(COOP_FILENAME, 0, f"{COOP_FILENAME} déclare une autre coopérative que "
                                            f"{uai or coop_dir.name} : {fix}.")]
    if text == expected:
        return []
    have, want = text.splitlines(), expected.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=have, b=want, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        # Name the first line that is not blank in what differs.
        i1 = next((i for i in range(i1, i2) if have[i].strip()), i1)
        j1 = next((j for j in range(j1, j2) if want[j].strip()), j1)
        if tag == "delete" or (tag == "replace" and not want[j1].strip()):
            what = f"« {_short(have[i1])} » n'est pas"
        elif tag == "insert" or not have[i1].strip():
            what = f"il manque « {_short(want[j1])} »"
        else:
            what = f"« {_short(have[i1])} » remplace « {_short(want[j1])} »"
        return [Violation(COOP_FILENAME, i1 + 1,
                          f"{COOP_FILENAME}, ligne {i1 + 1} : {what} dans l'en-tête que retkoop "
                          f"génère (options, règles OCCE, pages, fichiers inclus). Ce fichier "
                          f"système ne se modifie pas à la main : {fix}.")]
    return []


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 90 else line[:87] + "…"


def _included_clean(content: bytes, rel: str) -> list[Violation]:
    key = (rel, hashlib.sha256(content).hexdigest())
    with _clean_lock:
        if key in _clean:
            _clean.move_to_end(key)
            return []
    problems = scan_included(content, rel)
    if not problems:
        with _clean_lock:
            _clean[key] = True
            while len(_clean) > _CLEAN_CACHE_SIZE:
                _clean.popitem(last=False)
    return problems


def _symlinks(coop_dir: Path) -> list[str]:
    """The symbolic links in a coop's folder (the file types come with the listing: no stat)."""
    found, stack = [], [str(coop_dir)]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for item in listing:
                if item.is_symlink():
                    found.append(Path(item.path).relative_to(coop_dir).as_posix())
                elif item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
    return sorted(found)


def verify_coop_dir(coop_dir: Path, uai: str | None = None, texts: Texts | None = None,
                    scanned_later: Collection[str] = ()) -> list[Violation]:
    """Everything in a coop's folder that no load may follow (empty: safe to load). With
    `texts`, the folder as a write is about to leave it (path → new content, None: deleted).
    `scanned_later`: included files not scanned here, because the caller may not parse them
    and scans each one it parses (`scan_file`): the closed exercices, which a standalone load
    only hashes."""
    coop_dir = Path(coop_dir)
    problems = [Violation(rel, 0, f"{rel} est un lien symbolique : les livres et les documents d'une "
                                  "coopérative sont de vrais fichiers.") for rel in _symlinks(coop_dir)]
    if problems:
        return problems
    problems += header_violations(coop_dir, uai, texts)
    for rel in included_files(coop_dir, texts):
        if rel in scanned_later:
            continue
        if (texts is not None and texts.get(rel) is not None) or (coop_dir / rel).is_file():
            problems += _included_clean(_content(coop_dir, rel, texts), rel)
    return problems


def scan_file(content: bytes, rel: str) -> list[Violation]:
    """What an included file holds that no load may follow (remembered when clean)."""
    return _included_clean(content, rel)
