"""A vérificateur of 2025-2026 learns nothing of another exercice, through any Fava endpoint.

The demo coop gets, committed with git, marked entries in 2024-2025 (a payee, a narration, a
note, an event, a document and an error of that year only) and their counterparts in 2025-2026.
Every endpoint that used to read the whole ledger is asked for them: the AD's staff sees both
years (so the markers are real), the vérificateur sees 2025-2026 only.
"""

from __future__ import annotations

import html
import json
import textwrap
from urllib.parse import quote

import pytest
from fava.beans.funcs import hash_entry

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.store.gitcmd import git

from .conftest import OTHER, OWN

OLD, NEW = "Ancien Fournisseur Secret", "Fournisseur Courant"
OLD_NARRATION, NEW_NARRATION = "Achat confidentiel 2024", "Achat visible 2025"
OLD_DOC, NEW_DOC = "2024-10-02.D90.pdf", "2025-10-02.D91.pdf"


def _add(path, text: str) -> None:
    content = path.read_text(encoding="utf-8")
    at = insert_position(content)
    path.write_text(content[:at] + textwrap.dedent(text).strip("\n") + "\n\n" + content[at:], encoding="utf-8")


@pytest.fixture
def scoped(env):
    coop = env.root / "ledgers" / OWN
    docs = coop / "documents" / "Charges" / "6063-Fournitures"
    docs.mkdir(parents=True, exist_ok=True)
    for name in (OLD_DOC, NEW_DOC):
        (docs / name).write_bytes(b"%PDF-1.4 " + name.encode() + b"\n%%EOF\n")
    for year, payee, narration, doc, day, wrong in (
            ("2024-2025", OLD, OLD_NARRATION, OLD_DOC, "2024-10-02", "999999"),
            ("2025-2026", NEW, NEW_NARRATION, NEW_DOC, "2025-10-02", "888888")):
        _add(coop / f"{year}.beancount", f'''
            {day} * "{payee}" "{narration}"
              piece: "D9{year[3]}"
              mode: "CB"
              document: "documents/Charges/6063-Fournitures/{doc}"
              Charges:6063-Fournitures   7.00 EUR
              Actif:512-Banque          -7.00 EUR

            {day} note Actif:512-Banque "Note de {narration}"

            {day} event "visite" "Visite de {payee}"

            {day} balance Actif:530-Caisse {wrong}.00 EUR
        ''')
    git(env.root, "add", "-A")
    git(env.root, "commit", "-q", "--no-verify", "-m", "Entrées marquées",
        env={"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@t.test",
             "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@t.test"})
    full = env.portal.pool.get(OWN).config["LEDGERS"].ledgers[0]
    hashes = {e.narration: hash_entry(e) for e in full.all_entries_by_type.Transaction
              if e.narration in (OLD_NARRATION, NEW_NARRATION)}
    return env, f"/coop/{OWN}/{env.slug(OWN)}", hashes, docs


def _reads(base: str, hashes: dict, docs) -> dict[str, str]:
    old_hash, new_hash = hashes[OLD_NARRATION], hashes[NEW_NARRATION]
    query = quote("SELECT date, payee, narration")
    return {
        "ledger data (page)": f"{base}/journal/",
        "narrations": f"{base}/api/narrations",
        "payee_accounts": f"{base}/api/payee_accounts?payee={quote(OLD)}",
        "payee_transaction": f"{base}/api/payee_transaction?payee={quote(OLD)}",
        "narration_transaction": f"{base}/api/narration_transaction?narration={quote(OLD_NARRATION)}",
        "context (old entry)": f"{base}/api/context?entry_hash={old_hash}",
        "context (new entry)": f"{base}/api/context?entry_hash={new_hash}",
        "query": f"{base}/api/query?query_string={query}",
        "query on all rows": f"{base}/api/query?query_string={quote('SELECT payee FROM #entries')}",
        "journal": f"{base}/api/journal",
        "journal_page": f"{base}/api/journal_page?page=1&order=desc",
        "documents": f"{base}/api/documents",
        "events": f"{base}/api/events",
        "statistics": f"{base}/api/statistics",
        "errors": f"{base}/api/errors",
        "account journal": f"{base}/api/account_report?a=Actif:512-Banque&r=journal",
        "download journal": f"{base}/download-journal/",
        "document (old)": f"{base}/document/?filename={quote(str(docs / OLD_DOC))}",
        "statement (old)": f"{base}/statement/?entry_hash={old_hash}&key=document",
    }


OLD_MARKERS = (OLD, OLD_NARRATION, "2024-10-02", OLD_DOC, "Visite de " + OLD, "999999")


def test_staff_sees_both_years_so_the_markers_are_real(scoped):
    env, base, hashes, docs = scoped
    staff = env.client("ad_staff")
    seen = "".join(staff.get(url).get_data(as_text=True) for url in _reads(base, hashes, docs).values())
    for marker in OLD_MARKERS:
        assert marker in seen, marker
    assert staff.get(f"{base}/document/?filename={quote(str(docs / OLD_DOC))}").status_code == 200


