"""The Journal's entries rendered once each (`web/fava_journal.py`): the answer is Fava's own
render, entry for entry, after a save too; user texts stay escaped when reused; a link carries
the filters of the request it answers, in the coop it belongs to."""

from __future__ import annotations

import re
import textwrap

import pytest

from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.store.gitcmd import git
from retkoop_tools.web.fava_journal import FRAGMENTS, FragmentCache
from tests.web.conftest import ORIGIN, OWN
from tests.web.test_writes import ENTRY

JOURNAL = "api/journal_page?time=FY2026&page=1&order=desc"
GIT_ENV = {"GIT_AUTHOR_NAME": "Git", "GIT_AUTHOR_EMAIL": "g@g.test",
           "GIT_COMMITTER_NAME": "Git", "GIT_COMMITTER_EMAIL": "g@g.test"}


@pytest.fixture(autouse=True)
def fresh_fragments(env):
    """Every request renders (no whole answer kept), from fragments of this test only."""
    FRAGMENTS.clear()
    env.portal.reads.enabled = False
    yield
    FRAGMENTS.enabled = True
    FRAGMENTS.clear()


def _journal(env, client, query=JOURNAL, uai=OWN) -> str:
    response = client.get(f"/coop/{uai}/{env.slug(uai)}/{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["data"]["journal"]


def _fava_s_own(env, client, query=JOURNAL, uai=OWN) -> str:
    FRAGMENTS.enabled = False
    try:
        return _journal(env, client, query, uai)
    finally:
        FRAGMENTS.enabled = True


def _same(a: str, b: str) -> bool:
    """The same HTML but for the blanks between elements."""
    def norm(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())
    return norm(a) == norm(b)


def _save(env, client, entry) -> None:
    response = client.put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries", json={"entries": [entry]},
                          headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_the_journal_is_fava_s_render_and_each_entry_is_rendered_once(env):
    client = env.client("mandataire")
    fava = _fava_s_own(env, client)
    assert FRAGMENTS.hits == FRAGMENTS.misses == 0 and "<li" in fava
    first = _journal(env, client)
    entries = FRAGMENTS.misses
    assert entries > 10 and FRAGMENTS.hits == 0 and len(FRAGMENTS) == entries
    second = _journal(env, client)
    assert FRAGMENTS.hits == entries and FRAGMENTS.misses == entries  # nothing rendered again
    assert _same(first, fava) and _same(second, fava)
    # Each entry's place in the Journal is its own (the sort key put back in each one).
    assert re.findall(r"data-sort-value='(\d+)'", second) == re.findall(r"data-sort-value='(\d+)'", fava)


def test_after_a_save_only_what_changed_is_rendered_and_the_answer_is_fava_s(env):
    client = env.client("mandataire")
    _journal(env, client)
    misses = FRAGMENTS.misses
    _save(env, client, ENTRY)
    after = _journal(env, client)
    assert "Famille Test" in after
    assert 1 <= FRAGMENTS.misses - misses <= 5  # the new operation (and what the rules derive from it)
    assert _same(after, _fava_s_own(env, client))


def test_markup_in_a_libelle_stays_text_when_its_html_is_reused(env):
    """Written with git (the portal refuses markup in a libellé), with the marker of the sort key
    too: escaped like any text, it cannot stand for the marker."""
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    content = path.read_text(encoding="utf-8")
    at = insert_position(content)
    text = textwrap.dedent('''
        2025-10-05 * "<img src=x onerror=alert(1)>" "<retkoop-index/> <b>Don</b>"
          piece: "X01"
          mode: "CB"
          Charges:6063-Fournitures   2.00 EUR
          Actif:512-Banque          -2.00 EUR
    ''').strip("\n")
    path.write_text(content[:at] + text + "\n\n" + content[at:], encoding="utf-8")
    git(env.root, "commit", "-q", "--no-verify", "-am", "Balises dans le grand livre", env=GIT_ENV)
    client = env.client("ad_admin")
    for _ in range(2):  # rendered, then taken from the fragments
        html = _journal(env, client)
        assert "<img src=x" not in html and "<b>Don" not in html and "<retkoop-index" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;retkoop-index/&gt; &lt;b&gt;Don&lt;/b&gt;" in html
    assert FRAGMENTS.hits > 0
    assert _same(html, _fava_s_own(env, client))


def test_a_link_carries_the_filters_of_its_own_request(env):
    client = env.client("mandataire")
    fiscal = _journal(env, client)
    assert "time=FY2026" in fiscal
    other = "api/journal_page?time=2026&page=1&order=desc"
    html = _journal(env, client, other)
    assert "time=FY2026" not in html and "time=2026" in html
    assert _same(html, _fava_s_own(env, client, other))
    assert f"/coop/{OWN}/" in html


def test_the_fragments_stay_within_their_bytes():
    cache = FragmentCache(max_bytes=5_000)
    for n in range(100):
        cache.put(("ctx", n), f"<li>{n}" + "x" * 200, "</li>")
    assert 0 < len(cache) < 100 and cache._bytes <= 5_000  # noqa: SLF001
    assert cache.get(("ctx", 99)) == ("<li>99" + "x" * 200, "</li>")
    assert cache.get(("ctx", 0)) is None  # the oldest went first
