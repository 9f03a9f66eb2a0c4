"""`retkoop serve` and `retkoop user`: the web portal and its accounts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from retkoop_tools.cli.common import UserError, open_ad, repo_option, user_errors
from retkoop_tools.contacts import InvalidContactsError, ad_contacts
from retkoop_tools.fsutil import make_private
from retkoop_tools.web.accounts import ROLES, AccountError, Accounts
from retkoop_tools.web.passwords import PasswordPolicyError

INSTANCE_ENV = "RETKOOP_INSTANCE"

instance_option = click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier des comptes et sessions, hors du dépôt git (défaut : DEPOT-instance à côté du dépôt, "
    f"ou ${INSTANCE_ENV}).",
)


def instance_dir(ad_root: Path, instance: Path | None) -> Path:
    if instance:
        return instance
    if os.environ.get(INSTANCE_ENV):
        return Path(os.environ[INSTANCE_ENV])
    return ad_root.parent / f"{ad_root.name}-instance"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port d'écoute.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--processus", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processus de travail (plus d'un : gunicorn, un par cœur conseillé).")
@click.option("--lru", default=50, show_default=True, type=click.IntRange(1, 10000),
              help="Nombre de coopératives gardées chargées en mémoire.")
@click.option("--proxy", is_flag=True, help="Derrière un proxy inverse : croire X-Forwarded-For/Proto/Host.")
@click.option("--https/--http", "https", default=None,
              help="Cookies réservés à HTTPS (défaut : oui derrière --proxy).")
@instance_option
@repo_option
@user_errors
def serve(host, port, threads, processus, lru, proxy, https, instance, repo: Path) -> None:
    """Lance le portail web de l'AD (waitress ; gunicorn avec --processus N)."""
    import waitress

    from retkoop_tools.web.portal import Portal

    ad = open_ad(repo)
    try:
        ad_contacts(ad.config)  # shown to every teacher: a mistake is fixed before the portal starts
    except InvalidContactsError as exc:
        raise UserError(f"{exc} Corrigez ad.yaml, puis relancez le portail.") from exc
    make_private(ad.root, instance_dir(ad.root, instance))
    secure = proxy if https is None else https
    if processus > 1:
        import sys

        env = dict(os.environ, RETKOOP_REPO=str(ad.root), RETKOOP_INSTANCE=str(instance_dir(ad.root, instance)),
                   RETKOOP_LRU=str(lru), RETKOOP_PROXY="1" if proxy else "0", RETKOOP_HTTPS="1" if secure else "0")
        Accounts(instance_dir(ad.root, instance) / "comptes.sqlite")  # created once, before the workers
        click.echo(f"Portail « {ad.nom or 'AD'} » : http://{host}:{port}/ ({processus} processus). Arrêt : Ctrl+C.")
        os.execve(sys.executable, [sys.executable, "-m", "gunicorn", "--workers", str(processus),
                                   "--threads", str(threads), "--bind", f"{host}:{port}", "--timeout", "120",
                                   # longer than a proxy's idle connections (nginx: 60 s): gunicorn must not
                                   # close a connection the proxy is reusing (the next request would be reset)
                                   "--keep-alive", "75",
                                   "retkoop_tools.web.wsgi:create()"], env)
    portal = Portal(ad.root, instance_dir(ad.root, instance), lru_size=lru, secure_cookies=secure,
                    quiet_gc=True)
    app = portal
    if proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app = ProxyFix(portal, x_for=1, x_proto=1, x_host=1)
    click.echo(f"Portail « {ad.nom or 'AD'} » : http://{host}:{port}/ ({len(ad.uais())} coopératives). "
               "Arrêt : Ctrl+C.")
    # Behind --proxy, werkzeug's ProxyFix reads the X-Forwarded-* headers of the one proxy.
    waitress.serve(app, host=host, port=port, threads=threads, ident="retkoop")


@click.group()
def user() -> None:
    """Comptes du portail (mandataires, vérificateurs, équipe de l'AD)."""


def _accounts(repo: Path, instance: Path | None) -> Accounts:
    ad = open_ad(repo)
    return Accounts(instance_dir(ad.root, instance) / "comptes.sqlite")


