"""The portal as a WSGI application for a process manager (gunicorn), set by environment.

    RETKOOP_REPO      the AD repository          RETKOOP_INSTANCE  accounts and sessions
    RETKOOP_LRU       coops kept loaded (50)     RETKOOP_PROXY=1   behind a reverse proxy
    RETKOOP_HTTPS=1   cookies for HTTPS only

    gunicorn --workers 2 --threads 4 'retkoop_tools.web.wsgi:create()'

Each worker process builds its own portal (its own Fava apps); they share the repository,
its locks and the accounts database.
"""

from __future__ import annotations

import os
from pathlib import Path


def create():
    from retkoop_tools.web.portal import Portal

    portal = Portal(
        Path(os.environ["RETKOOP_REPO"]),
        Path(os.environ["RETKOOP_INSTANCE"]),
        lru_size=int(os.environ.get("RETKOOP_LRU", "50")),
        secure_cookies=os.environ.get("RETKOOP_HTTPS") == "1",
        quiet_gc=True,
    )
    if os.environ.get("RETKOOP_PROXY") == "1":
        from werkzeug.middleware.proxy_fix import ProxyFix

        return ProxyFix(portal, x_for=1, x_proto=1, x_host=1)
    return portal
