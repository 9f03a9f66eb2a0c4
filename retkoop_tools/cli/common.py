"""What the commands share: finding the AD repository, turning our errors into messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from retkoop_tools.ad import AD, NotAnADRepositoryError, load_ad, require_ad_root
from retkoop_tools.chart import ChartError
from retkoop_tools.ledger.exercice import InvalidExerciceError
from retkoop_tools.ledger.layout import LayoutError, validate_uai

#: Exceptions whose message is a French sentence for the user.
USER_ERRORS: tuple[type[Exception], ...] = (
    NotAnADRepositoryError,
    ChartError,
    LayoutError,
    InvalidExerciceError,
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


