"""Nothing is served outside a user's rights: every role × every family of routes × own/other coop."""

from __future__ import annotations

import pytest

from tests.web.conftest import ORIGIN, OTHER, OWN

ENTRY = {"t": "Transaction", "date": "2026-06-15", "flag": "*", "payee": "Test", "narration": "Don",
         "tags": [], "links": [], "meta": {"piece": "AUTH1", "mode": "VIR"},
         "postings": [{"account": "Actif:512-Banque", "amount": "1.00 EUR"},
                      {"account": "Produits:771-Dons", "amount": "-1.00 EUR"}]}


def routes(env, uai):
    slug = env.slug(uai)
    base = f"/coop/{uai}/{slug}"
    coop_file = env.root / "ledgers" / uai / "coop.beancount"
    return {
        "page": ("GET", f"{base}/income_statement/?time=FY2026", None),
        "journal": ("GET", f"{base}/journal/", None),
        "api_read": ("GET", f"{base}/api/income_statement?time=FY2026", None),
        "source": ("GET", f"{base}/api/source?filename={coop_file}", None),
        "editor": ("GET", f"{base}/editor/", None),
        "download": ("GET", f"{base}/download-journal/", None),
        "document": ("GET", f"{base}/document/?filename={coop_file}", None),
        "extension": ("GET", f"{base}/extension/inexistante/", None),
        "write": ("PUT", f"{base}/api/add_entries", {"entries": [dict(ENTRY)]}),
    }


# Expected outcome per role and route family, on its own coop ("own") and another ("other").
ALLOWED = {
    "mandataire": {"own": {"page", "journal", "api_read", "source", "editor", "download", "document",
                           "extension", "write"}, "other": set()},
    "verificateur": {"own": {"page", "journal", "api_read", "download", "document", "extension"}, "other": set()},
    "ad_staff": {"own": None, "other": None},  # None: every family
    "ad_admin": {"own": None, "other": None},
}
ALL = {"page", "journal", "api_read", "source", "editor", "download", "document", "extension", "write"}


def expected(role, which):
    allowed = ALLOWED[role][which]
    return ALL if allowed is None else allowed


def call(client, method, url, body):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, json=body, headers=ORIGIN)


@pytest.mark.parametrize("role", ["mandataire", "verificateur", "ad_staff", "ad_admin"])
@pytest.mark.parametrize("which", ["own", "other"])
def test_matrix(env, role, which):
    client = env.client(role)
    uai = OWN if which == "own" else OTHER
    allowed = expected(role, which)
    for family, (method, url, body) in routes(env, uai).items():
        if family == "write" and body:
            body["entries"][0]["meta"] = {"piece": f"AUTH-{role}-{which}", "mode": "VIR"}
        response = call(client, method, url, body)
        if family in allowed:
            # Fava answers: 200, or its own 404/400 for a missing extension / non-document file.
            assert response.status_code not in (302, 401, 403), (role, which, family, response.status_code)
        else:
            assert response.status_code == 403, (role, which, family, response.status_code)
            text = response.get_data(as_text=True)
            assert "Accès refusé" in text or '"error"' in text
            assert "Actif:512-Banque" not in text


def test_anonymous_gets_nothing(env):
    client = env.client()
    for family, (method, url, body) in routes(env, OWN).items():
        response = call(client, method, url, body)
        if "/api/" in url or method != "GET":
            assert response.status_code == 401, family
            assert "Session expirée" in response.get_data(as_text=True)
        else:
            assert response.status_code == 302 and response.headers["Location"].startswith("/connexion?suite="), family
    # Our pages' endpoints answer scripts in JSON, and a link opened in the browser with the login.
    endpoint = f"/coop/{OWN}/{env.slug(OWN)}/extension/ArreteDeCaisse/solde?date=01/10/2025"
    response = client.get(endpoint)
    assert response.status_code == 401 and response.json == {"error": "Session expirée : reconnectez-vous."}
    response = client.get(endpoint, headers={"Sec-Fetch-Mode": "navigate"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion?suite=")
    # Fava's router loading a page's content gets a French message, not the login page inside its own.
    response = client.get(f"/coop/{OWN}/{env.slug(OWN)}/extension/Cahier/?partial=true")
    assert response.status_code == 401 and response.get_data(as_text=True) == "Session expirée : reconnectez-vous."
    for path in ("/", "/admin/comptes", "/mot-de-passe"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    # Public: the login page and the site's icon (asked for by every browser).
    assert client.get("/connexion").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"


def test_a_coop_app_cannot_read_another_coops_files(env):
    """Even its own coop's Fava app refuses the source or documents of another coop."""
    client = env.client("mandataire")
    other_file = env.root / "ledgers" / OTHER / "coop.beancount"
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    for url in (f"{base}/api/source?filename={other_file}", f"{base}/document/?filename={other_file}"):
        response = client.get(url)
        assert response.status_code != 200
        assert "0910002B" not in response.get_data(as_text=True).replace(str(other_file), "")


def test_verificateur_sees_only_the_exercice(env):
    base = f"/coop/{OWN}/{env.slug(OWN)}"
    staff = env.client("ad_staff")

    def data(client, year):
        response = client.get(f"{base}/api/income_statement?time={year}")
        assert response.status_code == 200
        return response.get_json()["data"]

    verificateur = env.client("verificateur")
    # Whatever year is asked, the vérificateur of 2025-2026 gets 2025-2026 (FY2026).
    assert data(verificateur, "FY2025") == data(staff, "FY2026") != data(staff, "FY2025")
    assert data(verificateur, "") == data(staff, "FY2026")


def test_admin_pages_are_for_admins(env):
    for role, status in (("mandataire", 403), ("verificateur", 403), ("ad_staff", 403), ("ad_admin", 200)):
        response = env.client(role).get("/admin/comptes")
        assert response.status_code == status, role
        if status == 403:
            assert "Réservé aux administrateurs" in response.get_data(as_text=True)


def test_landing_pages(env):
    response = env.client("mandataire").get("/")
    assert response.status_code == 302 and response.headers["Location"] == f"/coop/{OWN}/"
    page = env.client("ad_staff").get("/").get_data(as_text=True)
    assert all(uai in page for uai in ("0910001A", "0910002B", "0910005E"))
    assert "École maternelle Les Tilleuls" in page


def test_unknown_coop_is_a_french_404(env):
    response = env.client("ad_admin").get("/coop/0910999Z/")
    assert response.status_code == 404 and "Coopérative introuvable" in response.get_data(as_text=True)


def test_each_coop_page_loads_its_own_static_files(env):
    """Fava's url_for cache must not hand one coop's prefix to another coop's pages."""
    client = env.client("ad_staff")
    for uai in (OWN, OTHER, OWN):
        html = client.get(f"/coop/{uai}/{env.slug(uai)}/journal/").get_data(as_text=True)
        assert f'src="/coop/{uai}/static/app.js' in html
        other = OTHER if uai == OWN else OWN
        assert f"/coop/{other}/static" not in html
