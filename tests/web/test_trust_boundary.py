"""The trust boundary: a logged-in mandataire writes entries through Fava, never code, paths
or markup. Each test is one attack tried against a demo portal, replayed through the real
application (real Fava apps, real git)."""

from __future__ import annotations

import io
import subprocess
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from tests.web.conftest import ORIGIN, OTHER, OWN

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


class Editor:
    """Fava's editor as the attacker uses it: read a file's source, save a new one."""

    def __init__(self, env, role="mandataire", uai=OWN):
        self.env, self.uai = env, uai
        self.client = env.client(role)
        self.base = f"/coop/{uai}/{env.slug(uai)}"

    def path(self, name):
        return self.env.root / "ledgers" / self.uai / name

    def save(self, name, change):
        path = self.path(name)
        source = self.client.get(f"{self.base}/api/source?filename={path}").get_json()["data"]
        return self.client.put(f"{self.base}/api/source", headers=ORIGIN, json={
            "file_path": str(path), "source": change(source["source"]), "sha256sum": source["sha256sum"]})


def unchanged(env):
    """A snapshot of the repository: HEAD and a clean tree."""
    return git(env.root, "rev-parse", "HEAD"), git(env.root, "status", "--porcelain")


def add_before_marker(text, lines):
    at = text.rindex('custom "fava-option" "insert-entry"')
    at = text.rindex("\n", 0, at) + 1
    return text[:at] + lines + "\n\n" + text[at:]


@pytest.mark.parametrize("line", [
    '2025-10-01 document Actif:512-Banque "{other}"',
    '2025-10-01 document Actif:512-Banque "../0910002B/2025-2026.beancount"',
    '2025-10-01 document Actif:512-Banque "documents/../../0910002B/2025-2026.beancount"',
])
def test_a_document_line_cannot_name_another_coops_file(env, line):
    other = env.root / "ledgers" / OTHER / "2025-2026.beancount"
    before = unchanged(env)
    response = Editor(env).save("2025-2026.beancount", lambda t: add_before_marker(t, line.format(other=other)))
    assert response.status_code == 400
    assert "documents/" in response.get_json()["error"]
    assert unchanged(env) == before
    # Nor can Fava be asked to serve or delete it directly.
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    served = client.get(f"{base}/document/?filename={other}")
    assert served.status_code == 404 and b"2025-2026" not in served.get_data()
    db = env.portal.instance_dir / "comptes.sqlite"
    assert client.get(f"{base}/document/?filename={db}").status_code == 404
    deleted = client.delete(f"{base}/api/document?filename={other}", headers=ORIGIN)
    assert deleted.status_code == 403 and other.exists()


def test_a_document_already_in_the_books_outside_the_folder_is_neither_served_nor_deleted(env):
    """Even if a document line got in by git, the portal serves only the coop's own documents."""
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    other = env.root / "ledgers" / OTHER / "2025-2026.beancount"
    client, base = env.client("ad_admin"), f"/coop/{OWN}/{env.slug(OWN)}"
    path.write_text(add_before_marker(path.read_text(), f'2025-10-01 document Actif:512-Banque "{other}"'))
    git(env.root, "commit", "-q", "--no-verify", "-am", "document line pushed by git")
    page = client.get(f"{base}/journal/")
    assert page.status_code == 409 and "documents/" in page.get_data(as_text=True)
    assert client.get(f"{base}/document/?filename={other}").status_code in (404, 409)
    client.delete(f"{base}/api/document?filename={other}", headers=ORIGIN)
    assert other.exists()


