"""The portal: one WSGI application in front of our pages and the coops' Fava apps.

    /connexion, /deconnexion, /mot-de-passe     our pages (Flask, `site.py`)
    /, /admin/comptes                           the AD's landing page and account management
    /coop/<UAI>/…                               that coop's Fava app, behind authorization

Nothing is served to a user outside their rights: pages, Fava's JSON API, documents, the
source editor, extension endpoints and downloads all pass through `_coop_request`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode

from werkzeug.wrappers import Request

from retkoop_tools.ad import load_ad
from retkoop_tools.banque.importers import imports_dir
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.standalone import share_loads, wait_shared
from retkoop_tools.policy.files import UnsafeLedgerError
from retkoop_tools.store.push import pusher_for
from retkoop_tools.store.store import (
    NO_SPACE_ERRNOS,
    NO_SPACE_MESSAGE,
    STAGING_DIRNAME,
    Author,
    RuleViolationError,
    Store,
    StoreError,
)
from retkoop_tools.tresorier.pages import COMMITTED
from retkoop_tools.tresorier.pages import NAMES as TRESORIER_NAMES
from retkoop_tools.web import fava_guard, fava_paths, gc_pauses
from retkoop_tools.web.accounts import Accounts, Session
from retkoop_tools.web.capture import Snapshot, commit_message
from retkoop_tools.web.fava_pool import FavaPool
from retkoop_tools.web.fava_scope import HISTORY
from retkoop_tools.web.paths import InvalidPathError, normalise_path
from retkoop_tools.web.read_cache import ReadCache
from retkoop_tools.web.security import (
    COOKIE_NAME,
    SAFE_METHODS,
    SECURITY_HEADERS,
    api_csrf_ok,
    with_no_store,
)

StartResponse = Callable[..., Any]

# Werkzeug encodes host names with the idna codec. Its first use by many threads at once in a
# fresh worker can fail, and the failure stays (LookupError: unknown encoding: idna, on every
# request until the worker is killed): the codec is loaded here, before any request.
"portail.example".encode("idna")
_COOP_PATH = re.compile(r"^/coop/([0-9]{7}[A-Z])(/.*)?$")
#: Fava's static files (its scripts, styles and fonts, never a coop's data).
_FAVA_STATIC = re.compile(r"^/static/[A-Za-z0-9_.-]+$")
STATIC_CACHE = ("Cache-Control", "private, max-age=3600")
#: Fava routes a vérificateur may not open, although their app knows one exercice only: the
#: raw files (every exercice's text), and the import page and its folder (every statement).
_VERIFICATEUR_BLOCKED = re.compile(
    r"^/[^/]+/(editor|import|api/(source|source_slice|format_source|imports|extract|upload_import_file))(/|$)")
#: Fava's help pages (in English, about Fava itself) and their API: our guide replaces them.
_HELP_PAGE = re.compile(r"^/([^/]+)/help(/[^/]*)?$")
_HELP_API = re.compile(r"^/([^/]+)/api/help$")
#: Endpoints of our treasurer pages: they write through the store themselves.
_OWN_ENDPOINT = re.compile(r"^/[^/]+/extension/(" + "|".join(TRESORIER_NAMES) + r")/[^/]+$")
#: An extension's endpoint (JSON, a download), as opposed to its page (`/extension/<Name>/`).
_EXTENSION_ENDPOINT = re.compile(r"^/[^/]+/extension/[^/]+/[^/]+")


class Portal:
    """The WSGI application of one AD."""

    def __init__(self, ad_root: Path, instance_dir: Path, lru_size: int = 50,
                 secure_cookies: bool = False, backup: bool = True, quiet_gc: bool = False):
        """`quiet_gc`: the process is the portal's own (`retkoop serve`, gunicorn's workers):
        Python's full garbage collections kept off its requests (`gc_pauses`), process-wide."""
        self.ad = load_ad(ad_root)
        self.root = self.ad.root.resolve()
        self.instance_dir = Path(instance_dir)
        self.accounts = Accounts(self.instance_dir / "comptes.sqlite")
        self.pusher = pusher_for(self.root) if backup else None
        self.store = Store(self.root, pusher=self.pusher)
        self.store.recover_all()  # what a crash left uncommitted is put aside before anyone reads it
        self.pool = FavaPool(self.root, lru_size, results=self.store.cache)
        self.reads = ReadCache()  # the journal's answers, while the coop's files are the same
        # The load that checked a write is the one every process of the portal shows next:
        # kept on disk in the instance folder (private), read back instead of loading again.
        share_loads(self.instance_dir / "chargements")
        if quiet_gc:
            gc_pauses.install()  # no full garbage collection over the books during a request
        self.secure_cookies = secure_cookies
        self.summaries = None  # the AD console's (web/console.py), set by create_site
        from retkoop_tools.web.site import create_site

        self.site = create_site(self)

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._answer(environ, start_response)
        finally:
            gc_pauses.after_request()

    def _answer(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        def with_headers(status: str, headers: list, exc_info: Any = None):
            names = {name.lower() for name, _ in headers}
            headers = list(headers) + [(n, v) for n, v in SECURITY_HEADERS if n.lower() not in names]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        match = _COOP_PATH.match(environ.get("PATH_INFO", ""))
        if match:
            static = _FAVA_STATIC.match(match.group(2) or "") is not None

            def coop_headers(status: str, headers: list, exc_info: Any = None):
                # Every answer about a coop is private to the logged-in user: never cached. Fava's
                # own scripts and styles are the same for every coop and hold no data: the browser
                # keeps them an hour instead of fetching 1,6 Mo again on every page.
                if static and status.startswith("200"):
                    headers = [(n, v) for n, v in headers if n.lower() != "cache-control"]
                    return with_headers(status, headers + [STATIC_CACHE], exc_info)
                return with_headers(status, with_no_store(headers), exc_info)

            try:
                return self._coop_request(environ, coop_headers, match.group(1), match.group(2) or "/")
            except UnsafeLedgerError as exc:
                return self._page(environ, coop_headers, 409, "Livres à réparer par l'AD",
                                  "Les livres de cette coopérative ne peuvent pas être ouverts : "
                                  + " ".join(v.message for v in exc.violations[:3])
                                  + " Prévenez l'AD, qui les répare ; rien n'a été modifié.")
        return self.site(environ, with_headers)

    def session_of(self, environ: dict) -> Session | None:
        return self.accounts.session(Request(environ).cookies.get(COOKIE_NAME))

    def _page(self, environ: dict, start_response: StartResponse, status: int, title: str, message: str):
        from retkoop_tools.web.site import render_error

        return render_error(self, environ, start_response, status, title, message)

    def _json_error(self, start_response: StartResponse, status: str, message: str) -> list[bytes]:
        body = json.dumps({"error": message}, ensure_ascii=False).encode()
        start_response(status, [("Content-Type", "application/json; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
        return [body]

    def _coop_request(self, environ: dict, start_response: StartResponse, uai: str, rest: str):
        # Every decision below reads the canonical path, and Fava is given that same path.
        try:
            path = normalise_path(environ.get("PATH_INFO", ""), environ.get("RAW_URI") or environ.get("REQUEST_URI"))
        except InvalidPathError as exc:
            message = f"{exc} Elle contient un caractère que le portail n'accepte pas."
            if "/api/" in environ.get("PATH_INFO", ""):
                return self._json_error(start_response, "400 BAD REQUEST", message)
            return self._page(environ, start_response, 400, "Adresse invalide", message)
        match = _COOP_PATH.match(path)
        if match is None:
            return self._page(environ, start_response, 400, "Adresse invalide",
                              "Adresse invalide : elle sort de l'espace de la coopérative.")
        uai, rest = match.group(1), match.group(2) or "/"
        environ["PATH_INFO"] = path
        method = environ.get("REQUEST_METHOD", "GET").upper()
        is_api = _is_api(rest)
        if not self.ad.coop_file(uai).is_file():
            return self._page(environ, start_response, 404, "Coopérative introuvable",
                              f"Il n'y a pas de coopérative {uai} dans cette AD.")
        session = self.session_of(environ)
        if session is None:
            if method not in SAFE_METHODS or (is_api and not _is_navigation(environ)):
                return self._json_error(start_response, "401 UNAUTHORIZED",
                                        "Session expirée : reconnectez-vous.")
            if _is_partial(environ):  # Fava's router (or our pages) loading a page's content
                body = "Session expirée : reconnectez-vous.".encode()
                start_response("401 UNAUTHORIZED", [("Content-Type", "text/plain; charset=utf-8"),
                                                    ("Content-Length", str(len(body)))])
                return [body]
            target = environ.get("PATH_INFO", "/") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
            # PATH_INFO holds the request's bytes as Latin-1 (WSGI): quote those bytes, once.
            raw = target.encode("latin-1", "replace")
            start_response("302 FOUND", [("Location", "/connexion?suite=" + quote(raw, safe=""))])
            return [b""]
        user = session.user
        if user.must_change:
            start_response("302 FOUND", [("Location", "/mot-de-passe")])
            return [b""]
        if not user.can_read(uai):
            return self._forbidden(environ, start_response, is_api,
                                   f"Votre compte ne donne pas accès à la coopérative {uai}.")
        writing = method not in SAFE_METHODS
        if writing:
            if not api_csrf_ok(environ, session.csrf):
                return self._forbidden(environ, start_response, is_api,
                                       "Requête refusée : elle ne vient pas d'une page du portail.")
            if not user.can_write(uai):
                return self._forbidden(environ, start_response, is_api,
                                       "Votre compte est en lecture seule : aucune modification possible.")
        scope = None  # a vérificateur's app knows their exercice only (fava_scope.py)
        if user.role == "verificateur":
            if _VERIFICATEUR_BLOCKED.match(rest):
                return self._forbidden(environ, start_response, is_api,
                                       "Cette page n'est pas ouverte aux vérificateurs.")
            try:
                scope = Exercice.parse(user.exercice or "")
            except ValueError:
                return self._forbidden(environ, start_response, is_api,
                                       "Votre compte de vérificateur n'indique pas d'exercice.")
            environ["QUERY_STRING"] = _force_time(environ.get("QUERY_STRING", ""), user.exercice)

        if not writing:
            guide = self._guide_instead_of_help(start_response, uai, rest)
            if guide is not None:
                return guide
        app = self.pool.get(uai, scope)
        if scope is None and not writing:
            app = self._history_if_asked(uai, app, environ)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + f"/coop/{uai}"
        environ["PATH_INFO"] = rest
        environ["retkoop.user"] = user
        folders = environ[_FOLDERS] = fava_paths.Folders(Path(self.ad.coop_dir(uai)).resolve(),
                                                         imports_dir(self.root, uai).resolve())
        folders.absolute_request(environ)  # the browser names files relative to the coop's folder
        if not writing:
            answer = self._kept_answer(uai, app, user, rest, environ) if is_api else None
            if answer is not None:
                return self._finish(environ, start_response, *answer, is_api=True)
            # Readers of this coop wait while a write is checked (Fava wrote in place).
            with self.pool.reading(uai):
                self.pool.reload_if_dirty(uai, app)
                guarded = self._guard(app, environ, start_response, uai, is_api)
                if guarded is not None:
                    return guarded
                if is_api:
                    key = self._journal_key(app, user, rest, environ)
                    answer = self.reads.get(key)
                    if answer is None:
                        answer = _run(app, environ)
                        self.reads.put(key, *answer)
                    return self._finish(environ, start_response, *answer, is_api=True)
                return self._with_bar(app, environ, start_response, session)
        try:
            return self._write_request(app, environ, start_response, uai, session, is_api)
        except OSError as exc:  # Fava's or our own write on a full or read-only disk
            if exc.errno not in NO_SPACE_ERRNOS:
                raise
            self.pool.mark_dirty(uai)
            if is_api:
                return self._json_error(start_response, "507 INSUFFICIENT STORAGE", NO_SPACE_MESSAGE)
            return self._page(environ, start_response, 507, "Disque plein", NO_SPACE_MESSAGE)

    def _kept_answer(self, uai: str, app, user, rest: str, environ: dict) -> tuple[str, list, bytes] | None:
        """The journal's answer kept for the files as they are on disk, served without waiting
        for a write of the coop in progress (it reads neither Fava's ledger nor the files, and
        what the write is checking is not committed yet). The files are looked at first, then
        the load's number: the answer is the books' as they were at that look. Kept answers
        were stored after the guard let the same request through (it decides on the path and
        the query alone for the journal)."""
        if not self.reads.keeps(rest) or not self.pool.is_current(uai, app):
            return None
        return self.reads.get(self._journal_key(app, user, rest, environ))

    def _journal_key(self, app, user, rest: str, environ: dict) -> tuple | None:
        return self.reads.key(app, user.role, rest, environ.get("QUERY_STRING", ""))

    def _history_if_asked(self, uai: str, app, environ: dict):
        """A coop's app holds its open exercices after the closed ones' à-nouveaux: a view of a
        closed exercice (a time filter that starts before them) is served by the coop's
        history, every exercice, read-only, loaded on demand."""
        open_from = self.pool.open_from(app)
        start = _time_start(environ.get("QUERY_STRING", ""))
        if open_from is not None and start is not None and start < open_from.start:
            return self.pool.get(uai, HISTORY)
        return app

    def _guide_instead_of_help(self, start_response: StartResponse, uai: str, rest: str) -> list[bytes] | None:
        """Fava's « Aide » leads to the mandataire's guide: the page redirects, its API points there."""
        match = _HELP_PAGE.match(rest) or _HELP_API.match(rest)
        if match is None:
            return None
        # PATH_INFO holds the request's bytes as Latin-1 (WSGI): the slug is quoted from those bytes.
        guide = f"/coop/{uai}/{quote(match.group(1).encode('latin-1', 'replace'), safe='')}/extension/Guide/"
        if match.re is _HELP_PAGE:
            start_response("302 FOUND", [("Location", guide)])
            return [b""]
        if match.re is _HELP_API:
            from markupsafe import escape

            href = escape(guide)
            html = (f'<p>L\'aide de ce portail est le <a href="{href}">Guide du mandataire</a> : tenir la '
                    "comptabilité de la coopérative, l'adhésion, le changement de mandataire, l'essentiel à savoir.</p>")
            body = json.dumps({"data": {"html": html, "pages": [["_index", "Guide du mandataire"]]}},
                              ensure_ascii=False).encode()
            start_response("200 OK", [("Content-Type", "application/json; charset=utf-8"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return None

    def _guard(self, app, environ: dict, start_response: StartResponse, uai: str, is_api: bool):
        """What the portal answers itself (documents, jump) or refuses, before Fava runs."""
        try:
            answer = fava_guard.guard(app, environ, self.ad.coop_dir(uai), environ["SCRIPT_NAME"])
        except fava_guard.Refusal as exc:
            if is_api:
                return self._json_error(start_response, _status_line(exc.status), str(exc))
            return self._page(environ, start_response, exc.status, _ERROR_TITLES.get(exc.status, "Erreur"),
                              str(exc))
        if answer is None:
            return None
        start_response(answer[0], answer[1])
        return [answer[2]]

    def _finish(self, environ: dict, start_response: StartResponse, status: str, headers: list,
                body: bytes, is_api: bool):
        """Fava's answer, its errors in French: our error page, or its JSON message translated."""
        code = int(status.split()[0])
        path = environ.get("PATH_INFO", "")
        if code >= 400 and _EXTENSION_ENDPOINT.match(path) and _is_navigation(environ):
            # A link to one of our endpoints (a PDF) opened in the browser: a page, in French
            # (its own page when it wrote one, else its message in ours).
            message = _endpoint_error(code, headers, body)
            if message is not None:
                return self._page(environ, start_response, code, _ERROR_TITLES.get(code, "Erreur"), message)
        if code >= 400 and not _EXTENSION_ENDPOINT.match(path):  # our endpoints speak French
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            message = fava_guard.ERROR_MESSAGES.get(code, fava_guard.ERROR_MESSAGES[500 if code >= 500 else 400])
            if content_type.startswith("application/json"):
                body = fava_guard.french_api_error(code, body)
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(body))))
            elif is_api:
                return self._json_error(start_response, status, message)
            else:
                return self._page(environ, start_response, code, _ERROR_TITLES.get(code, "Erreur"), message)
        headers, body = _relative_paths(environ, headers, body)
        start_response(status, headers)
        return [body]

    def _with_bar(self, app, environ: dict, start_response: StartResponse, session: Session):
        """Fava's HTML pages get our bar: who is logged in, back to the list, log out."""
        status, headers, body = _run(app, environ)
        if int(status.split()[0]) >= 400:
            return self._finish(environ, start_response, status, headers, body, is_api=False)
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if content_type.startswith("text/html") and b"</body>" in body:
            body = body.replace(b"</body>", _bar_html(session).encode() + b"</body>", 1)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        headers, body = _relative_paths(environ, headers, body)
        start_response(status, headers)
        return [body]

    def _forbidden(self, environ, start_response, is_api: bool, message: str):
        if is_api:
            return self._json_error(start_response, "403 FORBIDDEN", message)
        return self._page(environ, start_response, 403, "Accès refusé", message)

    def _write_request(self, app, environ: dict, start_response: StartResponse, uai: str,
                       session: Session, is_api: bool):
        """Run a state-changing Fava request; its file changes go through the store."""
        if _OWN_ENDPOINT.match(environ["PATH_INFO"]):
            return self._own_write(app, environ, start_response, uai)
        coop_dir = self.ad.coop_dir(uai)
        environ["retkoop.store"] = self.store
        with self.store.prepare(uai), self.pool.writing(uai):
            self.pool.reload_if_dirty(uai, app)
            guarded = self._guard(app, environ, start_response, uai, is_api)
            if guarded is not None:
                return guarded
            snapshot = Snapshot.take(coop_dir, self.store.git_dir / STAGING_DIRNAME)
            watcher = fava_guard.ledger_of(app).watcher
            notified = watcher.last_notified  # Fava tells its watcher of what it writes

            def put_back(changed: dict) -> None:
                """Fava's writes undone: the files, their dates, and what Fava's watcher knows."""
                snapshot.restore(changed)
                watcher.last_notified = notified

            try:
                try:
                    status, headers, body = _run(app, environ)
                    if environ.get(COMMITTED):  # an extension recorded it through the store
                        self.pool.mark_dirty(uai)
                        self.pool.reload_if_dirty(uai, app)
                        start_response(status, headers)
                        return [body]
                    written = snapshot.changes()
                    changes = written
                    if changes:
                        self.pool.mark_dirty(uai)
                        changes = fava_guard.rename_uploads(changes, coop_dir)
                        message = commit_message(snapshot, changes)
                except BaseException:
                    # Whatever failed, what Fava wrote unchecked must not stay on disk.
                    put_back(snapshot.changes())
                    self.pool.mark_dirty(uai)
                    raise
                if changes:
                    put_back(written)  # the files as Fava named them
                    if not snapshot.restored():  # the store puts aside what is left first
                        self.store.touched(uai)
                    # Its links to the documents gone before the store seals the folder (a
                    # link's removal changes their change time: store._signature).
                    snapshot.discard()
                    author = Author(session.user.name, session.user.login)
                    try:
                        # Fava's app reloads from the new files while git commits them.
                        self.store.write(uai, changes, author, message,
                                         alongside=lambda: self.pool.reload_if_dirty(uai, app))
                    except (RuleViolationError, StoreError) as exc:
                        if is_api:
                            return self._json_error(start_response, "400 BAD REQUEST", _refusal(exc))
                        return self._page(environ, start_response, 400, "Modification refusée", _refusal(exc))
                    finally:
                        # Reloaded now, in the writer's time, rather than at the next reader's.
                        self.pool.reload_if_dirty(uai, app)
            finally:
                snapshot.discard()
                wait_shared()  # the other processes find the save's load when it is answered
        if status.startswith("200"):
            body = fava_guard.success_message(environ["PATH_INFO"], body)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        return self._finish(environ, start_response, status, headers, body, is_api)

    def _own_write(self, app, environ: dict, start_response: StartResponse, uai: str):
        """Our pages' endpoints check and commit through the store (with the user as author)."""
        environ["retkoop.store"] = self.store
        with self.store.prepare(uai), self.pool.writing(uai):
            self.pool.reload_if_dirty(uai, app)
            try:
                status, headers, body = _run(app, environ)
            finally:  # the files' signature tells whether the store wrote
                self.pool.reload_if_dirty(uai, app)
                wait_shared()
        start_response(status, headers)
        return [body]


_ERROR_TITLES = {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable",
                 405: "Méthode non autorisée", 409: "Conflit", 413: "Fichier trop gros",
                 500: "Erreur du serveur"}


_FOLDERS = "retkoop.folders"


def _relative_paths(environ: dict, headers: list, body: bytes) -> tuple[list, bytes]:
    """Fava's answer (a page, JSON) naming the coop's files relative to its folder."""
    folders = environ.get(_FOLDERS)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if folders is None:
        return headers, body
    new = folders.relative_body(body, content_type)
    if new is body:
        return headers, body
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return [*headers, ("Content-Length", str(len(new)))], new


def _refusal(exc: StoreError) -> str:
    """What the teacher reads when the store refuses a Fava write: the rules' messages, in
    French, without the files and lines the CLI shows."""
    if isinstance(exc, RuleViolationError):
        messages = list(dict.fromkeys(e.message for e in exc.errors))
        return "Modification refusée : " + " ".join(m if m.endswith((".", "!", "?")) else m + "." for m in messages)
    return str(exc)


_WERKZEUG_PAGE = re.compile(rb"^<!doctype html>\s*<html lang=en>.*?<p>(.*?)</p>", re.S | re.I)


def _endpoint_error(code: int, headers: list, body: bytes) -> str | None:
    """The French message of an endpoint's error answer (JSON, or Flask's English page around
    the endpoint's own words), or None when the endpoint wrote its own page."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    fallback = fava_guard.ERROR_MESSAGES.get(code, fava_guard.ERROR_MESSAGES[500 if code >= 500 else 400])
    if content_type.startswith("application/json"):
        return json.loads(fava_guard.french_api_error(code, body)).get("error") or fallback
    found = _WERKZEUG_PAGE.match(body)
    if found is None:
        return None
    import html

    from werkzeug.exceptions import default_exceptions

    words = html.unescape(found.group(1).decode("utf-8", "replace")).strip()
    english = getattr(default_exceptions.get(code), "description", None)
    return fallback if not words or words == html.unescape(english or "").strip() else words


def _is_api(rest: str) -> bool:
    """A data request (Fava's JSON API, an extension's endpoint), not a page."""
    return "/api/" in rest or bool(_EXTENSION_ENDPOINT.match(rest))


def _is_partial(environ: dict) -> bool:
    """A page's content loaded by Fava's router (or our pages' script), not a whole page."""
    return "true" in parse_qs(environ.get("QUERY_STRING", "")).get("partial", [])


def _is_navigation(environ: dict) -> bool:
    """The browser opens the URL itself (a link, a bookmark), rather than a script fetching it."""
    if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD") or _is_partial(environ):
        return False
    mode = environ.get("HTTP_SEC_FETCH_MODE")
    if mode:
        return mode == "navigate"
    return "text/html" in environ.get("HTTP_ACCEPT", "")


def _status_line(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase.upper()}"


def _time_start(query: str):
    """The first day of Fava's time filter in a query string (None: no filter, or unreadable)."""
    from fava.util.date import parse_date, parse_fye_string

    value = next((v for k, v in parse_qsl(query, keep_blank_values=True) if k == "time"), "")
    if not value.strip():
        return None
    try:
        start, _end = parse_date(value, parse_fye_string("08-31"))
    except (ValueError, TypeError):
        return None
    return start


def _force_time(query: str, exercice: str | None) -> str:
    """A vérificateur sees the exercice they check, whatever the time filter asked."""
    if not exercice:
        return query
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "time"]
    pairs.append(("time", Exercice.parse(exercice).fava_year))
    return urlencode(pairs)


def _bar_html(session: Session) -> str:
    from markupsafe import escape

    user = session.user
    return (
        # The page keeps room below its end, so that the bar never hides its last lines (phone).
        "<style>body{padding-bottom:3rem}</style>"
        '<nav id="retkoop-barre" aria-label="Votre session" style="position:fixed;right:.5rem;bottom:.5rem;z-index:1000;'
        "background:#1d4e89;color:#fff;padding:.3rem .6rem;border-radius:6px;font-size:.85rem;"
        'display:flex;gap:.6rem;align-items:center;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<span>{escape(user.name)}</span>"
        '<a href="/" style="color:#fff">Accueil</a>'
        '<form method="post" action="/deconnexion" style="margin:0">'
        f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
        '<button type="submit" style="background:none;border:1px solid #fff;color:#fff;'
        'border-radius:4px;cursor:pointer;font:inherit;padding:.1rem .4rem">Se déconnecter</button>'
        "</form></nav>"
    )


def _run(app, environ: dict) -> tuple[str, list, bytes]:
    """Run a WSGI app to the end now (inside our locks): status, headers, body."""
    captured: dict[str, Any] = {}

    def capture_start(status: str, headers: list, exc_info: Any = None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: captured.setdefault("early", []).append(data)

    result = app(environ, capture_start)
    try:
        body = b"".join([*captured.get("early", []), *result])
    finally:
        if hasattr(result, "close"):
            result.close()
    return captured["status"], captured["headers"], body
