"""What the portal decides before and after a coop's Fava app, whatever Fava would do.

Fava trusts whoever uses it: it serves, deletes or moves any file a `document` directive names,
serves documents inline with a type guessed from their name, redirects `jump` to any Referer and
answers its errors in English. In front of it:

- documents are served by us, only from the coop's own `documents/` folder (links resolved),
  only if Fava's ledger knows them as documents, with the type read from their content, as
  downloads under a sandboxing CSP: never as HTML, SVG or script in the portal's origin;
- deleting or moving a document names a document of this coop, or is refused;
- a document Fava stores for an upload gets a name set by the system;
- `jump` only goes back to a page of this coop;
- error answers are in French.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug.wrappers import Request

from retkoop_tools.banque.importers import imports_dir
from retkoop_tools.policy.documents import (
    DOCUMENTS_DIRNAME,
    MIME_TYPES,
    document_kind,
    resolve_document,
    safe_document_name,
)

#: Headers of every document we serve: a download, never run, never sniffed.
DOCUMENT_HEADERS = [
    ("Content-Security-Policy", "sandbox; default-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]
_DOC_ROUTE = re.compile(r"^/[^/]+/(document|statement)/$")
_JUMP_ROUTE = re.compile(r"^(/[^/]+)?/jump/?$")
_FILE_API = re.compile(r"^/[^/]+/api/(document|move)$")
_IMPORT_UPLOAD = re.compile(r"^/[^/]+/api/upload_import_file$")
_SOURCE_API = re.compile(r"^/[^/]+/api/source$")
_QUERY_ROUTE = re.compile(r"^/[^/]+/(api/query|download-query/[^/]*)$")
MAX_BODY = 25 * 1024 * 1024
STATEMENT_SUFFIXES = ("ofx", "qfx", "csv", "qif", "xlsx", "zip", "txt")
MAX_STATEMENT = 5 * 1024 * 1024
MAX_STATEMENTS_WAITING = 24


class Refusal(Exception):
    """A request the portal answers itself: status and French message."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def read_body(environ: dict) -> bytes:
    """The request's body, read once and put back for Fava."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise Refusal(413, "Le fichier envoyé est trop gros (25 Mo au plus).")
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _json_field(environ: dict, key: str) -> str:
    """A field of the request's JSON body (read once and put back), or "" when there is none."""
    try:
        return str(json.loads(read_body(environ) or b"{}").get(key, ""))
    except (ValueError, AttributeError):
        return ""


def ledger_of(app):
    """The one FavaLedger of a coop's Fava app."""
    return app.config["LEDGERS"].ledgers[0]


_ledger = ledger_of


def known_document(app, coop_dir: Path, filename: str) -> Path | None:
    """The document a request names, if it is one of this coop's and Fava's ledger lists it."""
    path = resolve_document(coop_dir, filename)
    if path is None:
        return None
    known = {Path(d.filename).resolve() for d in _ledger(app).all_entries_by_type.Document}
    return path if path in known else None


def document_response(path: Path) -> tuple[str, list, bytes]:
    """A document as a download: type from its content, sandboxed, never rendered by us."""
    content = path.read_bytes()
    kind = document_kind(content)
    mime = MIME_TYPES.get(kind, "application/octet-stream") if kind else "application/octet-stream"
    name = path.name.encode("ascii", "replace").decode().replace('"', "")
    headers = [
        ("Content-Type", mime),
        ("Content-Length", str(len(content))),
        ("Content-Disposition", f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(path.name)}"),
        *DOCUMENT_HEADERS,
    ]
    return "200 OK", headers, content


