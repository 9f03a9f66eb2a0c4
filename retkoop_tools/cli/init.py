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
@click.option(
    "--outils",
    metavar="SOURCE",
    help="D'où la CI des forges installe retkoop-tools (argument de pip install), par exemple "
    "« git+https://forge.example.org/occe/retkoop-tools.git@v0.1.0 ». Sans elle, la variable "
    "RETKOOP_TOOLS de la forge doit le dire.",
)
@auteur_option
@user_errors
def init(dossier: Path, numero: str, nom: str, outils: str | None, auteur: str | None) -> None:
    """Crée le dépôt git d'une AD dans DOSSIER : ad.yaml, ledgers/, crochets, CI."""
    root = init_ad_repo(dossier, numero, nom, parse_author(auteur), outils=outils)
    click.echo(f"Dépôt de l'AD {numero} créé dans {root}.")
    if outils:
        click.echo(f"La CI des forges installera retkoop-tools depuis {outils.strip()}.")
    else:
        click.echo("La CI des forges installera retkoop-tools depuis la variable RETKOOP_TOOLS "
                   "de la forge : définissez-la (ou recréez le dépôt avec --outils SOURCE).")
    click.echo(f"Ajoutez une coopérative : retkoop coop add UAI --nom \"École …\" --repo {root}")
