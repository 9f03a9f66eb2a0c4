"""`retkoop coop`: create a coop, open a régie, regenerate its accounts."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from retkoop_tools.cli.common import coop_uai, open_ad, repo_option, user_errors
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import (
    NUMBERING_STYLES,
    add_regie,
    create_coop,
    regenerate_comptes,
)


@click.group()
def coop() -> None:
    """Créer et tenir les dossiers des coopératives."""


@coop.command("add")
@click.argument("uai")
@click.option("--nom", required=True, help="Nom de l'école, par exemple « École élémentaire Jean Jaurès ».")
@click.option("--commune", default="", help="Commune de l'école.")
@click.option("--exercice", "exercice_name", help="Premier exercice (défaut : l'exercice en cours), ex. 2025-2026.")
@click.option(
    "--numerotation",
    type=click.Choice(sorted(NUMBERING_STYLES)),
    default="RD",
    show_default=True,
    help="Numérotation des pièces : RD (R01/D01) ou continue (1, 2, 3).",
)
@repo_option
@user_errors
def add(uai, nom, commune, exercice_name, numerotation, repo: Path) -> None:
    """Crée la coopérative UAI (7 chiffres et une lettre) dans ledgers/UAI/."""
    ad = open_ad(repo)
    exercice = Exercice.parse(exercice_name) if exercice_name else Exercice.current()
    coop_dir = create_coop(ad.root, uai, nom, commune, exercice, numerotation)
    click.echo(f"Coopérative créée : {coop_dir.relative_to(ad.root)} (exercice {exercice}).")


@coop.command("regie")
@click.argument("uai")
@click.argument("enseignant")
@click.option(
    "--date",
    "date_",
    type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]),
    help="Date d'ouverture (jj/mm/aaaa, défaut : aujourd'hui).",
)
@repo_option
@user_errors
def regie(uai, enseignant, date_, repo: Path) -> None:
    """Ouvre la régie d'avance de l'ENSEIGNANT dans la coopérative UAI."""
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    date = date_.date() if date_ else datetime.date.today()
    account = add_regie(ad.root, ad.coop_dir(uai), enseignant, date)
    click.echo(f"Régie ouverte : {account}")


@coop.command("comptes")
@click.argument("uais", nargs=-1, metavar="[UAI]...")
@click.option("--all", "all_", is_flag=True, help="Toutes les coopératives.")
@repo_option
@user_errors
def comptes(uais, all_, repo: Path) -> None:
    """Régénère comptes.beancount depuis le plan comptable de l'AD (sous-comptes conservés)."""
    ad = open_ad(repo)
    targets = ad.uais() if all_ else [coop_uai(ad, u) for u in uais]
    for uai in targets:
        regenerate_comptes(ad.root, ad.coop_dir(uai))
    click.echo(f"{len(targets)} plan(s) de comptes régénéré(s).")
