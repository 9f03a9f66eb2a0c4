"""No server path in what a user sees: Fava's file names, relative to the coop's folder.

Fava names every file by its absolute path on the server: the entry detail's « Lieu », the
editor's file list, the errors, the documents' links, the data of every page. A teacher has
no use for `/srv/retkoop/ad/ledgers/0910001A/2025-2026.beancount`, and the server's layout is
none of a user's business. The portal shows these names relative to the coop's folder
(`2025-2026.beancount`, `documents/Charges/…/2026-03-02.D01.png`) in the HTML and JSON Fava
answers, and gives Fava back absolute names in what the browser sends (`filename`,
`file_path`), before any check of the portal reads them: a name that leaves the coop's
folder is refused as before (`fava_guard`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from retkoop_tools.web.fava_guard import read_body

#: The request fields that name a file of the coop.
PATH_FIELDS = ("filename", "file_path")
#: The answers rewritten: pages and JSON (never a document or a download).
REWRITTEN_TYPES = ("text/html", "application/json")
#: How the folder of the statements waiting for Fava's import page is shown (it is outside the
#: coop's folder, in the repository's `.git`): a name no file of a coop's folder has.
IMPORTS_SHOWN = "releves-a-importer/"


class Folders:
    """The absolute folders of one coop, and how each is shown."""

    def __init__(self, coop_dir: Path, imports_dir: Path | None = None) -> None:
        self.coop_dir = Path(coop_dir)
        # The longest first: the imports folder is not inside the coop's, but be safe.
        pairs = [(str(coop_dir).rstrip("/") + "/", "")]
        if imports_dir is not None:
            pairs.append((str(imports_dir).rstrip("/") + "/", IMPORTS_SHOWN))
        self.pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def relative_body(self, body: bytes, content_type: str) -> bytes:
        """`body` with the folders' absolute paths replaced by how they are shown."""
        if not content_type.startswith(REWRITTEN_TYPES):
            return body
        for folder, shown in self.pairs:
            for safe in ("/", ""):
                raw, seen = quote(folder, safe=safe).encode(), quote(shown, safe=safe).encode()
                if raw in body:
                    body = body.replace(raw, seen)
            if shown:  # the folder itself, as a JSON string (Fava's import_dirs option)
                raw = json.dumps(folder.rstrip("/")).encode()
                if raw in body:
                    body = body.replace(raw, json.dumps(shown.rstrip("/")).encode())
        return body

    def absolute(self, value: str) -> str:
        """A file name as the browser sends it, as Fava knows it."""
        if not value or value.startswith("/"):
            return value
        for folder, shown in self.pairs:
            if shown and value.startswith(shown):
                return folder + value[len(shown):]
        return str(self.coop_dir / value)

    def absolute_request(self, environ: dict) -> None:
        """The file names of a request made absolute again (in its query and its JSON body)."""
        query = environ.get("QUERY_STRING", "")
        if query and any(f"{name}=" in query for name in PATH_FIELDS):
            pairs = [(k, self.absolute(v) if k in PATH_FIELDS else v)
                     for k, v in parse_qsl(query, keep_blank_values=True)]
            environ["QUERY_STRING"] = urlencode(pairs, quote_via=quote, safe="/")
        if environ.get("REQUEST_METHOD", "GET").upper() in ("GET", "HEAD"):
            return
        if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return
        body = read_body(environ)
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return
        if not isinstance(data, dict) or not any(isinstance(data.get(k), str) for k in PATH_FIELDS):
            return
        for key in PATH_FIELDS:
            if isinstance(data.get(key), str):
                data[key] = self.absolute(data[key])
        new = json.dumps(data, ensure_ascii=False).encode("utf-8")
        environ["wsgi.input"] = io.BytesIO(new)
        environ["CONTENT_LENGTH"] = str(len(new))
