"""Every write through Fava goes through the store: validated, atomic, committed by the user."""

from __future__ import annotations

import io
import subprocess

from tests.web.conftest import ORIGIN, OWN

ENTRY = {"t": "Transaction", "date": "2026-06-15", "flag": "*", "payee": "Famille Test", "narration": "Don",
         "tags": [], "links": [], "meta": {"piece": "W001", "mode": "VIR"},
         "postings": [{"account": "Actif:512-Banque", "amount": "12.00 EUR"},
                      {"account": "Produits:771-Dons", "amount": "-12.00 EUR"}]}


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def last_commit(root):
    return git(root, "log", "-1", "--format=%an|%ae|%s")


def test_entry_form_is_committed_by_the_user(env):
    client = env.client("mandataire")
    response = client.put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert last_commit(env.root) == f"Test mandataire|{OWN}|Saisie W001 du 15/06/2026 : Famille Test, 12,00\u00a0€\n"
    assert git(env.root, "status", "--porcelain") == ""
    assert '"Famille Test" "Don"' in (env.root / "ledgers" / OWN / "2025-2026.beancount").read_text()


def test_refused_write_changes_nothing(env):
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    before, head = path.read_bytes(), git(env.root, "rev-parse", "HEAD")
    bad = dict(ENTRY, meta={"mode": "VIR"})  # no pièce
    response = env.client("mandataire").put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries",
                                            json={"entries": [bad]}, headers=ORIGIN)
    assert response.status_code == 400
    assert "Pièce manquante" in response.get_json()["error"]
    assert path.read_bytes() == before and git(env.root, "rev-parse", "HEAD") == head
    assert git(env.root, "status", "--porcelain") == ""


