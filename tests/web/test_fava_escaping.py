"""No text of a ledger reaches a Fava page as markup, whatever the files hold.

The ledger is written with git, not through the portal (a pushed ledger could hold anything):
markup in a payee, a narration, entry and posting metadata, a note, an event, a custom value
and a tag-free link text. The Journal (whole and per account) that Fava renders server-side is
read as the AD admin through the portal: the markup is there escaped, never raw.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.store.gitcmd import git
from retkoop_tools.web.fava_francais import TEMPLATE_SUBSTITUTIONS, substitute
from retkoop_tools.web.fava_templates import FavaTemplateChangedError, escaped_source

from .conftest import OWN

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__pwned=1</script>"
FAVA_TEMPLATES = Path(__import__("fava").__file__).parent / "templates"


def _q(text: str) -> str:
    return text.replace('"', '\\"')


@pytest.fixture
def marked(env):
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    content = path.read_text(encoding="utf-8")
    at = insert_position(content)
    text = textwrap.dedent(f'''
        2025-10-05 * "{IMG} payee" "{SCRIPT} narration"
          piece: "X01"
          mode: "CB"
          remarque: "{IMG} meta"
          Charges:6063-Fournitures   2.00 EUR
            detail: "{SCRIPT} posting"
          Actif:512-Banque          -2.00 EUR

        2025-10-05 note Actif:512-Banque "{IMG} note"

        2025-10-05 event "visite" "{SCRIPT} event"

        2025-10-05 custom "memo" "{_q(IMG)} custom"
    ''').strip("\n")
    path.write_text(content[:at] + text + "\n\n" + content[at:], encoding="utf-8")
    git(env.root, "commit", "-q", "--no-verify", "-am", "Balises dans le grand livre",
        env={"GIT_AUTHOR_NAME": "Git", "GIT_AUTHOR_EMAIL": "g@g.test",
             "GIT_COMMITTER_NAME": "Git", "GIT_COMMITTER_EMAIL": "g@g.test"})
    return env, f"/coop/{OWN}/{env.slug(OWN)}"


def _assert_inert(html: str, *labels: str) -> None:
    for payload in (IMG, SCRIPT):
        assert payload not in html
    for label in labels:
        assert label in html, label


def test_the_journal_renders_user_texts_escaped(marked):
    env, base = marked
    admin = env.client("ad_admin")
    journal = admin.get(f"{base}/api/journal_page?page=1&order=desc").get_json()["data"]["journal"]
    _assert_inert(journal,
                  "&lt;img src=x onerror=alert(1)&gt; payee",
                  "&lt;script&gt;window.__pwned=1&lt;/script&gt; narration",
                  "&lt;img src=x onerror=alert(1)&gt; meta",
                  "&lt;script&gt;window.__pwned=1&lt;/script&gt; posting",
                  "&lt;img src=x onerror=alert(1)&gt; note",
                  "&lt;img src=x onerror=alert(1)&gt; custom")
    assert "<img" not in journal and "<script" not in journal
    # The account's journal (with change and balance columns) goes through the same template.
    report = admin.get(f"{base}/api/account_report?a=Actif:512-Banque&r=journal").get_json()["data"]
    assert "&lt;img src=x onerror=alert(1)&gt; note" in report["journal"]
    assert "<img" not in report["journal"] and "<script" not in report["journal"]


def test_fava_pages_embed_the_texts_as_json_only(marked):
    env, base = marked
    page = env.client("ad_admin").get(f"{base}/journal/").get_data(as_text=True)
    # The ledger data (payees…) is in a JSON script element: no raw tag inside it.
    assert IMG not in page and SCRIPT not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e payee" in page


def test_the_patch_follows_the_installed_template():
    source = (FAVA_TEMPLATES / "_journal_table.html").read_text(encoding="utf-8")
    patched = escaped_source("_journal_table.html", source)
    assert "autoescape false" not in patched and "{% autoescape true %}" in patched
    # Besides, only the French texts of `fava_francais.py` change.
    french = substitute("_journal_table.html", source, TEMPLATE_SUBSTITUTIONS["_journal_table.html"])
    assert patched.replace("{% autoescape true %}", "{% autoescape false %}") == french
    # Every Fava template was reviewed: only this one turned escaping off.
    for path in FAVA_TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if path.name != "_journal_table.html":
            assert "autoescape false" not in text and "|safe" not in text, path


def test_a_changed_fava_template_fails_loudly():
    source = (FAVA_TEMPLATES / "_journal_table.html").read_text(encoding="utf-8")
    with pytest.raises(FavaTemplateChangedError):
        escaped_source("_journal_table.html", source.replace("{% autoescape false %}", "{% autoescape off %}"))
    with pytest.raises(FavaTemplateChangedError):
        escaped_source("_journal_table.html", source + "\n{% autoescape false %}\n")


def test_our_templates_mark_nothing_safe():
    """Our own pages (treasurer, portal, AD console) never turn escaping off."""
    root = Path(__file__).resolve().parents[2] / "retkoop_tools"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8").replace(" ", "")
        assert "|safe" not in text and "autoescapefalse" not in text.lower(), path
    # The one exception, audited: the AD's contacts list, whose every value is escaped (tested in
    # tests/test_contacts.py) and refused in ad.yaml when it holds markup.
    # And the Journal's fragments (`web/fava_journal.py`): its marker, and the entries' HTML that
    # Fava's escaping template rendered, joined with the entries' sort keys (numbers).
    audited = {root / "contacts.py": 2, root / "web" / "fava_journal.py": 2}
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("Markup(") == audited.get(path, 0) and "autoescape=False" not in text, path


def test_the_csp_allows_webassembly_and_nothing_more(env):
    """Fava's editor needs WebAssembly; inline scripts and eval stay forbidden."""
    policy = env.client("ad_admin").get(f"/coop/{OWN}/{env.slug(OWN)}/journal/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["default-src"] == "'self'"
