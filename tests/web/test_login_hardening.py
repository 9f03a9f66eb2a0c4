"""Login hardening: the page after login, throttling, sessions after a password change, /sante,
Cache-Control, French error pages. A real portal on a copy of the demo AD (conftest)."""

from __future__ import annotations

import datetime
import html
import re
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client

from retkoop_tools.cli import main
from retkoop_tools.web import accounts as accounts_module
from tests.web.conftest import OTHER, OWN, PASSWORD, USERS

STAFF = USERS["ad_staff"][0]
NEW_PASSWORD = "Une autre phrase de passe bien longue"
WRONG = "pas le bon mot de passe"
FORM = "application/x-www-form-urlencoded"


def _login(client: Client, login: str, password: str, addr: str = "127.0.0.1", **kwargs):
    return client.post("/connexion", data={"identifiant": login, "mot_de_passe": password, "suite": "/"},
                       environ_overrides={"REMOTE_ADDR": addr}, **kwargs)


def _message(response) -> str:
    """The error shown on the login page, with the hour of a lock taken out."""
    found = re.search(r'<p class="erreur" role="alert">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)
    return re.sub(r"\d\d:\d\d", "HH:MM", html.unescape(found.group(1)))


def _csrf(client: Client, path: str = "/mot-de-passe") -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf" value="')[1].split('"')[0]


# -- 1. where the login goes next -------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "/%09/evil.example", "/%0a/evil.example",
    "%0a", "%0d%0aSet-Cookie:%20x=1", "/x%0d%0aLocation:%20//evil.example", "https://evil.example",
    "/%2F/evil.example", "%2F%2Fevil.example", "%20/evil.example", "/%20/evil.example",
    "/%E3%80%80/evil.example", "/%E2%80%8B/evil.example", "/%00/evil.example", "evil.example", "",
    "javascript:alert(1)",
])
def test_only_a_path_of_this_site_after_login(env, raw):
    """The form body is sent raw: Werkzeug decodes it once, as a browser's post would be."""
    body = f"identifiant={OWN}&mot_de_passe={PASSWORD.replace(' ', '+').replace('!', '%21')}&suite={raw}"
    response = Client(env.portal).post("/connexion", data=body, content_type=FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = Client(env.portal).get(f"/connexion?suite={raw}")
    assert page.status_code == 200 and 'name="suite" value="/"' in page.get_data(as_text=True)


@pytest.mark.parametrize("raw, expected", [
    ("/admin/comptes", "/admin/comptes"),
    (f"/coop/{OWN}/x/journal/%3Ftime%3Dfiscal_year", f"/coop/{OWN}/x/journal/?time=fiscal_year"),
    ("/%252F/evil.example", "/%2F/evil.example"),  # a literal %2F: a path segment, same site
    ("/ad/comptes-agr%C3%A9g%C3%A9s", "/ad/comptes-agr%C3%A9g%C3%A9s"),
])
def test_a_path_of_this_site_is_kept(env, raw, expected):
    body = f"identifiant={OWN}&mot_de_passe={PASSWORD.replace(' ', '+').replace('!', '%21')}&suite={raw}"
    response = Client(env.portal).post("/connexion", data=body, content_type=FORM)
    location = response.headers["Location"]
    assert response.status_code == 302 and location == expected
    assert urlsplit(location).netloc == "" and location.startswith("/") and not location.startswith("//")


# -- 2. throttling ------------------------------------------------------------------------------
def test_a_stranger_locks_only_their_own_pair(env):
    stranger, teacher = Client(env.portal), Client(env.portal)
    for _ in range(accounts_module.MAX_FAILURES):
        assert _login(stranger, OWN, WRONG, addr="203.0.113.66").status_code == 401
    refused = _login(stranger, OWN, PASSWORD, addr="203.0.113.66")
    assert refused.status_code == 401 and "Trop d'essais" in _message(refused)
    # The teacher, from the school's address, is not locked out of their own coop.
    assert _login(teacher, OWN, PASSWORD, addr="192.0.2.10").status_code == 302
    assert teacher.get("/").status_code == 302 and teacher.get(f"/coop/{OWN}/").status_code in (200, 302)
    # A new password from the AD lifts the lock of that login from every address.
    secret = env.portal.accounts.reset(OWN)
    assert _login(stranger, OWN, secret, addr="203.0.113.66").status_code == 302


def test_same_answers_for_unknown_logins_and_wrong_passwords(env, monkeypatch):
    checked = []
    real = accounts_module.verify_password
    monkeypatch.setattr(accounts_module, "verify_password",
                        lambda password, stored: checked.append(stored) or real(password, stored))
    client = Client(env.portal)
    unknown = "0919999Z"
    answers = {}
    for login in (OWN, unknown):
        first = _login(client, login, WRONG)
        assert first.status_code == 401
        for _ in range(accounts_module.MAX_FAILURES - 1):
            _login(client, login, WRONG)
        locked = _login(client, login, PASSWORD)
        answers[login] = (first.status_code, _message(first), locked.status_code, _message(locked),
                          first.get_data(as_text=True).replace(login, "LOGIN"))
    assert answers[OWN] == answers[unknown]
    assert answers[OWN][1] == "Identifiant ou mot de passe incorrect."
    assert answers[OWN][3].startswith("Trop d'essais") and "existe" not in answers[OWN][3]
    # An unknown login costs a password check too (a dummy hash), like a known one.
    assert checked.count(accounts_module._DUMMY_HASH) == accounts_module.MAX_FAILURES
    assert len(checked) == 2 * accounts_module.MAX_FAILURES


def test_one_source_spraying_many_logins_is_stopped(env, monkeypatch):
    monkeypatch.setattr(accounts_module, "SOURCE_MAX_FAILURES", 6)
    sprayer = Client(env.portal)
    for i in range(6):  # one or two tries per login: under the per-login limit
        assert _login(sprayer, f"09100{i:02d}A", WRONG, addr="198.51.100.5").status_code == 401
    refused = _login(sprayer, STAFF, PASSWORD, addr="198.51.100.5")
    assert refused.status_code == 401 and "Trop d'essais depuis cette connexion" in _message(refused)
    assert _login(Client(env.portal), STAFF, PASSWORD, addr="198.51.100.99").status_code == 302


def test_many_sources_on_one_login_only_slow_it_down(env, monkeypatch):
    monkeypatch.setattr(accounts_module, "ACCOUNT_SLOW_AFTER", 4)
    for i in range(4):  # a botnet: one try per address
        assert _login(Client(env.portal), OWN, WRONG, addr=f"203.0.113.{i}").status_code == 401
    slowed = _login(Client(env.portal), OWN, PASSWORD, addr="192.0.2.10")
    assert slowed.status_code == 401 and "patientez une minute" in _message(slowed)
    # Only a pause: once it is over, the right password works again.
    later = datetime.datetime.now(datetime.timezone.utc) + accounts_module.ACCOUNT_PAUSE + datetime.timedelta(seconds=5)
    monkeypatch.setattr(accounts_module, "_now", lambda: later.replace(microsecond=0))
    assert _login(Client(env.portal), OWN, PASSWORD, addr="192.0.2.10").status_code == 302


def test_forwarded_for_is_believed_only_behind_the_proxy(env):
    # Without --proxy, X-Forwarded-For is the client's own header: changing it does not help.
    direct = Client(env.portal)
    for i in range(accounts_module.MAX_FAILURES):
        _login(direct, OWN, WRONG, headers={"X-Forwarded-For": f"203.0.113.{i}"})
    refused = _login(direct, OWN, PASSWORD, headers={"X-Forwarded-For": "203.0.113.200"})
    assert refused.status_code == 401 and "Trop d'essais" in _message(refused)
    # With --proxy (ProxyFix, as `retkoop serve --proxy` and wsgi.py set it): one source per client.
    proxied = Client(ProxyFix(env.portal, x_for=1, x_proto=1, x_host=1))
    for _ in range(accounts_module.MAX_FAILURES):
        _login(proxied, STAFF, WRONG, addr="10.0.0.2", headers={"X-Forwarded-For": "203.0.113.66"})
    assert _login(proxied, STAFF, PASSWORD, addr="10.0.0.2",
                  headers={"X-Forwarded-For": "203.0.113.66"}).status_code == 401
    assert _login(proxied, STAFF, PASSWORD, addr="10.0.0.2",
                  headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 302


def test_source_keys():
    assert accounts_module.source_key("192.0.2.10") == "192.0.2.10"
    assert accounts_module.source_key("::ffff:192.0.2.10") == "192.0.2.10"
    assert accounts_module.source_key("2001:db8:1:2:aaaa::1") == accounts_module.source_key("2001:db8:1:2::ffff")
    assert accounts_module.source_key("2001:db8:1:2::1") != accounts_module.source_key("2001:db8:1:3::1")


# -- 3. a new password ends the other sessions ------------------------------------------------
def test_own_password_change_ends_the_other_sessions(env):
    here, elsewhere = env.client("ad_staff"), env.client("ad_staff")
    assert here.get("/").status_code == 200 and elsewhere.get("/").status_code == 200
    response = here.post("/mot-de-passe", data={"csrf": _csrf(here), "actuel": PASSWORD, "nouveau": NEW_PASSWORD,
                                                "confirmation": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get("/").status_code == 200  # the session that changed it stays
    gone = elsewhere.get("/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("how", ["reset", "disable", "cli-reset", "cli-disable"])
def test_a_password_reset_or_disable_ends_every_session(env, tmp_path, how):
    user = env.client("ad_staff")
    assert user.get("/").status_code == 200
    if how in ("reset", "disable"):
        admin = env.client("ad_admin")
        action = "reinitialiser" if how == "reset" else "desactiver"
        response = admin.post(f"/admin/comptes/{STAFF}/{action}", data={"csrf": _csrf(admin)})
        assert response.status_code in (200, 302)
    else:
        command = "reset" if how == "cli-reset" else "disable"
        result = CliRunner().invoke(main, ["user", command, STAFF, "--repo", str(env.root),
                                           "--instance", str(env.portal.instance_dir)])
        assert result.exit_code == 0, result.output
    gone = user.get("/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/connexion")


# -- 4. /sante ----------------------------------------------------------------------------------
def test_health_says_only_ok_to_others_than_admins(env):
    for client in (Client(env.portal), env.client("mandataire"), env.client("ad_staff")):
        response = client.get("/sante")
        assert response.status_code == 200 and response.get_json() == {"etat": "ok"}
    detailed = env.client("ad_admin").get("/sante").get_json()
    assert detailed["etat"] == "ok" and "pid" in detailed


# -- 5. Cache-Control ---------------------------------------------------------------------------
def test_no_store_for_logged_in_users_and_cookies(env):
    anonymous = Client(env.portal)
    response = _login(anonymous, OWN, PASSWORD)
    assert "retkoop_session=" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == "no-store"
    admin = env.client("ad_admin")
    for path in ("/", "/admin/comptes", "/mot-de-passe", "/sante", "/nulle-part", "/statique/portail.css",
                 "/ad/"):
        assert admin.get(path).headers.get("Cache-Control") == "no-store", path
    # A coop page refused by the portal is rendered by our site: no-store too.
    refused = env.client("mandataire").get(f"/coop/{OTHER}/")
    assert refused.status_code == 403 and refused.headers.get("Cache-Control") == "no-store"
    logout = admin.post("/deconnexion", data={"csrf": _csrf(admin, "/")})
    assert logout.headers["Cache-Control"] == "no-store"


def test_fava_scripts_are_kept_by_the_browser_but_never_a_coops_page(env):
    client = env.client("mandataire")
    script = client.get(f"/coop/{OWN}/static/app.js")
    assert script.status_code == 200 and script.headers["Cache-Control"] == "private, max-age=3600"
    assert client.get(f"/coop/{OWN}/static/nope.js").headers["Cache-Control"] == "no-store"
    journal = client.get(f"/coop/{OWN}/{env.slug(OWN)}/journal/")
    assert journal.status_code == 200 and journal.headers["Cache-Control"] == "no-store"
    # Without a session the script is not served at all.
    assert Client(env.portal).get(f"/coop/{OWN}/static/app.js").status_code == 302


# -- 6. French error pages ------------------------------------------------------------------------
def test_error_pages_are_in_french(env):
    env.portal.site.add_url_rule("/boum", "boum", lambda: 1 / 0)
    client = env.client("mandataire")
    cases = {
        404: client.get("/nulle-part"),
        405: client.get("/deconnexion"),
        413: client.post("/connexion", data={"identifiant": "x" * (2 * 1024 * 1024)}),
        500: client.get("/boum"),
    }
    titles = {404: "Page introuvable", 405: "Méthode non autorisée", 413: "Fichier trop gros",
              500: "Erreur du serveur"}
    for status, response in cases.items():
        text = response.get_data(as_text=True)
        assert response.status_code == status
        assert '<html lang="fr">' in text and titles[status] in html.unescape(text), status
        assert not re.search(r"\b(The|You|requested|server)\b", text.split("<main>")[1]), status
