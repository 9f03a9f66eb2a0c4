"""Our own pages: login, logout, password change, the AD's list of coops, accounts admin."""

from __future__ import annotations

import functools
import os
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import (
    Flask,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import HTTPException

from retkoop_tools.contacts import contacts_html, contacts_of
from retkoop_tools.documents.mandataires import record_mandataire
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.layout import LayoutError, read_identity
from retkoop_tools.store.store import Author, StoreError
from retkoop_tools.web.accounts import ROLES, AccountError, Session
from retkoop_tools.web.passwords import PasswordPolicyError
from retkoop_tools.web.security import (
    COOKIE_NAME,
    NO_STORE,
    cookie_header,
    form_csrf_ok,
    same_origin,
)

if TYPE_CHECKING:
    from retkoop_tools.web.portal import Portal

_ERROR_TITLES = {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable",
                 405: "Méthode non autorisée", 413: "Fichier trop gros", 500: "Erreur du serveur"}


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never another host) to go to after login, else `/`.

    Browsers drop tabs and newlines from URLs and read a backslash as `/`: `/`, tab,
    `/evil.example` is `//evil.example`. So: one leading `/`, no backslash, no control, space
    or invisible character anywhere (form values arrive already percent-decoded).
    """
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(unicodedata.category(c)[0] in "CZ" for c in target)):
        return "/"
    return target


class CoopDirectory:
    """Names of the AD's coops, read from their coop.beancount, refreshed on change."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self._cache: dict[str, tuple[int, dict[str, str]]] = {}

    def rows(self) -> list[dict[str, str]]:
        rows = []
        for uai in self.portal.ad.uais():
            path = self.portal.ad.coop_file(uai)
            mtime = path.stat().st_mtime_ns
            cached = self._cache.get(uai)
            if cached is None or cached[0] != mtime:
                try:
                    identity = read_identity(path.parent)
                    row = {"uai": uai, "nom": identity.nom, "commune": identity.commune}
                except LayoutError:
                    row = {"uai": uai, "nom": "?", "commune": ""}
                cached = self._cache[uai] = (mtime, row)
            rows.append(cached[1])
        return rows


