"""What the commands share: finding the AD repository, turning our errors into messages."""

from __future__ import annotations

import functools
import getpass
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from retkoop_tools.ad import AD, NotAnADRepositoryError, load_ad, require_ad_root
from retkoop_tools.chart import ChartError
from retkoop_tools.ledger.exercice import InvalidExerciceError
from retkoop_tools.ledger.layout import LayoutError, validate_uai
from retkoop_tools.store.gitcmd import GitError
from retkoop_tools.store.store import Author, StoreError

#: Exceptions whose message is a French sentence for the user.
USER_ERRORS: tuple[type[Exception], ...] = (
    NotAnADRepositoryError,
    ChartError,
    LayoutError,
    InvalidExerciceError,
    StoreError,
    GitError,
)

class UserError(click.ClickException):
    """A French message for the user, printed as `Erreur : …`, exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)


repo_option = click.option(
    "--repo",
    "repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Dossier du dépôt de l'AD (celui qui contient ad.yaml), ou un de ses sous-dossiers.",
)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Show our French errors as `Erreur : …` with exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            raise UserError(str(exc)) from exc

    return wrapper


def open_ad(repo: Path) -> AD:
    return load_ad(require_ad_root(repo))


def coop_uai(ad: AD, uai: str) -> str:
    """A validated UAI of an existing coop of `ad`."""
    uai = validate_uai(uai)
    if not ad.coop_file(uai).is_file():
        raise LayoutError(f"La coopérative {uai} n'existe pas dans {ad.ledgers_dir}.")
    return uai




auteur_option = click.option(
    "--auteur",
    metavar='"NOM <IDENTIFIANT>"',
    help="Auteur des commits (défaut : l'utilisateur du système).",
)

_AUTHOR_RE = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<ident>[^<>\s]+)>\s*$")


def parse_author(value: str | None) -> Author:
    """`"Mme Martin <martin@ecole.fr>"` → Author; the system user when None."""
    if not value:
        user = getpass.getuser()
        return Author(user, f"{user}@{socket.gethostname()}")
    match = _AUTHOR_RE.match(value)
    if not match:
        raise UserError(f"Auteur « {value} » : écrivez « Nom <identifiant> », par exemple "
                        "\"Mme Martin <martin@ecole.fr>\".")
    return Author(match.group("name"), match.group("ident"))


def save(ad: AD, uai: str, changes: dict[str, str] | Callable[[], dict[str, str]], author: Author,
         message: str) -> str:
    """Write through the store (validated, committed) in a git repository, directly otherwise.

    `changes` may be a function computing them: it then runs under the coop's lock, once what
    an interrupted write left is put aside, so that nothing another writer commits meanwhile
    is lost. Returns a French line saying where it went.
    """
    from retkoop_tools.ledger.layout import apply_changes
    from retkoop_tools.policy.writes import Scope
    from retkoop_tools.store.gitcmd import is_git_repo
    from retkoop_tools.store.store import Store

    if not is_git_repo(ad.root):
        apply_changes(ad.coop_dir(uai), changes() if callable(changes) else changes)
        return "(hors dépôt git : aucun commit)"
    store = Store(ad.root)
    with store.prepare(uai):
        computed = changes() if callable(changes) else changes
        commit = store.write(uai, computed, author, message, scope=Scope.SYSTEM)
    return f"(commit {commit[:10]})" if commit else "(aucun changement)"


def require_git(ad) -> None:
    """Closing, tagging and submitting need the AD's git repository."""
    from retkoop_tools.store.gitcmd import is_git_repo

    if not is_git_repo(ad.root):
        raise UserError(f"{ad.root} n'est pas un dépôt git : cette action se commite dans "
                        "l'historique de l'AD (retkoop init d'abord).")


def coop_action_context(uai: str, nom: str, repo: Path):
    """What an action committed in the AD's history needs: (ad, store, UAI, exercice)."""
    from retkoop_tools.ledger.exercice import Exercice
    from retkoop_tools.store.store import Store

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    require_git(ad)
    return ad, Store(ad.root), uai, Exercice.parse(nom)


def finish(result) -> None:
    """Print an action's French message, or raise its errors as one UserError."""
    if not result.ok:
        raise UserError(" ".join(result.errors.values()))
    where = f" (commit {result.commit[:10]})" if result.commit else ""
    click.echo(result.message + where)
