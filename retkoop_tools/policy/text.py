"""Texts that come from elsewhere (a bank's export, a spreadsheet) made plain before they are
written: no markup, no control characters.

What a teacher types is refused with a message when it holds `<` or `>` (`policy.writes`); a
bank label or a cahier's cell cannot be retyped, so it is neutralised instead: the angle
brackets become the look-alike guillemets ‹ ›, control characters become spaces.
"""

from __future__ import annotations

import re

MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def plain_text(value: str) -> str:
    """`value` with no character a page could read as markup, nor any control character."""
    return _CONTROL.sub(" ", value).replace("<", "‹").replace(">", "›")
