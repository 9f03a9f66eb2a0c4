"""`retkoop sauvegarde`: push the AD repository to its backup remote now."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from retkoop_tools.cli.common import open_ad, repo_option, user_errors
from retkoop_tools.store.push import backup_target, push_now


@click.command()
@repo_option
@user_errors
def sauvegarde(repo: Path) -> None:
    """Pousse le dépôt de l'AD vers son dépôt distant de sauvegarde (ad.yaml : sauvegarde)."""
    ad = open_ad(repo)
    target = backup_target(ad.root)
    if target is None:
        click.echo("Erreur : aucun dépôt distant de sauvegarde (ajoutez-le : git remote add origin URL).", err=True)
        sys.exit(1)
    error = push_now(ad.root, *target)
    if error:
        click.echo(f"Erreur : dépôt distant injoignable ({target[0]}) : {error}", err=True)
        sys.exit(1)
    click.echo(f"Sauvegardé vers {target[0]} (branche {target[1]}).")