def test_no_fava_endpoint_tells_the_verificateur_of_another_exercice(scoped):
    env, base, hashes, docs = scoped
    verif = env.client("verificateur")
    for name, url in _reads(base, hashes, docs).items():
        response = verif.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code in (200, 400, 404, 500), (name, response.status_code)
        for marker in OLD_MARKERS:
            assert marker not in text, (name, marker)
        # Nor any date of the previous exercice (but 01/09/2024, when the accounts were opened).
        for month in ("2024-10", "2024-11", "2024-12", "2025-01", "2025-03", "2025-06"):
            assert month not in text, (name, month)
    # What the exercice holds is there.
    assert NEW_NARRATION in verif.get(f"{base}/api/narrations").get_data(as_text=True)
    journal = verif.get(f"{base}/api/journal_page?page=1&order=desc").get_json()["data"]["journal"]
    assert NEW_NARRATION in journal and "Note de " + NEW_NARRATION in journal
    rows = verif.get(f"{base}/api/query?query_string={quote('SELECT date, narration')}").get_json()["data"]["rows"]
    assert rows and all(date >= "2025-08-31" for date, _narration in rows)
    assert {e["description"] for e in verif.get(f"{base}/api/events").get_json()["data"]} == {"Visite de " + NEW}


def test_opening_balances_are_summarised_in_french(scoped):
    env, base, _hashes, _docs = scoped
    verif, staff = env.client("verificateur"), env.client("ad_staff")
    entries = verif.get(f"{base}/api/journal").get_json()["data"]
    opening = [e for e in entries if e.get("flag") == "S"]
    assert opening and all(e["date"] == "2025-08-31" for e in opening)
    # Fava's (forced) time filter summarises once more, in its words; our ledger has French ones.
    ledger = env.portal.pool.get(OWN, Exercice(2025)).config["LEDGERS"].ledgers[0]
    assert "Solde à l'ouverture du 01/09/2025 : Actif:512-Banque" in {
        e.narration for e in ledger.all_entries_by_type.Transaction if e.flag == "S"}
    # The balance sheet and income statement of the exercice are those the staff sees.
    for report in ("balance_sheet", "income_statement"):
        mine = verif.get(f"{base}/api/{report}").get_json()["data"]
        theirs = staff.get(f"{base}/api/{report}?time=FY2026").get_json()["data"]
        assert mine["trees"] == theirs["trees"], report


def test_errors_of_other_exercices_are_only_counted(scoped):
    env, base, _hashes, _docs = scoped
    staff = env.client("ad_staff").get(f"{base}/api/errors").get_json()["data"]
    verif = env.client("verificateur").get(f"{base}/api/errors").get_json()["data"]
    old = [e for e in staff if "2024-2025" in json.dumps(e.get("source") or {})]
    assert old, staff  # the 999999 balance of 2024-2025 fails
    assert not any("2024-2025.beancount" in json.dumps(e.get("source") or {}) for e in verif)
    assert any(e["type"] == "OtherExercicesErrors" and "d'autres exercices que 2025-2026" in e["message"]
               for e in verif)
    # The error of their own exercice is shown, with its file and line.
    assert any("2025-2026.beancount" in json.dumps(e.get("source") or {}) for e in verif)


def test_documents_only_of_the_exercice(scoped):
    env, base, hashes, docs = scoped
    verif = env.client("verificateur")
    new = verif.get(f"{base}/document/?filename={quote(str(docs / NEW_DOC))}")
    assert new.status_code == 200 and NEW_DOC.encode() in new.data
    assert verif.get(f"{base}/statement/?entry_hash={hashes[NEW_NARRATION]}&key=document").data == new.data
    old = verif.get(f"{base}/document/?filename={quote(str(docs / OLD_DOC))}")
    assert old.status_code == 404 and OLD_DOC.encode() not in old.data
    # Nor a file of the coop that no document entry names.
    coop_file = env.root / "ledgers" / OWN / "coop.beancount"
    assert verif.get(f"{base}/document/?filename={quote(str(coop_file))}").status_code == 404
    # The list of documents has the exercice's document only.
    listed = [d["filename"] for d in verif.get(f"{base}/api/documents").get_json()["data"]]
    assert listed == [(docs / NEW_DOC).relative_to(env.root / "ledgers" / OWN).as_posix()]  # no server path


@pytest.mark.parametrize("path", [
    "/editor/", "/api/source?filename=x", "/api/source_slice?entry_hash=x", "/import/",
    "/api/imports", "/api/extract?filename=x&importer=y", "/api/format_source",
])
def test_raw_files_and_imports_are_closed_to_the_verificateur(env, path):
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    response = env.client("verificateur").get(base + path)
    assert response.status_code == 403
    text = html.unescape(response.get_data(as_text=True))
    if "/api/" in path:
        assert response.get_json()["error"] == "Cette page n'est pas ouverte aux vérificateurs."
    else:
        assert "Accès refusé" in text and "Cette page n'est pas ouverte aux vérificateurs." in text
    assert "Actif:512-Banque" not in text
    # The mandataire keeps them (Fava answers, whatever its answer).
    assert "pas ouverte aux vérificateurs" not in env.client("mandataire").get(base + path).get_data(as_text=True)


