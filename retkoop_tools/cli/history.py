"""`retkoop history`: what changed in a coop's books, entry by entry, and who changed it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from retkoop_tools.cli.common import coop_uai, open_ad, repo_option, user_errors
from retkoop_tools.history.log import coop_history
from retkoop_tools.ledger.exercice import Exercice

_SIGNS = {"ajout": "+", "suppression": "-", "modification": "~", "pointage": "✓", "dépointage": "✗"}


@click.command()
@click.argument("uai")
@click.option("--exercice", "exercice_name", help="Seulement les écritures de cet exercice (ex. 2025-2026).")
@click.option("--auteur", help="Seulement les commits de cet auteur (nom ou identifiant, même partiel).")
@click.option("-n", "--limite", type=click.IntRange(1, None), help="Au plus N commits, les plus récents.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@repo_option
@user_errors
def history(uai, exercice_name, auteur, limite, as_json, repo: Path) -> None:
    """Historique des livres de la coopérative UAI : qui a changé quoi, écriture par écriture."""
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(exercice_name) if exercice_name else None
    commits = coop_history(ad.root, uai, exercice=exercice, auteur=auteur, limit=limite)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in commits], ensure_ascii=False, indent=2))
        return
    if not commits:
        click.echo("Aucun changement trouvé.")
        return
    for commit in commits:
        click.secho(
            f"{commit.commit[:10]}  {commit.date:%d/%m/%Y %H:%M}  {commit.author} <{commit.ident}>",
            bold=True,
        )
        click.echo(f"  {commit.message}")
        if not commit.changes:
            click.echo("    (aucune écriture changée : mise en forme ou fichiers hors livres)")
        for change in commit.changes:
            click.echo(f"    {_SIGNS.get(change.kind, '•')} {change.description}")
            for detail in change.details:
                click.echo(f"        {detail}")
