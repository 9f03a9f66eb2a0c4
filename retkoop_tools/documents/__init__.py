"""The documents of a coop, computed from its books: CRF, adhésion, CRA, exports.

Each document is first plain Python data (testable, independent of any layout), then a
Jinja2 template of `templates/` turns it into HTML, and WeasyPrint into PDF.
"""