def guard(app, environ: dict, coop_dir: Path, coop_prefix: str) -> tuple[str, list, bytes] | None:
    """Answer the request ourselves (a document, a jump) or refuse it; None lets Fava run it."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    doc = _DOC_ROUTE.match(path)
    if doc and method in ("GET", "HEAD"):
        if doc.group(1) == "document":
            filename = (query.get("filename") or [""])[0]
        else:
            filename = _statement_path(app, (query.get("entry_hash") or [""])[0], (query.get("key") or [""])[0])
        found = known_document(app, coop_dir, filename) if filename else None
        if found is None:
            raise Refusal(404, "Ce document n'existe pas dans les justificatifs de cette coopérative.")
        return document_response(found)
    if _JUMP_ROUTE.match(path):
        referer = urlsplit(environ.get("HTTP_REFERER", ""))
        host = environ.get("HTTP_HOST", "")
        if not referer.path.startswith(coop_prefix + "/") or (referer.netloc and referer.netloc != host):
            return "302 FOUND", [("Location", coop_prefix + "/"), ("Content-Length", "0")], b""
        return None
    if _QUERY_ROUTE.match(path) and "query_string" in query:
        problem = query_problem(query["query_string"][0])
        if problem:
            raise Refusal(400, problem)
    if _SOURCE_API.match(path):
        if method in ("GET", "HEAD"):
            filename = (query.get("filename") or [""])[0]
        else:
            filename = _json_field(environ, "file_path")
        if filename and not _is_ledger_file(coop_dir, filename):
            raise Refusal(403, "L'éditeur n'ouvre que les fichiers des livres de cette coopérative.")
        return None
    if _IMPORT_UPLOAD.match(path) and method not in ("GET", "HEAD"):
        _check_import_upload(environ, coop_dir)
        return None
    api = _FILE_API.match(path)
    if api and method not in ("GET", "HEAD"):
        if api.group(1) == "document":
            filename = (query.get("filename") or [""])[0]
        else:
            filename = _json_field(environ, "filename")
        if known_document(app, coop_dir, filename) is None:
            raise Refusal(403, "Seuls les justificatifs du dossier documents/ de cette coopérative "
                               "peuvent être supprimés ou déplacés.")
    return None


def query_problem(text: str) -> str | None:
    """Why a BQL query is refused (French), or None: only reading statements are run.

    beanquery's `CREATE TABLE … USING "csv:<path>"` opens any file of the server (reading
    /dev/zero exhausts its memory, other paths tell whether they exist); Fava's `run` executes
    a stored query's text. Only SELECT, BALANCES, JOURNAL and PRINT, one statement, are kept.
    """
    from beanquery import parser as bql

    statement = text.strip().rstrip(";").strip()
    refusal = ("Seules les requêtes de lecture (SELECT, BALANCES, JOURNAL, PRINT), une à la fois, "
               "sont acceptées.")
    if not statement or _outside_strings(statement, ";"):
        return refusal
    try:
        parsed = bql.parse(statement)
    except Exception:  # noqa: BLE001 - any parse failure: Fava would answer its English error
        return ("La requête n'est pas comprise : seules les requêtes de lecture (SELECT … WHERE …, "
                "BALANCES, JOURNAL, PRINT) sont acceptées ; vérifiez son écriture.")
    if type(parsed).__name__ not in ("Select", "Balances", "Journal", "Print"):
        return refusal
    return None


def _outside_strings(text: str, char: str) -> bool:
    """Whether `char` appears in `text` outside its quoted strings."""
    quote = None
    escaped = False
    for c in text:
        if quote:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == char:
            return True
    return False


def _is_ledger_file(coop_dir: Path, filename: str) -> bool:
    """One of the coop's own `.beancount` files (links resolved)."""
    if "\x00" in filename:
        return False
    try:
        path = Path(filename).resolve()
    except (OSError, RuntimeError):
        return False
    return path.parent == Path(coop_dir).resolve() and path.suffix == ".beancount" and path.is_file()


def _check_import_upload(environ: dict, coop_dir: Path) -> None:
    """A statement for Fava's import page: a bank's export (OFX, CSV…), small, few at a time."""
    body = read_body(environ)
    request = Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
    upload = request.files.get("file")
    name = (upload.filename or "") if upload else ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in STATEMENT_SUFFIXES:
        raise Refusal(400, f"« {name} » n'est pas un relevé bancaire : déposez le fichier OFX, CSV, QIF "
                           "ou XLSX téléchargé sur le site de la banque.")
    if len(body) > MAX_STATEMENT:
        raise Refusal(413, f"« {name} » est trop gros pour un relevé bancaire ({MAX_STATEMENT // 1024 // 1024} Mo "
                           "au plus).")
    folder = imports_dir(coop_dir.parent.parent, coop_dir.name)
    if folder.is_dir() and sum(1 for p in folder.iterdir() if p.is_file()) >= MAX_STATEMENTS_WAITING:
        raise Refusal(409, f"{MAX_STATEMENTS_WAITING} relevés attendent déjà d'être importés : importez-les "
                           "ou supprimez-les avant d'en déposer d'autres.")


