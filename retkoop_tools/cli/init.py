"""`retkoop init`: create an AD repository."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import auteur_option, parse_author, user_errors
from retkoop_tools.store.init import init_ad_repo


@click.command()
@click.argument("dossier", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ad", "numero", required=True, help="Numéro de l'AD, par exemple 91.")
@click.option("--nom", required=True, help="Nom de l'AD, par exemple « OCCE de l'Essonne ».")
@auteur_option
@user_errors
def init(dossier: Path, numero: str, nom: str, auteur: str | None) -> None:
    """Crée le dépôt git d'une AD dans DOSSIER : ad.yaml, ledgers/, crochets, CI."""
    root = init_ad_repo(dossier, numero, nom, parse_author(auteur))
    click.echo(f"Dépôt de l'AD {numero} créé dans {root}.")
    click.echo(f"Ajoutez une coopérative : retkoop coop add UAI --nom \"École …\" --repo {root}")
