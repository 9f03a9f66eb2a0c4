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


@click.group()
def exercice() -> None:
    """Exercices des coopératives (du 1er septembre au 31 août)."""


@exercice.command("ouvrir")
@click.argument("uai")
@click.argument("nom", metavar="[EXERCICE]", required=False)
@auteur_option
@repo_option
@user_errors
def ouvrir(uai, nom, auteur, repo: Path) -> None:
    """Crée le fichier de l'EXERCICE suivant de la coopérative UAI (par défaut celui qui contient
    la date du jour). Tant que l'exercice précédent n'est pas clôturé, ses soldes d'ouverture
    sont provisoires ; sa clôture les écrit. Les pages du trésorier l'ouvrent aussi d'elles-mêmes
    à la première saisie de la rentrée."""
    from retkoop_tools.tresorier.rentree import opening_changes

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom) if nom else Exercice.current()
    where = save(ad, uai, lambda: opening_changes(ad.coop_dir(uai), exercice), parse_author(auteur),
                 f"Ouverture de l'exercice {exercice}")
    click.echo(f"Exercice ouvert : {(ad.coop_dir(uai) / exercice.filename).relative_to(ad.root)} {where}")


@exercice.command("courant")
@click.argument("uai")
@repo_option
@user_errors
def courant(uai, repo: Path) -> None:
    """L'exercice en cours (celui qui contient la date du jour) de la coopérative UAI, et les
    exercices encore ouverts."""
    from retkoop_tools.ledger.layout import exercices_of
    from retkoop_tools.policy.writes import closed_exercices

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    coop_dir = ad.coop_dir(uai)
    current = Exercice.current()
    files = exercices_of(coop_dir)
    closed = closed_exercices(coop_dir)
    opened = [e for e in files if str(e) not in closed]
    click.echo(f"Exercice en cours : {current} ({'ouvert' if current in opened else 'clôturé' if str(current) in closed else 'pas encore ouvert'})")
    click.echo("Exercices ouverts : " + (", ".join(str(e) for e in opened) or "aucun"))


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
