"""`retkoop exercice`: open the next exercice of a coop."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import coop_uai, open_ad, repo_option, user_errors
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import add_exercice


@click.group()
def exercice() -> None:
    """Exercices des coopératives (du 1er septembre au 31 août)."""


@exercice.command("ouvrir")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@repo_option
@user_errors
def ouvrir(uai, nom, repo: Path) -> None:
    """Crée le fichier de l'EXERCICE suivant (ex. 2026-2027) de la coopérative UAI."""
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    path = add_exercice(ad.coop_dir(uai), Exercice.parse(nom))
    click.echo(f"Exercice ouvert : {path.relative_to(ad.root)}")
