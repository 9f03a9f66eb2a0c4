"""Fava's import configuration (`import-config`), set for every coop by the Pointage page.

Also a beangulp script:  python -m retkoop_tools.banque.fava_config identify RELEVÉ
"""

from __future__ import annotations

from retkoop_tools.banque.importers import importers

CONFIG = importers()

if __name__ == "__main__":
    import beangulp

    beangulp.Ingest(CONFIG).main()
