"""The portal's processes keep Python's full garbage collections off their requests
(`web/gc_pauses.py`): what a full collection kept is frozen, an evicted app is freed."""

from __future__ import annotations

import gc
import weakref

import pytest

from retkoop_tools.web import gc_pauses
from retkoop_tools.web.fava_pool import FavaPool
from retkoop_tools.web.portal import Portal

from .conftest import OTHER, OWN


@pytest.fixture
def quiet_gc():
    gc_pauses.uninstall()
    yield
    gc_pauses.uninstall()


def test_a_portal_process_freezes_what_a_full_collection_kept(demo_ad, tmp_path, quiet_gc):
    portal = Portal(demo_ad, tmp_path / "instance", lru_size=2, backup=False, quiet_gc=True)
    from werkzeug.test import Client

    client = Client(portal)
    assert client.get("/connexion").status_code == 200
    before = gc.get_freeze_count()  # an automatic full collection may already have run
    gc.collect()  # as CPython runs one every few saves
    assert gc.get_freeze_count() == before  # not inside the collector: after the request
    assert client.get("/connexion").status_code == 200
    frozen = gc.get_freeze_count()
    assert frozen > max(before, 10_000)  # the portal and its imports out of the next collections
    young = [[]]  # made after: still collected
    assert gc.is_tracked(young) and gc.get_freeze_count() == frozen
    assert gc_pauses.stats()["gels"] >= 1


def test_a_portal_built_for_tests_or_the_command_line_leaves_the_collector_alone(demo_ad, tmp_path, quiet_gc):
    portal = Portal(demo_ad, tmp_path / "instance", lru_size=2, backup=False)
    from werkzeug.test import Client

    gc.collect()
    assert Client(portal).get("/connexion").status_code == 200
    assert gc.get_freeze_count() == 0


def test_the_plain_collector_on_demand(demo_ad, tmp_path, quiet_gc, monkeypatch):
    monkeypatch.setenv(gc_pauses.MODE_ENV, gc_pauses.PLAIN)
    portal = Portal(demo_ad, tmp_path / "instance", lru_size=2, backup=False, quiet_gc=True)
    from werkzeug.test import Client

    gc.collect()
    assert Client(portal).get("/connexion").status_code == 200
    assert gc.get_freeze_count() == 0


def test_an_evicted_app_is_freed_though_it_was_frozen(demo_ad, quiet_gc):
    gc_pauses.install()
    pool = FavaPool(demo_ad, size=1)
    first = weakref.ref(pool.get(OWN))
    gc.collect()
    gc_pauses.after_request()
    assert gc.get_freeze_count() > 0 and first() is not None  # frozen with the app
    pool.get(OTHER)  # evicts the first app: released to the collector
    assert pool.evicted == 1 and gc.get_freeze_count() == 0
    gc.collect()
    assert first() is None  # its cycles (Flask, Fava's modules) freed


def test_without_the_release_a_frozen_evicted_app_would_stay(demo_ad, quiet_gc, monkeypatch):
    """What `release` is for: frozen cycles are never collected."""
    gc_pauses.install()
    monkeypatch.setattr(gc_pauses, "release", lambda: None)
    pool = FavaPool(demo_ad, size=1)
    first = weakref.ref(pool.get(OWN))
    gc.collect()
    gc_pauses.after_request()
    pool.get(OTHER)
    gc.collect()
    assert first() is not None
