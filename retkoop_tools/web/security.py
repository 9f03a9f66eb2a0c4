"""Web security shared by our pages and the Fava apps: CSRF, cookies, headers."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
COOKIE_NAME = "retkoop_session"
CSRF_HEADER = "HTTP_X_CSRF_TOKEN"

SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), geolocation=(), microphone=()"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'self'; object-src 'none'",
    ),
]


#: On every answer to a logged-in user and every answer setting our cookie: nothing of it
#: may be kept by the browser's or a proxy's cache (shared school computers).
NO_STORE = ("Cache-Control", "no-store")


def with_no_store(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with Cache-Control replaced by `no-store` (for WSGI start_response lists)."""
    return [(k, v) for k, v in headers if k.lower() != "cache-control"] + [NO_STORE]


def host_origin(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{scheme}://{host}".lower()


def same_origin(environ: dict) -> bool:
    """A state-changing request comes from our own pages (checked on browser headers)."""
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        return origin.lower().rstrip("/") == host_origin(environ)
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site:
        return site in ("same-origin", "none")
    referer = environ.get("HTTP_REFERER")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == host_origin(environ)
    return False


def form_csrf_ok(environ: dict, expected: str, form_token: str | None) -> bool:
    """Our forms: the session's token in the form, and no foreign Origin."""
    if environ.get("HTTP_ORIGIN") and not same_origin(environ):
        return False
    return bool(form_token) and hmac.compare_digest(form_token, expected)


def api_csrf_ok(environ: dict, expected: str) -> bool:
    """Fava's requests (no token of ours): same origin, or the token in an X-CSRF-Token header."""
    token = environ.get(CSRF_HEADER)
    if token and hmac.compare_digest(token, expected):
        return True
    return same_origin(environ)


def cookie_header(token: str, secure: bool, max_age: int | None = None, clear: bool = False) -> str:
    parts = [f"{COOKIE_NAME}={'' if clear else token}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    if clear:
        parts.append("Max-Age=0")
    elif max_age:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)
