"""The journal's answers kept while the load is the same (`web/read_cache.py`): served again
only to the same account, after the portal's checks, and never once the books changed."""

from __future__ import annotations

from werkzeug.test import Client

from tests.web.conftest import ORIGIN, OTHER, OWN
from tests.web.test_writes import ENTRY

JOURNAL = "api/journal_page?time=FY2026&page=1&order=desc"


def _journal(env, client, uai=OWN):
    return client.get(f"/coop/{uai}/{env.slug(uai)}/{JOURNAL}")


def test_the_same_answer_is_served_again_until_a_save_changes_the_books(env):
    reads = env.portal.reads
    client = env.client("mandataire")
    first = _journal(env, client)
    assert first.status_code == 200
    hits = reads.hits
    second = _journal(env, client)
    assert second.status_code == 200 and reads.hits == hits + 1
    assert second.get_data() == first.get_data()
    assert "no-store" in second.headers["Cache-Control"]  # still private to the user
    assert "Famille Test" not in first.get_data(as_text=True)
    response = client.put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    third = _journal(env, client)
    assert third.status_code == 200 and reads.hits == hits + 1  # computed again
    assert "Famille Test" in third.get_data(as_text=True)
    # A query of its own is an answer of its own.
    page = client.get(f"/coop/{OWN}/{env.slug(OWN)}/api/journal_page?time=FY2026&page=1&order=asc")
    assert page.status_code == 200 and reads.hits == hits + 1


def test_an_answer_is_served_again_only_after_the_checks_and_to_the_same_role(env):
    from tests.web.conftest import PASSWORD

    reads = env.portal.reads
    staff = env.client("ad_staff")
    first = _journal(env, staff, OTHER)
    assert first.status_code == 200
    hits = reads.hits
    # The mandataire of another coop: refused before any answer is looked up.
    refused = _journal(env, env.client("mandataire"), OTHER)
    assert refused.status_code == 403 and reads.hits == hits
    assert "Fournisseur" not in refused.get_data(as_text=True) and len(refused.get_data()) < 1000
    # Another account of another role: its own answer, computed for it.
    assert _journal(env, env.client("ad_admin"), OTHER).status_code == 200
    assert reads.hits == hits
    # Another account of the AD's staff: the same answer (Fava's journal names no one).
    env.portal.accounts.add("staff2@ad91.test", "ad_staff", name="Autre", password=PASSWORD)
    other = Client(env.portal)
    other.post("/connexion", data={"identifiant": "staff2@ad91.test", "mot_de_passe": PASSWORD, "suite": "/"})
    again = _journal(env, other, OTHER)
    assert again.status_code == 200 and reads.hits == hits + 1 and again.get_data() == first.get_data()
    # Logged out: refused, whatever is kept.
    assert _journal(env, Client(env.portal), OTHER).status_code == 401
    assert reads.hits == hits + 1


def test_fava_s_journal_is_the_same_for_every_role(env):
    reads = env.portal.reads
    monkey_off = reads.enabled
    reads.enabled = False  # computed for each
    try:
        bodies = {role: _journal(env, env.client(role)).get_data() for role in ("mandataire", "ad_staff", "ad_admin")}
    finally:
        reads.enabled = monkey_off
    assert len(set(bodies.values())) == 1 and b"journal" in bodies["mandataire"]


def test_any_reload_of_the_ledger_is_a_new_answer(env):
    """Fava's own watcher reloads the ledger when a document arrives in the coop's folder: a
    new load, so the journal is computed again."""
    reads = env.portal.reads
    client = env.client("mandataire")
    _journal(env, client)
    _journal(env, client)
    hits = reads.hits
    app = env.portal.pool.get(OWN)
    for ledger in app.config["LEDGERS"].ledgers:
        ledger.load_file()
    assert _journal(env, client).status_code == 200
    assert reads.hits == hits
    assert _journal(env, client).status_code == 200
    assert reads.hits == hits + 1


def test_the_kept_answers_stay_within_their_bytes():
    import os

    from retkoop_tools.web.read_cache import ReadCache

    cache = ReadCache(max_bytes=1000)
    bodies = [os.urandom(200) for _ in range(10)]  # random: as large compressed
    for n, body in enumerate(bodies):
        cache.put(("k", n), "200 OK", [("Content-Type", "application/json")], body)
    assert cache._bytes <= 1000 and cache.get(("k", 0)) is None
    assert cache.get(("k", 9)) == ("200 OK", [("Content-Type", "application/json")], bodies[9])
    cache.put(("erreur",), "500 INTERNAL SERVER ERROR", [], b"{}")
    assert cache.get(("erreur",)) is None  # only successful answers are kept


def test_no_answer_is_kept_when_the_cache_is_turned_off(env, monkeypatch):
    from retkoop_tools.web.read_cache import READS_ENV, ReadCache

    monkeypatch.setenv(READS_ENV, "0")
    cache = ReadCache()
    app = env.portal.pool.get(OWN)
    assert cache.key(app, "mandataire", f"/{env.slug(OWN)}/api/journal_page", "") is None
    monkeypatch.delenv(READS_ENV)
    assert ReadCache().key(app, "mandataire", f"/{env.slug(OWN)}/api/journal_page", "") is not None
    assert ReadCache().key(app, "mandataire", f"/{env.slug(OWN)}/api/ledger_data", "") is None  # only the journal


def test_a_kept_journal_is_served_while_the_coop_is_being_written(env):
    """A write holds the coop (Fava writes in place, the store checks): a reader of the journal
    kept for the files as they are on disk does not wait for it; once the files change, it does."""
    import threading

    client = env.client("mandataire")
    first = _journal(env, client)
    assert first.status_code == 200
    answers = []
    with env.portal.pool.writing(OWN):
        reader = threading.Thread(target=lambda: answers.append(_journal(env, client)))
        reader.start()
        reader.join(20)
        assert not reader.is_alive() and answers[0].get_data() == first.get_data()
        # The files changed on disk (a write not committed yet, another process): the reader
        # waits for the write, then gets the books as they are.
        path = env.root / "ledgers" / OWN / "2025-2026.beancount"
        path.write_text(path.read_text(encoding="utf-8") + "\n; une remarque\n", encoding="utf-8")
        waiting = threading.Thread(target=lambda: answers.append(_journal(env, client)))
        waiting.start()
        waiting.join(1)
        assert waiting.is_alive()
    waiting.join(20)
    assert not waiting.is_alive() and answers[1].status_code == 200
