"""The write policy: what a writer may change in a coop's folder, checked before the rules.

Every write goes through the store with a scope:

- `ENTRIES` (the default; Fava's editor and API, the treasurer's pages, bank imports,
  migration): the coop's existing exercice files and its `documents/` folder. In the exercice
  files only the directives a coop's books need: operations, statements (`custom "releve"`),
  cash counts (`custom "arrete-caisse"`), notes and documents inside `documents/`. The seals
  (`custom "cloture"`), the report à nouveau (`balance`) and Fava's insertion marker stay as
  they are; no text holds markup (`<`, `>`) or control characters. Documents are PDF, JPEG or
  PNG recognised by their content (bank statements as their bank exported them, under a name
  the system sets).
- `RECORDS`: the same, plus the coop's declarations kept as data (`adhesion-*.yaml`,
  `cra-*.yaml`, `crf-*.yaml`, `mandataires.yaml`, the cahier d'inventaire `inventaire.yaml`, the
  requests to the AD `demandes.yaml`) and the documents the system generates (`documents/crf/`), which
  only our own pages' actions write.
- `SYSTEM`: the AD's commands (`coop entete|comptes|regie`, `exercice ouvrir|clore|rouvrir`):
  any file of the coop — still verified as a whole before it is loaded (`policy.files`), so even
  they cannot write another header than the generated one.

A refusal raises `PolicyError` with a French message naming the file and line; nothing is
written.
"""

from __future__ import annotations

import collections
import datetime
import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

import yaml
from beancount.core import data