#: Fava's success answers that name a server path or speak English, told in French.
_SUCCESS_MESSAGES = (
    (re.compile(r"^/[^/]+/api/upload_import_file$"), "Relevé déposé : il est prêt à être importé."),
    (re.compile(r"^/[^/]+/api/add_document$"), "Justificatif enregistré."),
    (re.compile(r"^/[^/]+/api/attach_document$"), "Justificatif joint à l'opération."),
    (re.compile(r"^/[^/]+/api/document$"), "Fichier supprimé."),
    (re.compile(r"^/[^/]+/api/move$"), "Fichier déplacé."),
    (re.compile(r"^/[^/]+/api/add_entries$"), "{n} opération(s) enregistrée(s)."),
)


def success_message(path: str, body: bytes) -> bytes:
    """Fava's success answer, in French and without a server path."""
    for route, message in _SUCCESS_MESSAGES:
        if route.match(path):
            try:
                answer = json.loads(body)
            except ValueError:
                return body
            if not isinstance(answer, dict):
                return body
            count = re.search(r"\d+", str(answer.get("data", "")))
            message = message.format(n=count.group() if count else "1")
            return json.dumps({**answer, "data": message}, ensure_ascii=False).encode()
    return body


def _statement_path(app, entry_hash: str, key: str) -> str:
    try:
        with app.test_request_context():
            return _ledger(app).statement_path(entry_hash, key)
    except Exception:  # noqa: BLE001 - any failure: no such statement
        return ""


def rename_uploads(changes: dict[str, bytes | None], coop_dir: Path) -> dict[str, bytes | None]:
    """Documents Fava stored under the uploader's name get the system's name, never one that
    a document already has (`-2`, `-3`… is added).

    Fava records the name it stored in a `document:` metadata of the entry the upload was
    attached to: that text is renamed in the changed ledger files too.
    """
    renamed: dict[str, str] = {}
    result: dict[str, bytes | None] = {}
    for rel, content in changes.items():
        parts = rel.split("/")
        if content is not None and parts[0] == DOCUMENTS_DIRNAME and len(parts) >= 2 and parts[-1] != ".gitkeep":
            name = safe_document_name(parts[-1], content)
            stem, _, ext = name.rpartition(".")
            number = 1
            while name != parts[-1] and ((coop_dir / "/".join([*parts[:-1], name])).exists()
                                         or "/".join([*parts[:-1], name]) in result):
                number += 1
                name = f"{stem}-{number}.{ext}"
            if name != parts[-1]:
                renamed[parts[-1]] = name
                rel = "/".join([*parts[:-1], name])
        result[rel] = content
    if not renamed:
        return result
    for rel, content in list(result.items()):
        if rel.endswith(".beancount") and content is not None:
            text = content.decode("utf-8", "replace")
            for old, new in renamed.items():
                text = text.replace(json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False))
            result[rel] = text.encode("utf-8")
    return result


_FRENCH_API = (
    ("changed externally", "Le fichier a été modifié entre-temps : rechargez la page avant d'enregistrer."),
    ("does not exist", "Ce fichier n'existe pas."),
    ("already exists", "Un fichier de ce nom existe déjà."),
    ("No entry found for hash", "Cette opération n'existe plus : rechargez la page."),
    ("Not valid document", "Ce fichier n'est pas un justificatif de cette coopérative."),
    ("not a valid account", "Ce compte n'existe pas dans le plan comptable de la coopérative."),
    ("No file uploaded", "Aucun fichier n'a été envoyé."),
    ("Invalid", "Requête invalide."),
)
ERROR_MESSAGES = {
    400: "La requête est invalide.",
    401: "Session expirée : reconnectez-vous.",
    403: "Accès refusé.",
    404: "Cette page n'existe pas dans les livres de la coopérative.",
    405: "Cette action n'est pas possible ici.",
    409: "Conflit : les livres ont changé entre-temps ; rechargez la page.",
    413: "Le fichier envoyé est trop gros.",
    500: "Erreur du serveur : réessayez, et prévenez l'AD si elle revient.",
}


def french_api_error(status: int, body: bytes) -> bytes:
    """Fava's JSON error answer, with its message in French (ours pass unchanged)."""
    try:
        message = str(json.loads(body).get("error", ""))
    except (ValueError, AttributeError):
        message = ""
    for english, french in _FRENCH_API:
        if english.lower() in message.lower():
            message = french
            break
    else:
        if not message or message.isascii():  # Fava's own, in English
            message = ERROR_MESSAGES.get(status, ERROR_MESSAGES[400 if status < 500 else 500])
    return json.dumps({"error": message}, ensure_ascii=False).encode()