def create_site(portal: Portal) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")),
                static_folder=str(Path(__file__).with_name("static")), static_url_path="/statique")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    directory = CoopDirectory(portal)
    app.jinja_env.filters["eur"] = lambda value: "" if value is None else fmt_eur(value)
    from retkoop_tools.web.console import create_console

    app.register_blueprint(create_console(portal))
    from retkoop_tools.web.demandes import create_demandes

    app.register_blueprint(create_demandes(portal))

    @app.before_request
    def load_session() -> Any:
        g.session = portal.session_of(request.environ)
        if request.method == "POST" and request.endpoint not in ("login",):
            if g.session is None or not form_csrf_ok(request.environ, g.session.csrf, request.form.get("csrf")):
                abort(403, "Formulaire expiré ou venu d'ailleurs : rechargez la page et recommencez.")
        if request.method == "POST" and request.endpoint == "login" and request.headers.get("Origin"):
            if not same_origin(request.environ):
                abort(403, "Formulaire venu d'un autre site.")
        return None

    @app.after_request
    def no_store(response):
        """Nothing shown to a logged-in user, nor any answer carrying a cookie, is cached."""
        sets_cookie = any(v.startswith(COOKIE_NAME + "=") for v in response.headers.getlist("Set-Cookie"))
        if g.get("session") is not None or sets_cookie:
            response.headers[NO_STORE[0]] = NO_STORE[1]
        return response

    @app.context_processor
    def globals_() -> dict[str, Any]:
        session: Session | None = g.get("session")
        state = portal.pusher.state().describe() if portal.pusher else None
        return {"session": session, "user": session.user if session else None, "ad": portal.ad,
                "sauvegarde": state, "csrf": session.csrf if session else ""}

    def login_required(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.session is None:
                return redirect(url_for("login", suite=request.full_path.rstrip("?")))
            if g.session.user.must_change and request.endpoint != "password":
                return redirect(url_for("password"))
            return view(*args, **kwargs)
        return wrapper

    def admin_required(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not g.session.user.is_admin:
                abort(403, "Réservé aux administrateurs de l'AD.")
            return view(*args, **kwargs)
        return wrapper

    @app.get("/favicon.ico")
    def favicon():
        """Fava's icon, for our own pages too (browsers ask for it on every site)."""
        import fava

        return send_from_directory(Path(fava.__file__).parent / "static", "favicon.ico",
                                   max_age=86400)

    def contacts() -> str:
        """Whom to ask for a new password: the AD's contacts from ad.yaml (the same for everyone:
        the login page never tells whether an account exists)."""
        return contacts_html(contacts_of(portal.root)[0])

    @app.get("/connexion")
    def login_form():
        return render_template("connexion.html", suite=_safe_next(request.args.get("suite")),
                               info=request.args.get("info"), contacts=contacts())

    @app.post("/connexion")
    def login():
        suite = _safe_next(request.form.get("suite"))
        login_value = request.form.get("identifiant", "").strip()
        try:
            # REMOTE_ADDR: the client, or the proxy's X-Forwarded-For once `serve --proxy` (ProxyFix) set it.
            user = portal.accounts.authenticate(login_value, request.form.get("mot_de_passe", ""),
                                                source=request.environ.get("REMOTE_ADDR", ""))
        except AccountError as exc:
            time.sleep(0.2)  # slows guessing down a little more
            return render_template("connexion.html", suite=suite, erreur=str(exc), identifiant=login_value,
                                   contacts=contacts()), 401
        session = portal.accounts.open_session(user)
        response = redirect(url_for("password") if user.must_change else suite)
        response.headers["Set-Cookie"] = cookie_header(session.token, portal.secure_cookies)
        return response

    @app.post("/deconnexion")
    def logout():
        if g.session:
            portal.accounts.close_session(g.session.token)
        response = redirect(url_for("login_form", info="Vous êtes déconnecté."))
        response.headers["Set-Cookie"] = cookie_header("", portal.secure_cookies, clear=True)
        return response

    @app.route("/mot-de-passe", methods=["GET", "POST"])
    @login_required
    def password():
        user = g.session.user
        if request.method == "POST":
            new, confirm = request.form.get("nouveau", ""), request.form.get("confirmation", "")
            try:
                if new != confirm:
                    raise AccountError("Les deux nouveaux mots de passe ne sont pas identiques.")
                portal.accounts.change_password(user, request.form.get("actuel", ""), new,
                                                keep_token=g.session.token)
            except (AccountError, PasswordPolicyError) as exc:
                return render_template("mot_de_passe.html", erreur=str(exc)), 400
            return redirect(url_for("home", info="Mot de passe changé."))
        return render_template("mot_de_passe.html")

    @app.get("/")
    @login_required
    def home():
        user = g.session.user
        rows = directory.rows()
        if not user.is_ad:
            rows = [r for r in rows if r["uai"] in user.coops]
            if len(rows) == 1:
                return redirect(f"/coop/{rows[0]['uai']}/")
        return render_template("accueil.html", coops=rows, info=request.args.get("info"))

    @app.get("/admin/comptes")
    @admin_required
    def accounts():
        return render_template("comptes.html", comptes=portal.accounts.list(), roles=ROLES,
                               journal=portal.accounts.journal(50), uais=portal.ad.uais())

    @app.post("/admin/comptes")
    @admin_required
    def account_add():
        form = request.form
        coops = tuple(u.strip().upper() for u in form.get("coops", "").replace(",", " ").split() if u.strip())
        try:
            unknown = [u for u in coops if u not in portal.ad.uais()]
            if unknown:
                raise AccountError(f"Coopérative(s) inconnue(s) : {', '.join(unknown)}.")
            secret = portal.accounts.add(form.get("identifiant", ""), form.get("role", ""),
                                         name=form.get("nom", ""), coops=coops,
                                         exercice=form.get("exercice") or None, actor=g.session.user.login)
        except (AccountError, ValueError) as exc:
            return render_template("comptes.html", comptes=portal.accounts.list(), roles=ROLES,
                                   journal=portal.accounts.journal(50), uais=portal.ad.uais(),
                                   erreur=str(exc)), 400
        return render_template("mot_de_passe_provisoire.html", identifiant=form.get("identifiant", "").strip(),
                               secret=secret)

    @app.post("/admin/mandataire")
    @admin_required
    def mandataire_change():
        form = request.form
        uai = form.get("uai", "").strip().upper()
        try:
            if uai not in portal.ad.uais():
                raise AccountError(f"Il n'y a pas de coopérative « {uai} » dans cette AD.")
            handed = portal.accounts.change_mandataire(uai, form.get("nom", ""), form.get("email", ""),
                                                       actor=g.session.user.login)
            # Kept in the books' repository too: the CRF of each exercice names its mandataire.
            record_mandataire(portal.store, uai, form.get("nom", ""),
                              Author(g.session.user.name, g.session.user.login), email=form.get("email", ""))
        except (AccountError, StoreError) as exc:
            return render_template("comptes.html", comptes=portal.accounts.list(), roles=ROLES,
                                   journal=portal.accounts.journal(50), uais=portal.ad.uais(),
                                   erreur=str(exc)), 400
        return render_template("mot_de_passe_provisoire.html", remis=handed,
                               titre=f"Coopérative {uai} confiée à {form.get('nom', '').strip()}")

    @app.post("/admin/comptes/<path:login>/reinitialiser")
    @admin_required
    def account_reset(login: str):
        try:
            secret = portal.accounts.reset(login, actor=g.session.user.login)
        except AccountError as exc:
            abort(404, str(exc))
        return render_template("mot_de_passe_provisoire.html", identifiant=login, secret=secret)

    @app.post("/admin/comptes/<path:login>/<any(desactiver, reactiver):action>")
    @admin_required
    def account_disable(login: str, action: str):
        if login.lower() == g.session.user.login.lower():
            abort(400, "Vous ne pouvez pas désactiver votre propre compte.")
        try:
            portal.accounts.set_disabled(login, action == "desactiver", actor=g.session.user.login)
        except AccountError as exc:
            abort(404, str(exc))
        return redirect(url_for("accounts"))

    @app.get("/sante")
    def health():
        """`ok` for anyone (monitoring); the process's figures for an AD admin only."""
        if g.session is None or not g.session.user.is_admin or g.session.user.must_change:
            return {"etat": "ok"}
        return {"etat": "ok", "cooperatives_ouvertes": len(portal.pool), "pid": os.getpid()}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if isinstance(exc.description, str) and not exc.description.startswith(
            ("The ", "You ", "Method", "The requested")) else _default_message(status)
        return render_template("erreur.html", titre=_ERROR_TITLES.get(status, "Erreur"), message=message), status

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Erreur non prévue")
        return render_template("erreur.html", titre=_ERROR_TITLES[500],
                               message="Une erreur imprévue est survenue ; rien n'a été modifié. "
                                       "Si elle se reproduit, signalez-la à l'AD."), 500

    return app


def _default_message(status: int) -> str:
    return {
        403: "Vous n'avez pas accès à cette page.",
        404: "Cette adresse ne correspond à aucune page du portail.",
        405: "Cette action n'est pas possible ici.",
        413: "Le fichier envoyé est trop gros.",
    }.get(status, "La requête n'a pas pu aboutir.")


def render_error(portal: Portal, environ: dict, start_response, status: int, title: str, message: str):
    """A French error page, for requests that do not reach our Flask app (coop routes)."""
    with portal.site.request_context(environ):
        g.session = portal.session_of(environ)
        response = portal.site.make_response((render_template("erreur.html", titre=title, message=message), status))
        if g.session is not None:
            response.headers[NO_STORE[0]] = NO_STORE[1]
        return response(environ, start_response)