@user.command("add")
@click.argument("identifiant")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--nom", default="", help="Nom affiché, par exemple « Mme Martin ».")
@click.option("--coop", "coops", multiple=True, help="UAI d'une coopérative (répétable).")
@click.option("--exercice", help="Exercice que lit un vérificateur (2025-2026).")
@instance_option
@repo_option
@user_errors
def user_add(identifiant, role, nom, coops, exercice, instance, repo) -> None:
    """Crée un compte et affiche son mot de passe provisoire."""
    ad = open_ad(repo)
    unknown = [u for u in coops if u.upper() not in ad.uais()]
    if unknown:
        raise UserError(f"Coopérative(s) inconnue(s) : {', '.join(unknown)}.")
    try:
        secret = _accounts(repo, instance).add(identifiant, role, name=nom,
                                                coops=tuple(u.upper() for u in coops), exercice=exercice,
                                                actor="ligne de commande")
    except (AccountError, PasswordPolicyError) as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"Compte {identifiant} créé. Mot de passe provisoire (à changer à la première connexion) : {secret}")


@user.command("reset")
@click.argument("identifiant")
@instance_option
@repo_option
@user_errors
def user_reset(identifiant, instance, repo) -> None:
    """Donne un nouveau mot de passe provisoire (et ferme les sessions ouvertes)."""
    try:
        secret = _accounts(repo, instance).reset(identifiant, actor="ligne de commande")
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"Nouveau mot de passe provisoire de {identifiant} : {secret}")


@user.command("disable")
@click.argument("identifiant")
@click.option("--reactiver", is_flag=True, help="Réactive le compte au lieu de le désactiver.")
@instance_option
@repo_option
@user_errors
def user_disable(identifiant, reactiver, instance, repo) -> None:
    """Désactive un compte (ses sessions sont fermées)."""
    try:
        _accounts(repo, instance).set_disabled(identifiant, not reactiver, actor="ligne de commande")
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"Compte {identifiant} {'réactivé' if reactiver else 'désactivé'}.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@instance_option
@repo_option
@user_errors
def user_list(as_json, instance, repo) -> None:
    """Liste les comptes."""
    users = _accounts(repo, instance).list()
    if as_json:
        click.echo(json.dumps([{"identifiant": u.login, "nom": u.name, "role": u.role, "coops": list(u.coops),
                                "exercice": u.exercice, "provisoire": u.must_change, "desactive": u.disabled}
                               for u in users], ensure_ascii=False, indent=2))
        return
    for u in users:
        state = "désactivé" if u.disabled else ("provisoire" if u.must_change else "actif")
        click.echo(f"{u.login:32} {u.role_label:26} {' '.join(u.coops):20} {u.exercice or '':10} {state}")


@click.command("serve-demo")
@click.option("--dossier", type=click.Path(file_okay=False, path_type=Path), default=Path("var"),
              show_default=True, help="Où créer le dépôt et l'instance de démonstration.")
@click.option("--date", "day", type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]), default=None,
              help="Date de la démonstration, jj/mm/aaaa (défaut : aujourd'hui).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@user_errors
def serve_demo(dossier: Path, day, host: str, port: int) -> None:  # noqa: D103
    """Construit l'AD de démonstration pour aujourd'hui (un dépôt git à part) et lance le portail."""
    import datetime

    from retkoop_tools.demo.portal import demo_logins, prepare_present_demo
    from retkoop_tools.demo.present import DemoError

    day = day.date() if day else datetime.date.today()
    instance = dossier.resolve() / "demo-instance"
    try:
        ad_root, built = prepare_present_demo(dossier.resolve() / "demo-ad", instance, day)
    except DemoError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"AD de démonstration au {day:%d/%m/%Y} : {ad_root}"
               + (" (construite à l'instant)." if built else " (déjà construite ce jour-là, reprise)."))
    click.echo(demo_logins(ad_root, instance))
    ctx = click.get_current_context()
    ctx.invoke(serve, host=host, port=port, threads=8, processus=1, lru=50, proxy=False, https=False,
               instance=instance, repo=ad_root)
