"""Fava's editor and entry detail under our CSP, and a stored XSS chain, in a real Chromium.

- The mandataire opens the editor: CodeMirror shows the file's text, and no CSP error is
  logged (tree-sitter is WebAssembly: `'wasm-unsafe-eval'` is needed, nothing more).
- The Journal's entry detail (also WebAssembly) opens with the entry's text.
- A transaction committed with git (not through the portal) carries an `<iframe srcdoc>` and an
  `<img onerror>` that would POST to /admin/comptes: the AD admin opens the Journal and its
  detail; no script runs, no request leaves, and the payload is shown as text.
"""

from __future__ import annotations

import os
import textwrap
import threading
from pathlib import Path

import pytest

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.store.gitcmd import git
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
UAI = "0910001A"
PASSWORD = "Une phrase de passe assez longue !"
LOGINS = {"mandataire": UAI, "ad_admin": "admin@ad91.test", "verificateur": "verif@parents.test"}
IFRAME = '<iframe srcdoc="<script>parent.__pwned=1;fetch(\'/pwned-iframe\')</script>">'
IMG = "<img src=x onerror=\"window.__pwned=2;fetch('/admin/comptes',{method:'POST',body:'x'})\">"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                reason="Debian's chromium is not installed (apt-get install chromium)")


def _q(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@pytest.fixture
def server(tmp_path):
    import waitress

    root = prepare_demo_ad(REPO, tmp_path / "ad")
    path = root / "ledgers" / UAI / "2025-2026.beancount"
    content = path.read_text(encoding="utf-8")
    at = insert_position(content)
    entry = textwrap.dedent(f'''
        2025-10-07 * "{_q(IMG)}" "{_q(IFRAME)}"
          piece: "X77"
          mode: "CB"
          Charges:6063-Fournitures   3.00 EUR
          Actif:512-Banque          -3.00 EUR
    ''').strip("\n")
    path.write_text(content[:at] + entry + "\n\n" + content[at:], encoding="utf-8")
    git(root, "commit", "-q", "--no-verify", "-am", "Poussé par git",
        env={"GIT_AUTHOR_NAME": "Git", "GIT_AUTHOR_EMAIL": "g@g.test",
             "GIT_COMMITTER_NAME": "Git", "GIT_COMMITTER_EMAIL": "g@g.test"})
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    accounts.add(LOGINS["mandataire"], "mandataire", name="Mme Martin", password=PASSWORD)
    accounts.add(LOGINS["ad_admin"], "ad_admin", name="Admin AD", password=PASSWORD)
    accounts.add(LOGINS["verificateur"], "verificateur", name="Parent", password=PASSWORD,
                 coops=(UAI,), exercice="2025-2026")
    portal = Portal(root, tmp_path / "instance", backup=False)
    httpd = waitress.create_server(portal, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.effective_port}", portal
    httpd.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


class Watched:
    """A page whose console messages, page errors and requests are kept."""

    def __init__(self, browser, base: str, role: str):
        self.page = browser.new_page(locale="fr-FR")
        self.page.set_default_timeout(20000)
        self.console: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append((r.method, r.url)))
        self.page.goto(base + "/connexion")
        self.page.get_by_label("Identifiant").fill(LOGINS[role])
        self.page.get_by_label("Mot de passe").fill(PASSWORD)
        self.page.get_by_role("button", name="Se connecter").click()
        self.page.wait_for_load_state("networkidle")
        self.requests.clear()  # the login's own POST

    def csp_errors(self) -> list[str]:
        return [m for m in self.console
                if "Content Security Policy" in m or "WebAssembly" in m or "CompileError" in m]


def test_the_editor_and_the_entry_detail_work_under_the_csp(server, browser):
    base, portal = server
    slug = portal.pool.slug(UAI)
    watched = Watched(browser, base, "mandataire")
    page = watched.page
    page.goto(f"{base}/coop/{UAI}/{slug}/editor/")
    editor = page.locator(".cm-editor .cm-content").first
    editor.wait_for()
    page.wait_for_function(
        "() => document.querySelector('.cm-content')?.textContent.includes('option \"title\"')")
    assert "École élémentaire Jean Jaurès (0910001A)" in editor.inner_text()
    # Syntax highlighting is tree-sitter's (WebAssembly): tokens get their classes.
    page.wait_for_selector(".cm-content span[class]")
    page.wait_for_load_state("networkidle")
    assert watched.csp_errors() == [], watched.console

    # The Journal's entry detail: the entry's source in an editor of its own.
    page.goto(f"{base}/coop/{UAI}/{slug}/journal/")
    page.wait_for_selector("text=Participation volontaire des familles")
    page.locator("li.transaction a[href^='#context-']").first.click()
    page.wait_for_selector(".cm-editor .cm-content")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cm-content')].some(e => e.textContent.includes('piece:'))")
    page.wait_for_load_state("networkidle")
    assert watched.csp_errors() == [], watched.console


def test_the_verificateur_gets_no_editor(server, browser):
    base, portal = server
    watched = Watched(browser, base, "verificateur")
    response = watched.page.goto(f"{base}/coop/{UAI}/{portal.pool.slug(UAI)}/editor/")
    assert response.status == 403
    assert "Cette page n'est pas ouverte aux vérificateurs." in watched.page.inner_text("body")
    assert watched.page.locator(".cm-editor").count() == 0


def test_a_stored_xss_does_not_run_for_the_ad_admin(server, browser):
    base, portal = server
    slug = portal.pool.slug(UAI)
    watched = Watched(browser, base, "ad_admin")
    page = watched.page
    page.goto(f"{base}/coop/{UAI}/{slug}/journal/")
    # The payload is on the page as text, in the Journal row.
    row = page.locator("li.transaction", has_text="<iframe srcdoc=").first
    row.wait_for()
    assert IFRAME in row.inner_text() and IMG in row.inner_text()
    # Its entry detail too (Fava's frontend renders it).
    row.locator("a[href^='#context-']").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cm-content')].some(e => e.textContent.includes('X77'))")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("iframe").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert not [r for r in watched.requests if r[0] == "POST"], watched.requests
    assert not [u for _m, u in watched.requests if "pwned" in u or u.endswith("/x")], watched.requests
    assert watched.csp_errors() == [], watched.console
