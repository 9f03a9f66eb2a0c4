"""`retkoop exercice`: open, close and reopen the exercices of a coop."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import (
    auteur_option,
    coop_action_context,
    coop_uai,
    finish,
    open_ad,
    parse_author,
    repo_option,
    save,
    user_errors,
)
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
    where = save(ad, uai, lambda: exercice_changes(ad.coop_dir(uai), exercice), parse_author(auteur),
                 f"Ouverture de l'exercice {exercice}")
    click.echo(f"Exercice ouvert : {(ad.coop_dir(uai) / exercice.filename).relative_to(ad.root)} {where}")


@exercice.command("clore")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("--forcer", is_flag=True,
              help="Pour l'AD : clôturer même si des conditions manquent (elles restent dans l'historique).")
@auteur_option
@repo_option
@user_errors
def clore(uai, nom, forcer, auteur, repo: Path) -> None:
    """Clôture l'EXERCICE (ex. 2025-2026) de la coopérative UAI : scelle ses écritures, écrit le
    report à nouveau dans l'exercice suivant, range le CRF en PDF, commite et étiquette
    UAI/EXERCICE."""
    from retkoop_tools.cloture.actions import close_exercice

    _ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(close_exercice(store, uai, exercice, parse_author(auteur), force=forcer))


@exercice.command("rouvrir")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("--motif", required=True, help="Pourquoi l'exercice est rouvert (gardé dans l'historique).")
@auteur_option
@repo_option
@user_errors
def rouvrir(uai, nom, motif, auteur, repo: Path) -> None:
    """Pour l'AD : rouvre l'EXERCICE clôturé de la coopérative UAI, avec le MOTIF."""
    from retkoop_tools.cloture.actions import reopen_exercice

    _ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(reopen_exercice(store, uai, exercice, parse_author(auteur), motif))
