"""Pièces justificatives: PDF, JPEG or PNG recognised by their content, inside `documents/`.

A document is never trusted by its name: its type is read from its first bytes, its name is
set by the system (date, a plain ASCII slug, the extension of its real type), and it is only
ever served from the coop's own `documents/` folder, as a download.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from pathlib import Path, PurePosixPath

DOCUMENTS_DIRNAME = "documents"
MAX_DOCUMENT = 15 * 1024 * 1024  # a phone photo of a receipt, a scanned bank statement
_SIGNATURES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
MIME_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
SUFFIXES = {".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".png": "png"}
#: Files Git needs in empty folders; never served.
PLACEHOLDERS = (".gitkeep",)
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def document_kind(content: bytes) -> str | None:
    """The file's type from its first bytes (not from its name): pdf, jpg, png or None."""
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            return kind
    return None


def upload_problem(name: str, content: bytes) -> str | None:
    """Why an uploaded file cannot be kept as a pièce justificative (French), or None."""
    if not content:
        return f"« {name} » est vide."
    if len(content) > MAX_DOCUMENT:
        return (f"« {name} » fait plus de {MAX_DOCUMENT // (1024 * 1024)} Mo : réduisez la photo "
                "ou le PDF.")
    kind = document_kind(content)
    if kind is None:
        return (f"« {name} » n'est ni un PDF, ni une photo JPEG ou PNG : enregistrez le "
                "justificatif dans l'un de ces formats.")
    if SUFFIXES.get(PurePosixPath(name).suffix.lower()) != kind:
        return (f"« {name} » est un fichier {kind.upper()} dont le nom ne finit pas par "
                f".{kind} : seuls des PDF, JPEG et PNG sous leur vrai nom sont acceptés.")
    return None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "document"


def safe_document_name(original: str, content: bytes, today: datetime.date | None = None) -> str:
    """The name the system gives an uploaded document: `2026-03-02.facture-dupont.pdf`.

    The date is the one the name starts with (Beancount dates documents by their name), or
    today's; the rest is a plain ASCII slug; the extension is that of the real type.
    """
    kind = document_kind(content) or "bin"
    stem = PurePosixPath(original.replace("\\", "/")).name
    stem = stem[: -len(PurePosixPath(stem).suffix)] if PurePosixPath(stem).suffix else stem
    match = _DATE_PREFIX.match(stem)
    date = None
    if match:
        try:
            date = datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            date = None
        stem = stem[match.end():]
    date = date or today or datetime.date.today()
    return f"{date.isoformat()}.{_slug(stem)}.{kind}"


def document_path_problem(path: str, entry_directive: bool) -> str | None:
    """Why a path named by a ledger (`document` directive or `document:` metadata) is refused.

    A `document` directive names a file relative to the coop's folder, inside `documents/`;
    `document:` metadata may also give a bare file name (Fava finds it by its name).
    """
    shown = path if len(path) < 80 else path[:77] + "…"
    refused = (f"le document « {shown} » doit être un fichier PDF, JPEG ou PNG du dossier "
               f"{DOCUMENTS_DIRNAME}/ de la coopérative, nommé par un chemin relatif.")
    if not path or "\\" in path or "\x00" in path or path.startswith(("/", "~")) or ":" in path:
        return refused
    rel = PurePosixPath(path)
    if ".." in rel.parts or "." in path.split("/") or "" in path.split("/"):
        return refused
    if SUFFIXES.get(rel.suffix.lower()) is None:
        return refused
    if entry_directive or len(rel.parts) > 1:
        if rel.parts[0] != DOCUMENTS_DIRNAME or len(rel.parts) < 2:
            return refused
    return None


def resolve_document(coop_dir: Path, filename: str) -> Path | None:
    """The file a request names, if it is a document of this coop (links resolved), else None."""
    if not filename or "\x00" in filename:
        return None
    root = (Path(coop_dir) / DOCUMENTS_DIRNAME).resolve()
    candidate = Path(filename)
    if not candidate.is_absolute():
        candidate = Path(coop_dir) / candidate
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file() or resolved.name in PLACEHOLDERS:
        return None
    return resolved