from retkoop_tools.ad import COOP_FILENAME
from retkoop_tools.ledger.conventions import (
    CUSTOM_ARRETE_CAISSE,
    CUSTOM_CLOTURE,
    CUSTOM_FAVA_OPTION,
    CUSTOM_RELEVE,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import COMPTES_FILENAME, is_generated_comptes
from retkoop_tools.ledger.parsed import parse_text
from retkoop_tools.ledger.region import changed_region
from retkoop_tools.policy.documents import (
    DOCUMENTS_DIRNAME,
    PLACEHOLDERS,
    upload_problem,
)
from retkoop_tools.policy.scan import decode, scan_included
from retkoop_tools.policy.text import MARKUP


class Scope(enum.Enum):
    ENTRIES = "entries"
    RECORDS = "records"
    SYSTEM = "system"


class PolicyError(Exception):
    """A write outside what its writer may change; the message is in French."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        shown = "\n".join(f"  {m}" for m in messages[:10])
        super().__init__(f"Modification refusée :\n{shown}")


SYSTEM_FILES = (COOP_FILENAME, COMPTES_FILENAME)
_RECORD_FILE = re.compile(r"^((adhesion|cra|crf)-\d{4}-\d{4}|mandataires|inventaire|demandes)\.yaml$")
GENERATED_DIRS = ("crf",)
#: Bank statements are kept as the bank exported them, under a name the system sets.
STATEMENT_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.releve-banque\.(ofx|qfx|csv|xlsx|qif|zip|txt)$")
_PATH_PART = re.compile(r"^\w[\w.-]{0,150}$")
_SEAL = re.compile(r'^\d{4}-\d{2}-\d{2} custom "cloture"', re.M)
_DOCUMENT_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.")
#: Custom directives a coop's books may hold, written by the treasurer's pages or the editor.
ENTRY_CUSTOMS = (CUSTOM_RELEVE, CUSTOM_ARRETE_CAISSE)
_SEAL_HINT = ("la clôture et le report à nouveau d'un exercice ne se modifient pas ici : ils "
              "s'écrivent par le bouton « Clôturer » de la page Fin d'exercice, et seule l'AD "
              "rouvre un exercice clos (retkoop exercice rouvrir, avec son motif).")
_DIRECTIVE_NAMES = {
    data.Open: "open", data.Close: "close", data.Commodity: "commodity", data.Pad: "pad",
    data.Balance: "balance", data.Event: "event", data.Query: "query", data.Price: "price",
    data.Custom: "custom",
}


def check_changes(coop_dir: Path, changes: Mapping[PurePosixPath, str | bytes | None],
                  scope: Scope = Scope.ENTRIES) -> None:
    """Raise PolicyError unless every change is one that `scope` may make."""
    coop_dir = Path(coop_dir)
    closed = functools.cache(lambda: closed_exercices(coop_dir))  # read once, only if a document asks
    problems: list[str] = []
    for rel, content in changes.items():
        problems += _file_problems(coop_dir, PurePosixPath(rel), content, scope, closed)
    if problems:
        raise PolicyError(problems)


def _file_problems(coop_dir: Path, rel: PurePosixPath, content: str | bytes | None, scope: Scope,
                   closed: Callable[[], set[str]]) -> list[str]:
    name = rel.as_posix()
    if scope is Scope.SYSTEM:
        if rel.suffix == ".beancount" and content is not None and name != COOP_FILENAME:
            return [v.message for v in scan_included(content, name)]
        return []
    if name == COMPTES_FILENAME and isinstance(content, (str, bytes)) and is_generated_comptes(
        coop_dir.parent.parent, coop_dir, content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    ):
        return []  # a régie opened by the Saisie page: the file is exactly the generated one
    if name in SYSTEM_FILES:
        return [f"{name} est un fichier système de la coopérative : seules les commandes de l'AD "
                "l'écrivent (retkoop coop entete, coop comptes, coop regie, exercice ouvrir). "
                "Saisissez vos opérations dans le fichier de leur exercice."]
    if len(rel.parts) == 1 and Exercice.from_filename(name) is not None:
        if content is None or not (coop_dir / name).is_file():
            return [f"{name} : un exercice s'ouvre, se clôt ou se supprime par les commandes de "
                    "l'AD (retkoop exercice ouvrir), pas par une modification de fichier."]
        return _exercice_problems(coop_dir, name, content)
    if len(rel.parts) == 1 and _RECORD_FILE.match(name):
        if scope is Scope.RECORDS:
            return _record_problems(coop_dir, name, content)
        return [f"{name} s'écrit par les pages Adhésion, Fin d'exercice et Inventaire, pas directement."]
    if rel.parts[0] == DOCUMENTS_DIRNAME and len(rel.parts) >= 2:
        return _document_problems(coop_dir, rel, content, scope, closed)
    return [f"« {name} » : seuls les fichiers d'exercice (2025-2026.beancount…) et les "
            f"justificatifs du dossier {DOCUMENTS_DIRNAME}/ de la coopérative peuvent être modifiés."]


def closed_exercices(coop_dir: Path) -> set[str]:
    """The exercices of the coop that carry their seal (`custom "cloture"`)."""
    closed = set()
    for path in coop_dir.glob("*.beancount"):
        exercice = Exercice.from_filename(path.name)
        if exercice is not None and _SEAL.search(path.read_text(encoding="utf-8", errors="replace")):
            closed.add(str(exercice))
    return closed


def _document_problems(coop_dir: Path, rel: PurePosixPath, content: str | bytes | None,
                       scope: Scope, closed: Callable[[], set[str]]) -> list[str]:
    name = rel.as_posix()
    if rel.name in PLACEHOLDERS:
        return []
    if rel.parts[1] in GENERATED_DIRS and scope is not Scope.RECORDS:
        return [f"« {name} » est un document produit par retkoop (CRF) : il ne se modifie pas ici."]
    if not all(_PATH_PART.match(part) for part in rel.parts):
        return [f"« {name} » : un justificatif se nomme avec des lettres, chiffres, points et "
                "tirets seulement (le portail le renomme à l'envoi)."]
    dated = _DOCUMENT_DATE.match(rel.name)
    if dated and rel.parts[1] not in GENERATED_DIRS:
        try:
            exercice = str(Exercice.of_date(datetime.date.fromisoformat(dated.group(1))))
        except ValueError:
            exercice = ""
        if exercice and exercice in closed():
            return [f"« {name} » est un justificatif de l'exercice {exercice}, clos : ses pièces ne "
                    "s'ajoutent, ne se remplacent ni ne se retirent plus (seule l'AD rouvre un exercice)."]
    existing = coop_dir / rel
    if content is not None and existing.is_file() and scope is not Scope.RECORDS:
        raw = content.encode("utf-8") if isinstance(content, str) else content
        if existing.read_bytes() != raw:
            return [f"« {name} » existe déjà : un justificatif enregistré ne se remplace pas ; déposez "
                    "le nouveau sous un autre nom."]
    if content is None:
        return []
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if STATEMENT_FILE.match(rel.name):
        if b"<script" in raw.lower() or b"<html" in raw.lower()[:2048]:
            return [f"« {name} » n'est pas un relevé bancaire (OFX, CSV ou XLSX)."]
        return []
    problem = upload_problem(rel.name, raw)
    return [problem] if problem else []


def _yaml_strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _yaml_strings(key)
            yield from _yaml_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _yaml_strings(item)


def _record_problems(coop_dir: Path, name: str, content: str | bytes | None) -> list[str]:
    """A declaration kept as data (names of vérificateurs, CRA answers…): no markup either."""
    if content is None:
        return []
    try:
        new = yaml.safe_load(content)
        path = coop_dir / name
        old = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError:
        return [f"{name} n'est pas un fichier YAML valide."]
    known = set(_yaml_strings(old))
    for value in _yaml_strings(new):
        if value not in known and (MARKUP.search(value) or any(ord(c) < 32 and c not in "\n\t" for c in value)):
            shown = value if len(value) <= 60 else value[:57] + "…"
            return [f"Le texte « {shown} » contient « < », « > » ou un caractère de contrôle, refusés "
                    "(un navigateur pourrait les lire comme du code) : écrivez-le autrement."]
    return []


def _strings(entry: data.Directive) -> Iterable[str]:
    """The texts of an entry that a page may show: payee, narration, metadata, values."""
    for attr in ("payee", "narration", "comment", "description"):
        value = getattr(entry, attr, None)
        if isinstance(value, str):
            yield value
    for key, value in (entry.meta or {}).items():
        if key not in ("filename", "lineno") and isinstance(value, str):
            yield value
    for value in getattr(entry, "values", None) or ():
        if isinstance(value.value, str):
            yield value.value
    for posting in getattr(entry, "postings", None) or ():
        for key, value in (posting.meta or {}).items():
            if key not in ("filename", "lineno") and isinstance(value, str):
                yield value


def _system_keys(entries: list) -> collections.Counter:
    """The directives only the closing writes: seals, report à nouveau, Fava's marker."""
    keys: collections.Counter = collections.Counter()
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type in (CUSTOM_CLOTURE, CUSTOM_FAVA_OPTION):
            keys[("custom", entry.date, entry.type, tuple(str(v.value) for v in entry.values))] += 1
        elif isinstance(entry, data.Balance):
            keys[("balance", entry.date, entry.account, str(entry.amount))] += 1
    return keys


def _exercice_problems(coop_dir: Path, name: str, content: str | bytes) -> list[str]:
    text, violations = decode(content, name)
    if text is None:
        return [v.message for v in violations]
    problems = [v.message for v in scan_included(text, name)]
    if problems:
        return problems
    old_text = (coop_dir / name).read_text(encoding="utf-8", errors="replace")
    # Parsed under the name the rules' load gives the file: that load reads the same parse.
    filename = str(Path(coop_dir).resolve() / name)
    new_entries, _errors, _options = parse_text(text, filename)
    region = changed_region(old_text, text, filename)
    if region is None:
        old_entries, _errors, _options = parse_text(old_text, filename)
        before, after, old_texts, written = old_entries, new_entries, old_entries, new_entries
    else:
        # Around the changed region both texts hold the same entries: the seals and report à
        # nouveau compare in the region; the old texts are the new ones around it and the old
        # ones in it, and a new text can only be in it.
        before, after, old_texts, written = region.old, region.new, (*region.outside, *region.old), region.new
    known = functools.cache(lambda: {s for entry in old_texts for s in _strings(entry)})
    for entry in new_entries:
        line = entry.meta.get("lineno", 0)
        if isinstance(entry, data.Custom):
            if entry.type not in ENTRY_CUSTOMS + (CUSTOM_CLOTURE, CUSTOM_FAVA_OPTION):
                problems.append(f"{name}, ligne {line} : « custom \"{entry.type}\" » n'est pas une "
                                "écriture des livres d'une coopérative.")
        elif type(entry) in _DIRECTIVE_NAMES and not isinstance(entry, data.Balance):
            problems.append(f"{name}, ligne {line} : « {_DIRECTIVE_NAMES[type(entry)]} » n'est pas "
                            "accepté dans un exercice : les comptes s'ouvrent par l'AD (retkoop coop "
                            "comptes, coop regie) ; ici s'écrivent les opérations, relevés, arrêtés de "
                            "caisse, notes et documents.")
    if _system_keys(before) != _system_keys(after):
        problems.append(f"{name} : {_SEAL_HINT}")
    for entry in written:
        for value in _strings(entry):
            if MARKUP.search(value) and value not in known():
                shown = value if len(value) <= 60 else value[:57] + "…"
                problems.append(
                    f"{name}, ligne {entry.meta.get('lineno', 0)} : le texte « {shown} » contient « < » "
                    "ou « > », refusés dans un libellé (un navigateur pourrait les lire comme du code) : "
                    "écrivez par exemple « moins de 5 ans » plutôt que « <5 ans ».")
                break
    return problems
