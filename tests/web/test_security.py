"""Web security: CSRF, cookies, headers, lockout, sessions, passwords, French pages."""

from __future__ import annotations

import datetime
import html

import pytest
from werkzeug.test import Client

from retkoop_tools.web import accounts as accounts_module
from retkoop_tools.web.accounts import AccountError, Accounts, verify_password
from retkoop_tools.web.passwords import PasswordPolicyError, check_password_policy
from tests.web.conftest import ORIGIN, OWN, PASSWORD


def test_cookie_and_security_headers(env):
    response = Client(env.portal).post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert name in response.headers
    page = env.client("mandataire").get(f"/coop/{OWN}/{env.slug(OWN)}/journal/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_secure_cookies_behind_https(env):
    env.portal.secure_cookies = True
    response = Client(env.portal).post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


def test_csrf_on_our_forms_and_on_fava(env):
    client = env.client("ad_admin")
    # Our form without its token, or from another site: refused, in French.
    response = client.post("/admin/comptes", data={"identifiant": "x@y.fr", "role": "ad_staff"})
    assert response.status_code == 403 and "Formulaire expiré" in response.get_data(as_text=True)
    # Fava's API from another origin: refused; from our origin: accepted.
    url = f"/coop/{OWN}/{env.slug(OWN)}/api/add_entries"
    evil = client.put(url, json={"entries": []}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    cross = client.put(url, json={"entries": []}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert client.put(url, json={"entries": []}, headers=ORIGIN).status_code == 200


def test_logout_ends_the_session(env):
    client = env.client("mandataire")
    page = client.get("/mot-de-passe").get_data(as_text=True)
    token = page.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/deconnexion", data={"csrf": token})
    assert response.status_code == 302 and "info=" in response.headers["Location"]
    assert client.get(f"/coop/{OWN}/").status_code == 302  # back to the login page


def test_brute_force_is_locked_out(env):
    client = Client(env.portal)
    for _ in range(accounts_module.MAX_FAILURES):
        response = client.post("/connexion", data={"identifiant": OWN, "mot_de_passe": "mauvais mot de passe"})
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)
    response = client.post("/connexion", data={"identifiant": OWN, "mot_de_passe": PASSWORD})
    assert response.status_code == 401
    assert "Trop d'essais : ce compte est bloqué jusqu'à" in html.unescape(response.get_data(as_text=True))


def test_one_time_password_must_be_changed(tmp_path):
    accounts = Accounts(tmp_path / "comptes.sqlite")
    secret = accounts.add("0910042Z", "mandataire")
    user = accounts.authenticate("0910042Z", secret)
    assert user.must_change and user.coops == ("0910042Z",)
    with pytest.raises(PasswordPolicyError, match="UAI"):
        accounts.change_password(user, secret, "coop10042Z-2025!")
    with pytest.raises(PasswordPolicyError, match="trop courant"):
        accounts.change_password(user, secret, "motdepasse123!")
    with pytest.raises(AccountError, match="actuel n'est pas le bon"):
        accounts.change_password(user, "faux", "Une phrase de passe assez longue !")
    accounts.change_password(user, secret, "Une phrase de passe assez longue !")
    assert not accounts.authenticate("0910042Z", "Une phrase de passe assez longue !").must_change


def test_passwords_are_hashed_and_policy(tmp_path):
    accounts = Accounts(tmp_path / "comptes.sqlite")
    accounts.add("a@b.fr", "ad_staff", password=PASSWORD)
    raw = (tmp_path / "comptes.sqlite").read_bytes()
    assert PASSWORD.encode() not in raw
    import sqlite3

    stored = sqlite3.connect(tmp_path / "comptes.sqlite").execute("SELECT password FROM users").fetchone()[0]
    assert stored.startswith("scrypt$") and verify_password(PASSWORD, stored) and not verify_password("x", stored)
    for bad, reason in (("court", "10 caractères"), ("azertyuiop", "courant"), ("1234567890", "courant"),
                        ("aaaaaaaaaaaa", "trop simple")):
        with pytest.raises(PasswordPolicyError, match=reason):
            check_password_policy(bad)


def test_sessions_expire(tmp_path, monkeypatch):
    accounts = Accounts(tmp_path / "comptes.sqlite")
    accounts.add("a@b.fr", "ad_staff", password=PASSWORD)
    session = accounts.open_session(accounts.authenticate("a@b.fr", PASSWORD))
    assert accounts.session(session.token) is not None
    later = datetime.datetime.now(datetime.timezone.utc) + accounts_module.SESSION_IDLE + datetime.timedelta(minutes=1)
    monkeypatch.setattr(accounts_module, "_now", lambda: later.replace(microsecond=0))
    assert accounts.session(session.token) is None


def test_french_error_pages(env):
    page = env.client("mandataire").get("/nulle-part")
    assert page.status_code == 404 and "Page introuvable" in page.get_data(as_text=True)
    assert '<html lang="fr">' in page.get_data(as_text=True)


def test_account_admin_in_the_web_ui(env):
    client = env.client("ad_admin")
    page = client.get("/admin/comptes").get_data(as_text=True)
    token = page.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/admin/comptes", data={"csrf": token, "identifiant": "0910003C", "role": "mandataire",
                                                   "nom": "Mme Dubois"})
    assert response.status_code == 200
    assert "Mot de passe provisoire" in response.get_data(as_text=True)
    listing = client.get("/admin/comptes").get_data(as_text=True)
    assert "0910003C" in listing and "mot de passe provisoire" in listing
    assert "création du compte" in listing  # the journal says who did it
    response = client.post("/admin/comptes/0910003C/desactiver", data={"csrf": token})
    assert response.status_code == 302
    assert env.portal.accounts.get("0910003C").disabled