def test_editor_save_and_slice_delete(env):
    client = env.client("ad_staff")
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    path = env.root / "ledgers" / OWN / "2025-2026.beancount"
    source = client.get(f"{base}/api/source?filename={path}").get_json()["data"]
    text = source["source"].replace('"Frais de tenue de compte"', '"Frais de tenue du compte"', 1)
    response = client.put(f"{base}/api/source", json={"file_path": str(path), "source": text,
                                                       "sha256sum": source["sha256sum"]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert last_commit(env.root).startswith("Test ad_staff|staff@ad91.test|Correction ")
    # The editor cannot save books that break a rule either.
    source = client.get(f"{base}/api/source?filename={path}").get_json()["data"]
    broken = source["source"].replace('mode: "PRLV"', 'mode: "CARTE"', 1)
    response = client.put(f"{base}/api/source", json={"file_path": str(path), "source": broken,
                                                       "sha256sum": source["sha256sum"]}, headers=ORIGIN)
    assert response.status_code == 400 and "Mode de paiement inconnu" in response.get_json()["error"]
    assert path.read_text() == source["source"]


def test_document_upload_and_delete_are_committed(env):
    client = env.client("mandataire")
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    data = {"file": (io.BytesIO(b"%PDF-1.4 facture"), "2026-03-02 facture.pdf"),
            "folder": "documents", "account": "Charges:6247-Transports"}
    response = client.put(f"{base}/api/add_document", data=data, headers=ORIGIN, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    # Stored under the name the system gives it (date, plain slug, extension of its real type).
    uploaded = env.root / "ledgers" / OWN / "documents" / "Charges" / "6247-Transports" / "2026-03-02.facture.pdf"
    assert uploaded.read_bytes() == b"%PDF-1.4 facture"
    assert "Ajout du document documents/Charges/6247-Transports/2026-03-02.facture.pdf" in last_commit(env.root)
    assert git(env.root, "status", "--porcelain") == ""
    response = client.delete(f"{base}/api/document?filename={uploaded}", headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not uploaded.exists()
    assert "Suppression du document" in last_commit(env.root)
    assert git(env.root, "status", "--porcelain") == ""


def test_a_save_loads_the_books_once_for_the_rules_fava_s_load_serves_as_the_check_before(env, monkeypatch):
    import retkoop_tools.store.store as store_module
    from retkoop_tools.checks.runner import check_coop

    client = env.client("mandataire")
    slug = env.slug(OWN)  # the coop's Fava app is loaded: its load is also the rules' result
    cache = env.portal.store.cache
    stored = cache.get(cache.key(OWN))
    assert stored is not None
    assert stored == check_coop(env.root, OWN).as_dict() | {"seconds": stored["seconds"]}
    import retkoop_tools.ledger.standalone as standalone

    checked, loads = [], []
    monkeypatch.setattr(store_module, "check_coop",
                        lambda root, uai, **kw: checked.append(kw.get("texts")) or check_coop(root, uai, **kw))
    finish = standalone._finish
    monkeypatch.setattr(standalone, "_finish", lambda *a, **kw: loads.append(1) or finish(*a, **kw))
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(checked) == 1 and checked[0]  # only the books as they would be after (their texts)
    # One Beancount load for the whole save: the rules' load is the one Fava shows next.
    assert len(loads) == 1
    assert "Famille Test" in client.get(f"/coop/{OWN}/{slug}/api/journal_page?page=1&order=desc").get_data(as_text=True)
    assert len(loads) == 1
    # A refused write still names only the error it adds.
    bad = dict(ENTRY, meta={"mode": "VIR"})
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [bad]}, headers=ORIGIN)
    assert response.status_code == 400 and response.get_json()["error"].count("Pièce manquante") == 1


def test_the_portal_s_other_processes_read_the_load_of_a_save_instead_of_loading_again(env, monkeypatch):
    """A second portal on the same repository and instance stands for another worker process:
    after a save, it shows the books without a Beancount load of its own."""
    from werkzeug.test import Client

    import retkoop_tools.ledger.standalone as standalone
    from retkoop_tools.web.portal import Portal
    from tests.web.conftest import PASSWORD, USERS

    other = Portal(env.root, env.portal.instance_dir, lru_size=3, backup=False)
    reader = Client(other)
    assert reader.post("/connexion", data={"identifiant": USERS["mandataire"][0], "mot_de_passe": PASSWORD,
                                            "suite": "/"}).status_code == 302
    slug = env.slug(OWN)
    assert reader.get(f"/coop/{OWN}/{slug}/api/journal_page?page=1&order=desc").status_code == 200
    client = env.client("mandataire")
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    standalone.forget()  # nothing in this process's memory: only what the writer kept on disk
    loads = []
    finish = standalone._finish
    monkeypatch.setattr(standalone, "_finish", lambda *a, **kw: loads.append(1) or finish(*a, **kw))
    page = reader.get(f"/coop/{OWN}/{slug}/api/journal_page?page=1&order=desc").get_data(as_text=True)
    assert "Famille Test" in page  # the other process shows the save…
    assert loads == []  # … without loading the books again
    assert list((env.portal.instance_dir / "chargements").glob("*.pickle"))


def test_a_closed_exercice_is_shown_by_the_coop_s_history_loaded_on_demand(env):
    """The coop's app holds its open exercices after the closed ones' à-nouveaux; a view of a
    closed exercice (Fava's time filter) comes from every exercice, read-only."""
    client = env.client("mandataire")
    slug = env.slug(OWN)
    # The demo's snapshot has no cloture-*.json: its first load is a full one (and computes the
    # state); from the next one on (here, after a save), the open exercice is loaded alone.
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries?time=FY2025", json={"entries": [ENTRY]},
                          headers=ORIGIN)
    assert response.status_code == 200  # a write always goes to the coop's own app, through the store
    assert "Famille Test" in (env.root / "ledgers" / OWN / "2025-2026.beancount").read_text()
    app = env.portal.pool.get(OWN)
    assert env.portal.pool.open_from(app) is not None
    own = client.get(f"/coop/{OWN}/{slug}/api/journal_page?page=1&order=desc").get_data(as_text=True)
    assert "Famille Test" in own and "2024-10-03" not in own
    page = client.get(f"/coop/{OWN}/{slug}/api/journal_page?time=FY2025&page=1&order=asc").get_data(as_text=True)
    assert "2024-10-03" in page  # operations of the closed 2024-2025 (not carried: paid in October)
    assert f"{OWN}@historique" in env.portal.pool._apps


def test_a_save_through_fava_runs_git_once_and_an_upload_leaves_nothing_aside(env, monkeypatch):
    import retkoop_tools.store.objects as objects_module
    import retkoop_tools.store.store as store_module

    client = env.client("mandataire")
    slug = env.slug(OWN)
    objects_module.usable(env.portal.store.root, env.portal.store.git_dir)  # once per process (git config)
    calls = []
    real, real_started = store_module.git, store_module.git_started
    for module in (store_module, objects_module):
        monkeypatch.setattr(module, "git", lambda cwd, *args, **kw: calls.append(args[0]) or real(cwd, *args, **kw))
        monkeypatch.setattr(module, "git_started",
                            lambda cwd, *args, **kw: calls.append(args[0]) or real_started(cwd, *args, **kw))
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    # The index and the branch: the store writes the commit's objects; the seal the portal's
    # start-up left says there is nothing to put aside (no `git status`).
    assert calls == ["update-index", "update-ref"]
    assert last_commit(env.root) == f"Test mandataire|{OWN}|Saisie W001 du 15/06/2026 : Famille Test, 12,00\u00a0€\n"
    assert "Coopérative: " + OWN in git(env.root, "log", "-1", "--format=%b")
    assert git(env.root, "log", "-1", "--format=%cn|%ce") == "retkoop|retkoop@localhost\n"
    assert git(env.root, "show", "--name-only", "--format=", "HEAD").split() == [f"ledgers/{OWN}/2025-2026.beancount"]
    calls.clear()
    second = dict(ENTRY, meta={**ENTRY["meta"], "piece": "W002"})
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [second]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert calls == ["update-index", "update-ref"]  # the seal left by the first
    # An upload Fava stored under the uploader's name is committed under the system's, and
    # Fava's own copy is removed by the put back (not set aside as an interrupted write's).
    data = {"file": (io.BytesIO(b"%PDF-1.4 facture"), "2026-03-02 facture.pdf"),
            "folder": "documents", "account": "Charges:6247-Transports"}
    response = client.put(f"/coop/{OWN}/{slug}/api/add_document", data=data, headers=ORIGIN,
                          content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert git(env.root, "status", "--porcelain") == ""
    assert not (env.portal.store.git_dir / "retkoop-recovered").exists()


def test_what_fava_left_that_was_not_put_back_is_set_aside_not_committed(env, monkeypatch):
    from retkoop_tools.web.capture import Snapshot

    coop = env.root / "ledgers" / OWN
    restore = Snapshot.restore

    def incomplete(self, changed):
        restore(self, changed)
        (coop / "documents" / "reste.pdf").write_bytes(b"%PDF-1.4 reste")  # as if left behind

    monkeypatch.setattr(Snapshot, "restore", incomplete)
    client = env.client("mandataire")
    response = client.put(f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert git(env.root, "show", "--name-only", "--format=", "HEAD").split() == [f"ledgers/{OWN}/2025-2026.beancount"]
    assert not (coop / "documents" / "reste.pdf").exists()
    recovered = list((env.portal.store.git_dir / "retkoop-recovered").iterdir())
    assert len(recovered) == 1 and (recovered[0] / "untracked" / "reste.pdf").exists()
    assert git(env.root, "status", "--porcelain") == ""


def test_a_portal_alone_shares_no_load_and_shares_them_once_another_process_reads(env):
    import subprocess

    from retkoop_tools.ledger.standalone import MEMBERS_DIRNAME

    shared = env.portal.instance_dir / "chargements"
    client = env.client("mandataire")
    slug = env.slug(OWN)
    response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [ENTRY]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not list(shared.glob("*.pickle"))  # nobody else would read it
    dead = subprocess.Popen(["true"])
    dead.wait()
    (shared / MEMBERS_DIRNAME / str(dead.pid)).touch()  # a process of the portal that ended
    other = subprocess.Popen(["sleep", "60"])  # stands for another live process of the portal
    try:
        (shared / MEMBERS_DIRNAME / str(other.pid)).touch()
        second = dict(ENTRY, meta={"piece": "W002", "mode": "VIR"})
        response = client.put(f"/coop/{OWN}/{slug}/api/add_entries", json={"entries": [second]}, headers=ORIGIN)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert list(shared.glob("*.pickle"))  # on disk once the save is answered
        assert not (shared / MEMBERS_DIRNAME / str(dead.pid)).exists()
    finally:
        other.kill()
        other.wait()


def test_saves_through_fava_s_api_give_the_books_of_a_whole_parse(env):
    """Edits after edits through Fava's API — the entry form at the end, the editor in the
    middle (a narration, an operation inserted, one removed), a slice — each parsed again from
    its first changed line (ledger/parsed.py) and loaded on the closed exercices' state: after
    each save, the books the portal shows are those of Beancount's whole parse of every file."""
    from beancount.parser import parser
    from fava.beans.funcs import hash_entry

    from retkoop_tools.ledger import anouveaux, parsed, standalone
    from retkoop_tools.web.fava_guard import ledger_of

    client = env.client("ad_staff")
    slug = env.slug(OWN)
    base = f"/coop/{OWN}/{slug}"
    coop_dir = env.root / "ledgers" / OWN
    path = coop_dir / "2025-2026.beancount"
    pieces = []

    def whole_books(full: bool) -> list:
        """The coop's books loaded from Beancount's whole parse of each file (the pieces and
        the remembered loads put aside, then given back to the portal)."""
        kept = (parsed._parsed.copy(), parsed._latest.copy())
        parsed._parsed.clear()
        parsed._latest.clear()
        standalone.forget()
        try:
            return standalone.load_books(coop_dir, OWN, full=full).entries
        finally:
            parsed._parsed.update(kept[0])
            parsed._latest.update(kept[1])

    def check() -> None:
        text = path.read_bytes()
        ours = parsed.parse_text(text, str(path))
        theirs = parser.parse_string(text, report_filename=str(path))
        assert ours[0] == theirs[0] and ours[1] == theirs[1] == []
        pieces.append(len(parsed._latest[str(path)].pieces))
        shown = ledger_of(env.portal.pool.get(OWN))
        full = anouveaux.OPEN_FROM_KEY not in shown.options  # the app shows the closed exercices too
        assert shown.all_entries == whole_books(full)

    def edit(change) -> None:
        source = client.get(f"{base}/api/source?filename={path}").get_json()["data"]
        response = client.put(f"{base}/api/source", json={"file_path": str(path), "source": change(source["source"]),
                                                           "sha256sum": source["sha256sum"]}, headers=ORIGIN)
        assert response.status_code == 200, response.get_data(as_text=True)
        check()

    def added(piece: str, day: str) -> dict:
        return dict(ENTRY, date=f"2026-{day}", meta={"piece": piece, "mode": "VIR"})

    def inserted(text: str, piece: str) -> str:
        at = text.index("\n2026-01-")  # an operation in the middle of the year
        return (text[:at] + f'\n2026-01-02 * "Famille Milieu" "Don {piece}"\n  piece: "{piece}"\n  mode: "VIR"\n'
                "  Actif:512-Banque  7.00 EUR\n  Produits:771-Dons  -7.00 EUR\n" + text[at:])

    check()
    for n in range(3):
        response = client.put(f"{base}/api/add_entries", json={"entries": [added(f"WA{n}", f"06-1{n}")]},
                              headers=ORIGIN)
        assert response.status_code == 200, response.get_data(as_text=True)
        check()
        edit(lambda text: inserted(text, f"WM{n}"))
    edit(lambda text: text.replace('"Frais de tenue de compte"', '"Frais de tenue du compte"', 1))
    edit(lambda text: text.replace('\n2026-01-02 * "Famille Milieu" "Don WM1"\n  piece: "WM1"\n  mode: "VIR"\n'
                                   "  Actif:512-Banque  7.00 EUR\n  Produits:771-Dons  -7.00 EUR\n", "\n", 1))
    entry = next(e for e in ledger_of(env.portal.pool.get(OWN)).all_entries
                 if getattr(e, "narration", "") == "Don WM2")
    found = client.get(f"{base}/api/source_slice?entry_hash={hash_entry(entry)}").get_json()["data"]
    response = client.put(f"{base}/api/source_slice", json={
        "entry_hash": hash_entry(entry), "source": found["slice"].replace("7.00 EUR", "8.00 EUR"),
        "sha256sum": found["sha256sum"]}, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    check()
    text = path.read_text()
    assert "Don WM0" in text and "Don WM1" not in text and "8.00 EUR" in text and "WA2" in text
    assert max(pieces) > 1  # the saves were parsed in pieces