@pytest.mark.parametrize("name,what", [
    ("coop.beancount", lambda t: t.replace('plugin "retkoop_plugins.tresorerie"\n', "")),
    ("coop.beancount", lambda t: t + '\n2024-09-01 custom "fava-option" "import-config" "documents/x.py"\n'),
    ("coop.beancount", lambda t: t + '\noption "insert_pythonpath" "TRUE"\nplugin "evil"\n'),
    ("comptes.beancount", lambda t: t + "\n2025-09-01 open Actif:999-Cache EUR\n"),
])
def test_system_files_are_not_written_from_the_web(env, name, what):
    before = unchanged(env)
    text_before = (env.root / "ledgers" / OWN / name).read_text()
    response = Editor(env).save(name, what)
    assert response.status_code == 400
    assert "fichier système" in response.get_json()["error"]
    assert unchanged(env) == before
    assert (env.root / "ledgers" / OWN / name).read_text() == text_before


@pytest.mark.parametrize("line,expected", [
    ('include "../0910002B/2025-2026.beancount"', "include"),
    ('plugin "evil"', "plugin"),
    ('option "insert_pythonpath" "TRUE"', "insert_pythonpath"),
    ('2025-09-01 custom "fava-option" "import-config" "documents/x.py"', "fava-option"),
    ('2025-09-01 custom "fava\\-extension" "evil"', "fava-extension"),
    ('2025-09-01 open Actif:999-Cache EUR', "open"),
    ('2025-09-01 open Actif:A\rinclude "../0910002B/2025-2026.beancount"', "code 13"),
    ('  include "../0910002B/2025-2026.beancount"', "include"),
    ('pushtag #x', "pushtag"),
])
def test_exercice_files_hold_entries_only(env, line, expected):
    before = unchanged(env)
    response = Editor(env).save("2025-2026.beancount", lambda t: add_before_marker(t, line))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert expected in response.get_json()["error"]
    assert unchanged(env) == before


def test_the_seal_of_a_closed_exercice_cannot_be_removed_from_the_web(env):
    before = unchanged(env)

    def reopen(text):
        lines = [ln for ln in text.splitlines(keepends=True) if 'custom "cloture"' not in ln]
        return "".join(lines).replace("Frais de tenue de compte", "Frais changés", 1)

    response = Editor(env, "ad_staff").save("2024-2025.beancount", reopen)
    assert response.status_code == 400
    assert "seule l'AD" in response.get_json()["error"]
    assert unchanged(env) == before


@pytest.mark.parametrize("payee,narration", [
    ('<iframe srcdoc="<script>alert(1)</script>">', "Don"),
    ("Famille Test", '<img src=x onerror="alert(1)">'),
])
def test_markup_in_a_libelle_is_refused_on_every_write_path(env, payee, narration):
    before = unchanged(env)
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    entry = {"t": "Transaction", "date": "2026-06-15", "flag": "*", "payee": payee, "narration": narration,
             "tags": [], "links": [], "meta": {"piece": "W001", "mode": "VIR"},
             "postings": [{"account": "Actif:512-Banque", "amount": "12.00 EUR"},
                          {"account": "Produits:771-Dons", "amount": "-12.00 EUR"}]}
    response = client.put(f"{base}/api/add_entries", json={"entries": [entry]}, headers=ORIGIN)
    assert response.status_code == 400 and "« < »" in response.get_json()["error"]
    response = Editor(env).save("2025-2026.beancount", lambda t: t.replace(
        '"Frais de tenue de compte"', f'"Frais {(payee + narration).replace(chr(34), "")}"', 1))
    assert response.status_code == 400
    assert unchanged(env) == before


def test_a_nul_byte_in_a_libelle_is_refused(env):
    before = unchanged(env)
    response = Editor(env).save("2025-2026.beancount",
                                lambda t: t.replace('"Frais de tenue de compte"', '"Frais\x00 de tenue"', 1))
    assert response.status_code == 400 and "caractère de contrôle" in response.get_json()["error"]
    assert unchanged(env) == before


