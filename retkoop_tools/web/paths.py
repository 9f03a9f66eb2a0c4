"""Request paths in one canonical form, before any decision is taken on them.

`/coop/0910001A//slug/editor/` is the editor for Fava's router (which collapses slashes), but
not for a rule matching `^/[^/]+/editor/`. Every authorisation rule of the portal therefore
reads the canonical path, and Fava is given that same path.
"""

from __future__ import annotations

import re

#: Encoded separators and NUL in the raw request line: a path that means two things.
_ENCODED = re.compile(r"%(2f|5c|00)", re.IGNORECASE)


class InvalidPathError(ValueError):
    """The request's path cannot be read one way only; the message is in French."""

    def __init__(self) -> None:
        super().__init__("Adresse invalide.")


def normalise_path(path: str, raw_uri: str | None = None) -> str:
    """`path` (the decoded PATH_INFO) with `//` collapsed and `.` / `..` resolved.

    A trailing slash is kept (Fava's pages end with one). `..` never climbs above the root.
    Raises InvalidPathError for a backslash or NUL in the path, or an encoded `/`, `\\` or
    NUL in the path part of `raw_uri` (the request line as sent).
    """
    if "\\" in path or "\x00" in path:
        raise InvalidPathError
    if raw_uri and _ENCODED.search(raw_uri.split("?", 1)[0]):
        raise InvalidPathError
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    canonical = "/" + "/".join(segments)
    if segments and (path.endswith("/") or path.rsplit("/", 1)[-1] in (".", "..")):
        canonical += "/"
    return canonical
