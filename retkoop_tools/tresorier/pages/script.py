"""The script of every treasurer page (`Tresorier.js`): live checks, sending forms, filters.

It has no page of its own (no entry in the sidebar); Fava loads it on every page and it acts
on the pages that carry `data-rk-page`.
"""

from __future__ import annotations

from fava.ext import FavaExtensionBase


class Tresorier(FavaExtensionBase):
    has_js_module = True