@pytest.mark.parametrize("name,content", [
    ("2025-10-01 x.py", b"import os\nos.system('id')\n"),
    ("2025-10-01 z.js", b"fetch('/admin/comptes')"),
    ("2025-10-01 page.html", b"<script>alert(1)</script>"),
    ("2025-10-01 image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("2025-10-01 faux.pdf", b"<script>alert(1)</script>"),
])
def test_uploads_are_pdf_jpeg_or_png_by_their_content(env, name, content):
    before = unchanged(env)
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    response = client.put(f"{base}/api/add_document", headers=ORIGIN, data={
        "folder": "documents", "account": "Actif:512-Banque", "file": (io.BytesIO(content), name)})
    assert response.status_code == 400
    assert "PDF" in response.get_json()["error"]
    assert unchanged(env) == before
    assert not list((env.root / "ledgers" / OWN / "documents").rglob("*2025-10-01*"))


def test_an_uploaded_pdf_gets_a_system_name_and_is_served_as_a_sandboxed_download(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    response = client.put(f"{base}/api/add_document", headers=ORIGIN, data={
        "folder": "documents", "account": "Actif:512-Banque",
        "file": (io.BytesIO(PDF), "2025-10-01 Facture Dupont & Fils.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = env.root / "ledgers" / OWN / "documents" / "Actif" / "512-Banque" / "2025-10-01.facture-dupont-fils.pdf"
    assert stored.read_bytes() == PDF
    assert git(env.root, "status", "--porcelain") == ""
    served = client.get(f"{base}/document/?filename={stored}")
    assert served.status_code == 200 and served.get_data() == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "no-store"


def test_jump_only_goes_back_to_a_page_of_the_coop(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    for referer in (None, "https://evil.example/phish", f"http://localhost/coop/{OTHER}/x/"):
        headers = {"Referer": referer} if referer else {}
        response = client.get(f"/coop/{OWN}/jump?time=2025", headers=headers)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/coop/{OWN}/"), response.headers["Location"]
    response = client.get(f"/coop/{OWN}/jump?time=2025", headers={"Referer": f"http://localhost{base}/journal/"})
    assert response.status_code == 302 and f"{base}/journal/?time=2025" in unquote(response.headers["Location"])


def test_errors_inside_a_coop_are_in_french_and_never_cached(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    page = client.get(f"{base}/nothing-here/")
    assert page.status_code == 404 and "introuvable" in page.get_data(as_text=True)
    assert "Not Found" not in page.get_data(as_text=True)
    answer = client.get(f"{base}/api/context?entry_hash=nope")
    assert answer.status_code >= 400 and "rechargez" in answer.get_json()["error"]
    assert client.get(f"{base}/income_statement/").headers["Cache-Control"] == "no-store"


def test_fava_import_config_is_always_ours(env):
    """A ledger never chooses the Python file Fava runs for its import page."""
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    assert client.get(f"{base}/import/").status_code == 200
    ledger = env.portal.pool.get(OWN).config["LEDGERS"].ledgers[0]
    assert ledger.fava_options.import_config.endswith("retkoop_tools/banque/fava_config.py")


def test_commit_messages_say_what_changed_for_notes_and_documents(env):
    editor = Editor(env, "ad_staff")
    response = editor.save("2025-2026.beancount", lambda t: add_before_marker(
        t, '2025-10-03 note Actif:512-Banque "Appel de la banque au sujet du chèque 1234"'))
    assert response.status_code == 200, response.get_data(as_text=True)
    subject = git(env.root, "log", "-1", "--format=%s")
    assert subject.startswith("Note ajoutée : Actif:512-Banque du 03/10/2025 : Appel de la banque"), subject
    assert "Mise en forme" not in subject


def test_history_names_option_and_plugin_changes(tmp_path):
    from retkoop_tools.history.diff import diff_entries, parse_entries

    old = 'option "title" "A"\nplugin "retkoop_plugins.exercice"\n'
    new = 'option "title" "B"\n'
    described = [c.description for c in diff_entries(parse_entries(old, "coop.beancount"),
                                                      parse_entries(new, "coop.beancount"))]
    assert 'Déclaration ajoutée : « option "title" "B" »' in described
    assert 'Déclaration retirée : « plugin "retkoop_plugins.exercice" »' in described


def test_an_upload_too_big_is_refused_in_french(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    big = PDF + b"0" * (21 * 1024 * 1024)
    response = client.put(f"{base}/api/add_document", headers=ORIGIN, data={
        "folder": "documents", "account": "Actif:512-Banque", "file": (io.BytesIO(big), "2025-10-01.gros.pdf")})
    assert response.status_code == 413
    assert "trop gros" in response.get_json()["error"]


def test_the_editor_reaches_only_this_coops_files(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    other = env.root / "ledgers" / OTHER / "2025-2026.beancount"
    read = client.get(f"{base}/api/source?filename={other}")
    assert read.status_code >= 400 and "Participation" not in read.get_data(as_text=True)
    before = unchanged(env)
    text_before = other.read_text()
    wrote = client.put(f"{base}/api/source", headers=ORIGIN, json={
        "file_path": str(other), "source": "; vide\n", "sha256sum": "0" * 64})
    assert wrote.status_code >= 400
    assert other.read_text() == text_before and unchanged(env) == before
    moved = client.put(f"{base}/api/move", headers=ORIGIN, json={
        "account": "Actif:512-Banque", "new_name": "2025-10-01.vol.pdf", "filename": str(other)})
    assert moved.status_code == 403 and other.exists()


def test_an_import_config_in_the_editor_never_runs_even_during_fava_s_reload(env, tmp_path):
    """Fava reloads the books inside the save, before the portal's policy: the folder is
    verified before that load, and only our import configuration may ever run."""
    marker = tmp_path / "pwned.txt"
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    from retkoop_tools.banque.importers import imports_dir

    script = imports_dir(env.root, OWN) / "evil.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\nCONFIG = []\n")
    before = unchanged(env)
    for line in (f'2025-09-01 custom "fava-option" "import-config" "{script}"',
                 f'2025-09-01 custom "fava\\-option" "import-config" "{script}"'):
        response = Editor(env).save("2025-2026.beancount", lambda t, line=line: add_before_marker(t, line))
        assert response.status_code == 400
        assert not marker.exists(), "the import config ran"
        assert unchanged(env) == before
    # The coop still works afterwards: Fava reloaded the restored files.
    assert client.get(f"{base}/income_statement/").status_code == 200


def test_import_uploads_are_bank_statements_and_the_answer_names_no_path(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    refused = client.put(f"{base}/api/upload_import_file", headers=ORIGIN,
                         data={"file": (io.BytesIO(b"import os\n"), "evil.py")})
    assert refused.status_code == 400 and "relevé bancaire" in refused.get_json()["error"]
    ok = client.put(f"{base}/api/upload_import_file", headers=ORIGIN,
                    data={"file": (io.BytesIO(b"Date;Libelle;Montant\n"), "releve.csv")})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert str(env.root) not in ok.get_data(as_text=True)


def test_reserved_metadata_cannot_place_an_entry_in_a_closed_exercice(env):
    """`filename:` in a file would move an entry out of its file for the rules and the seal."""
    before = unchanged(env)
    entry = ('2025-03-15 * "Librairie" "Livres"\n  filename: "<retkoop>"\n  piece: "D999"\n  mode: "VIR"\n'
             '  Actif:512-Banque  -50.00 EUR\n  Charges:6063-Fournitures-activites  50.00 EUR')
    response = Editor(env).save("2025-2026.beancount", lambda t: add_before_marker(t, entry))
    assert response.status_code == 400 and "réservée" in response.get_json()["error"]
    assert unchanged(env) == before


def test_a_bookmarked_page_with_an_accented_slug_comes_back_after_login(env):
    from tests.web.conftest import PASSWORD

    client = env.client()
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    first = client.get(f"{quote(base)}/income_statement/")
    assert first.status_code == 302
    suite = parse_qs(urlsplit(first.headers["Location"]).query)["suite"][0]
    assert suite == f"{base}/income_statement/"
    login = client.post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD, "suite": suite})
    assert login.status_code == 302
    assert client.get(login.headers["Location"]).status_code == 200


def test_the_editor_refuses_server_files_with_a_french_403(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    response = client.get(f"{base}/api/source?filename=/etc/passwd")
    assert response.status_code == 403 and "root:" not in response.get_data(as_text=True)
    assert "éditeur" in response.get_json()["error"]


def test_an_editor_conflict_is_told_in_french_without_server_paths(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    source = client.get(f"{base}/api/source?filename={path}").get_json()["data"]["source"]
    response = client.put(f"{base}/api/source", headers=ORIGIN, json={
        "file_path": str(path), "source": source + "\n", "sha256sum": "0" * 64})
    assert response.status_code >= 400
    message = response.get_json()["error"]
    assert "rechargez la page" in message and str(env.root) not in message


@pytest.mark.parametrize("query", [
    'CREATE TABLE t USING "csv:/dev/zero"',
    'SELECT 1; CREATE TABLE t USING "csv:/etc/passwd"',
    "run secret",
    ".help",
])
def test_only_reading_queries_are_run(env, query):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    response = client.get(f"{base}/api/query?query_string={quote(query)}")
    assert response.status_code == 400 and "lecture" in response.get_json()["error"]
    download = client.get(f"{base}/download-query/query_result.csv?query_string={quote(query)}")
    assert download.status_code == 400
    reading = quote('SELECT date, narration WHERE narration ~ "create; x"')
    fine = client.get(f"{base}/api/query?query_string={reading}")
    assert fine.status_code == 200, fine.get_data(as_text=True)


def test_an_upload_never_replaces_a_document_nor_touches_a_closed_exercice(env):
    client, base = env.client("mandataire"), f"/coop/{OWN}/{env.slug(OWN)}"
    folder = env.root / "ledgers" / OWN / "documents" / "Actif" / "512-Banque"

    def upload(name, content):
        return client.put(f"{base}/api/add_document", headers=ORIGIN, data={
            "folder": "documents", "account": "Actif:512-Banque", "file": (io.BytesIO(content), name)})

    assert upload("2025-10-01.facture.pdf", PDF).status_code == 200
    other = PDF + b"% autre\n"
    assert upload("2025-10-01.FACTURE.pdf", other).status_code == 200  # a second name, not a replacement
    assert (folder / "2025-10-01.facture.pdf").read_bytes() == PDF
    assert (folder / "2025-10-01.facture-2.pdf").read_bytes() == other
    before = unchanged(env)
    closed = upload("2024-10-01.facture.pdf", PDF)  # 2024-2025 is closed and sealed
    assert closed.status_code == 400 and "clos" in closed.get_json()["error"]
    assert unchanged(env) == before


def test_markup_in_the_quitus_names_is_refused(env):
    """Declarations kept as YAML (vérificateurs of the quitus, CRA answers) hold no markup."""
    from retkoop_tools.policy.writes import PolicyError, Scope, check_changes

    coop_dir = env.root / "ledgers" / OWN
    record = "statut: brouillon\nverificateurs:\n- nom: <img src=x onerror=alert(1)>\n  qualite: parent\n"
    with pytest.raises(PolicyError) as info:
        check_changes(coop_dir, {"crf-2025-2026.yaml": record}, Scope.RECORDS)
    assert "« < »" in str(info.value)
    check_changes(coop_dir, {"crf-2025-2026.yaml": record.replace("<img src=x onerror=alert(1)>", "Mme Dupont")},
                  Scope.RECORDS)


def test_a_note_on_several_lines_adds_no_line_to_the_commit_message(env):
    response = Editor(env, "ad_staff").save("2025-2026.beancount", lambda t: add_before_marker(
        t, '2025-10-03 note Actif:512-Banque "Appel\nCoopérative: 0910002B"'))
    assert response.status_code == 200, response.get_data(as_text=True)
    message = git(env.root, "log", "-1", "--format=%B")
    trailers = [line for line in message.splitlines() if line.startswith("Coopérative:")]
    assert trailers == [f"Coopérative: {OWN}"] and message.splitlines()[0].endswith("Appel Coopérative: 0910002B")
