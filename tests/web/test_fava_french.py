"""Fava in French: our catalog stays in step with Fava's sources, and the portal serves it.

Fava is pinned; when it is upgraded, these tests fail if it gained a message that neither its
French catalog nor ours translates, if a message of ours is no longer one of Fava's, or if a
text we replace in its templates or scripts moved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import fava
import pytest
from babel.messages.pofile import read_po

from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.fava_francais import (
    FAVA_STATIC,
    MESSAGES,
    SAME_IN_FRENCH,
    SCRIPT_SUBSTITUTIONS,
    TEMPLATE_SUBSTITUTIONS,
    patched_static,
    substitute,
)
from retkoop_tools.web.fava_templates import FavaTemplateChangedError, escaped_source
from retkoop_tools.web.portal import Portal

from .conftest import OWN, PASSWORD, PortalEnv

FAVA = Path(fava.__file__).parent
TRANSLATIONS = FAVA / "translations"


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _fava_french() -> dict[str, str]:
    return {m.id: m.string for m in _catalog(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po") if m.id}


def _fava_msgids() -> set[str]:
    return {m.id for m in _catalog(TRANSLATIONS / "messages.pot") if m.id}


def _sources() -> dict[str, str]:
    """Fava's files that we patch, as installed."""
    files = {name: FAVA_STATIC / name for name in SCRIPT_SUBSTITUTIONS}
    files |= {name: FAVA / "templates" / name for name in TEMPLATE_SUBSTITUTIONS}
    return {name: path.read_text(encoding="utf-8") for name, path in files.items()}


def _patched() -> dict[str, str]:
    patched = {name: patched_static(name).decode() for name in SCRIPT_SUBSTITUTIONS}
    for name in TEMPLATE_SUBSTITUTIONS:
        patched[name] = escaped_source(name, (FAVA / "templates" / name).read_text(encoding="utf-8"))
    return patched


_GETTEXT_CALL = re.compile(r"""\b_\((["'])((?:(?!\1).)+)\1\)""")


def _gettext_calls(text: str) -> set[str]:
    return {m.group(2) for m in _GETTEXT_CALL.finditer(text)}


def test_every_fava_message_is_in_french():
    """Fava gained a message (an upgrade): translate it in `fava_francais.MESSAGES`."""
    fava_french = _fava_french()
    untranslated = []
    for msgid in sorted(_fava_msgids()):
        french = MESSAGES.get(msgid) or fava_french.get(msgid, "")
        if not french or (french == msgid and msgid not in SAME_IN_FRENCH):
            untranslated.append(msgid)
    assert untranslated == []


def test_the_texts_we_route_through_the_catalog_are_translated():
    """Every `_()` our substitutions add asks a message that one of the two catalogs has."""
    sources, patched = _sources(), _patched()
    added = set().union(*(_gettext_calls(patched[n]) - _gettext_calls(sources[n]) for n in patched))
    assert {"Open", "Custom", "from", "accumulated"} <= added
    fava_french = _fava_french()
    assert sorted(m for m in added if not (MESSAGES.get(m) or fava_french.get(m))) == []


def _query_columns(app_js: str) -> set[str]:
    """The column names of Fava's own queries (Comptes, Statistiques), shown as table headers."""
    columns = set(re.findall(r"\bas (\w+)", app_js)) | set(re.findall(r"SELECT\s+(\w+),", app_js))
    stats = re.search(r'postings_per_account_query = "SELECT (.*?) ORDER BY', app_js)
    assert stats, "Fava's Statistiques query moved"
    return columns | {c.strip() for c in stats.group(1).split(",")}


def test_our_messages_are_still_favas():
    """A message of ours Fava no longer has would hide that its text came back in English."""
    msgids, patched = _fava_msgids(), _patched()
    routed = set().union(*(_gettext_calls(text) for text in patched.values()))
    bundle = "".join(_sources()[n] for n in SCRIPT_SUBSTITUTIONS)
    phrases = set(re.findall(r'phrase\((?:view, )?"([^"]+)"', bundle))  # CodeMirror's
    phrases |= set(re.findall(r'phrase\(this\.open \? "([^"]+)" : "([^"]+)"\)', bundle)[0])
    phrases |= set(re.findall(r'phrase\(fold \? "([^"]+)" : "([^"]+)"\)', bundle)[0])
    columns = _query_columns(_sources()["app.js"])
    stale = [m for m in MESSAGES if m not in msgids | routed | phrases | columns]
    assert stale == []
    assert {"Unfold line", "Find"} <= phrases and {"units", "book_value", "count(account)"} <= columns


def test_a_changed_fava_script_fails_loudly():
    source = (FAVA_STATIC / "app.js").read_text(encoding="utf-8")
    substitute("app.js", source, SCRIPT_SUBSTITUTIONS["app.js"])
    with pytest.raises(FavaTemplateChangedError):
        substitute("app.js", source.replace('["open", "Open"', '["open", "Opened"'), SCRIPT_SUBSTITUTIONS["app.js"])


@pytest.fixture(scope="module")
def portal(demo_ad, tmp_path_factory) -> PortalEnv:
    instance = tmp_path_factory.mktemp("instance")
    Accounts(instance / "comptes.sqlite").add(OWN, "mandataire", name="Mme Martin", password=PASSWORD)
    return PortalEnv(Portal(demo_ad, instance, backup=False), demo_ad)


def test_fava_pages_are_french_to_the_browser(portal):
    client = portal.client()
    response = client.post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD, "suite": "/"})
    assert response.status_code == 302
    base = f"/coop/{OWN}/{portal.slug(OWN)}"
    page = client.get(f"{base}/journal/").get_data(as_text=True)
    assert page.startswith("<!doctype html>\n<html lang=\"fr\">")
    journal = client.get(f"{base}/api/journal_page?page=1&order=desc").get_json()["data"]["journal"]
    assert "<span class='flag'>Divers</span>" in journal and "<span class='flag'>cus</span>" not in journal
    assert ">piece</span>" in journal and ">pi</span>" not in journal  # metadata keys, whole
    translations = json.loads(re.search(r'<script type="application/json" id="translations">(.*?)</script>',
                                        page).group(1))
    assert translations["Show keyboard shortcuts"] == "Afficher les raccourcis clavier"
    assert translations["Unfold line"] == "Déplier la ligne"
    assert translations["Income Statement"] == "Compte de résultat"  # Fava's own catalog is kept
    assert (translations["System"], translations["Dark"], translations["Light"]) == ("Système", "Sombre", "Clair")

    script = client.get(f"/coop/{OWN}/static/app.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert '["open", _("Open"), null, "s o"]' in script.get_data(as_text=True)
    chunk = client.get(f"/coop/{OWN}/static/chunk-TVG7KHLA.js").get_data(as_text=True)
    assert '"janv.", "févr."' in chunk and 'decimal: ","' in chunk
    assert client.get(f"/coop/{OWN}/static/favicon.ico").status_code == 200  # Fava's own, untouched