def test_verificateur_app_is_its_own_and_read_only(scoped):
    env, base, _hashes, _docs = scoped
    env.client("verificateur").get(f"{base}/api/narrations")
    app = env.portal.pool.get(OWN, Exercice(2025))
    assert app is not env.portal.pool.get(OWN)
    assert app.config["RETKOOP_POOL_KEY"] == f"{OWN}@2025-2026"
    ledger = app.config["LEDGERS"].ledgers[0]
    assert min(e.date for e in ledger.all_entries_by_type.Transaction).isoformat() == "2025-08-31"
    # A write reaching the app itself (not through the portal) is refused by Fava.
    with app.test_client() as client:
        assert client.put(f"/{env.slug(OWN)}/api/add_entries", json={"entries": []}).status_code == 401


def test_a_new_commit_reaches_the_verificateurs_app(scoped):
    env, base, _hashes, _docs = scoped
    verif = env.client("verificateur")
    assert "Tout nouveau" not in verif.get(f"{base}/api/narrations").get_data(as_text=True)
    _add(env.root / "ledgers" / OWN / "2025-2026.beancount", '''
        2026-03-03 * "Nouveau" "Tout nouveau"
          piece: "D99"
          mode: "CB"
          Charges:6063-Fournitures   1.00 EUR
          Actif:512-Banque          -1.00 EUR
    ''')
    assert "Tout nouveau" in verif.get(f"{base}/api/narrations").get_data(as_text=True)


# -- paths are made canonical before any decision ------------------------------------------------
@pytest.mark.parametrize("tail", ["/{slug}//api/source?filename=x", "/{slug}//editor/", "//{slug}/editor/",
                                  "/{slug}/./editor/", "/autre/../{slug}/editor/", "/{slug}/editor/.",
                                  "/{slug}/api//source_slice?entry_hash=x"])
def test_odd_paths_do_not_bypass_the_verificateurs_block(env, tail):
    url = f"/coop/{OWN}" + tail.format(slug=env.slug(OWN))
    response = env.client("verificateur").get(url)
    assert response.status_code == 403, url
    assert "pas ouverte aux vérificateurs" in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("tail", ["/{slug}%2Feditor/", "/{slug}/editor%2f", "/{slug}%5Ceditor/",
                                  "/{slug}\\editor/", "/{slug}/editor%00/"])
def test_encoded_separators_are_refused(env, tail):
    url = f"/coop/{OWN}" + tail.format(slug=env.slug(OWN))
    response = env.client("mandataire").get(url)
    assert response.status_code == 400, url
    assert "Adresse invalide" in response.get_data(as_text=True)


def test_fava_gets_the_canonical_path(env):
    slug = env.slug(OWN)
    client = env.client("mandataire")
    response = client.get(f"/coop/{OWN}//{slug}/./api/../api/narrations")
    assert response.status_code == 200 and "Participation volontaire des familles" in response.get_json()["data"]
    # `..` is resolved before the coop is read: it cannot reach another coop's app.
    other = client.get(f"/coop/{OWN}/../{OTHER}/{env.slug(OTHER)}/journal/")
    assert other.status_code == 403 and f"accès à la coopérative {OTHER}" in html.unescape(other.get_data(as_text=True))
    # Nor climb out of /coop/.
    assert client.get(f"/coop/{OWN}/../../admin/comptes").status_code == 400


@pytest.mark.parametrize("page", ["TableauDeBord/", "Cahier/", "Cahier/?exercice=2024-2025", "Pointage/",
                                  "ArreteDeCaisse/", "FinExercice/", "FinExercice/?exercice=2024-2025",
                                  "Adhesion/", "Adhesion/?exercice=2024-2025", "Inventaire/",
                                  "Inventaire/?exercice=2024-2025", "EtatDesActions/",
                                  "EtatDesActions/?exercice=2024-2025"])
def test_our_pages_tell_the_verificateur_nothing_of_another_exercice(scoped, page):
    env, base, hashes, docs = scoped
    staff_text = env.client("ad_staff").get(f"{base}/extension/{page}").get_data(as_text=True)
    response = env.client("verificateur").get(f"{base}/extension/{page}")
    text = response.get_data(as_text=True)
    assert response.status_code in (200, 403, 404), (page, response.status_code)
    for marker in (OLD, OLD_NARRATION, "Adhésion 2024-2025", "CRF 2024-2025", "Adhésion 2026-2027"):
        assert marker not in text, (page, marker)
    if page.startswith(("Cahier/?", "Adhesion/?", "Inventaire/?", "EtatDesActions/?")):
        assert "2024-2025" in staff_text  # the page does show that year to the AD
