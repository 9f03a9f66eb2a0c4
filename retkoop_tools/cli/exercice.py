"""`retkoop exercice`: open the next exercice of a coop."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import auteur_option, coop_uai, open_ad, parse_author, repo_option, save, user_errors
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import exercice_changes


@click.group()
def exercice() -> None:
    """Exercices des coopératives (du 1er septembre au 31 août)."""


@exercice.command("ouvrir")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@auteur_option
@repo_option
@user_errors
def ouvrir(uai, nom, auteur, repo: Path) -> None:
    """Crée le fichier de l'EXERCICE suivant (ex. 2026-2027) de la coopérative UAI."""
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    changes = exercice_changes(ad.coop_dir(uai), exercice)
    where = save(ad, uai, changes, parse_author(auteur), f"Ouverture de l'exercice {exercice}")
    click.echo(f"Exercice ouvert : {(ad.coop_dir(uai) / exercice.filename).relative_to(ad.root)} {where}")
