"""`retkoop coop`: create a coop, open a régie, regenerate its accounts."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from retkoop_tools.cli.common import (
    auteur_option,
    coop_uai,
    open_ad,
    parse_author,
    repo_option,
    save,
    user_errors,
)
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.exercice import today as clock_today
from retkoop_tools.ledger.layout import (
    NUMBERING_STYLES,
    comptes_changes,
    coop_file_changes,
    create_coop,
    regie_changes,
)
from retkoop_tools.store.gitcmd import is_git_repo
from retkoop_tools.store.store import RuleViolationError, Store


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
@click.option("--banque", "banques", default="",
              help="Compte(s) bancaire(s) de la coopérative : 512 (banque), 514 (CCP La Banque Postale), "
                   "ou « 512 514 » (défaut : 512).")
@click.option("--email", default="", help="Adresse e-mail de l'école (l'AD y écrit aussi ses relances).")
@auteur_option
@repo_option
@user_errors
def add(uai, nom, commune, exercice_name, numerotation, banques, email, auteur, repo: Path) -> None:
    """Crée la coopérative UAI (7 chiffres et une lettre) dans ledgers/UAI/ et la commite."""
    ad = open_ad(repo)
    author = parse_author(auteur)
    exercice = Exercice.parse(exercice_name) if exercice_name else Exercice.current()
    in_git = is_git_repo(ad.root)
    store = Store(ad.root) if in_git else None
    if store is None:
        coop_dir = create_coop(ad.root, uai, nom, commune, exercice, numerotation, banques, email)
        where = "(hors dépôt git : aucun commit)"
    else:
        with store.locked():
            coop_dir = create_coop(ad.root, uai, nom, commune, exercice, numerotation, banques, email)
            try:
                commit = store.commit_new_coop(coop_dir.name, author, f"Nouvelle coopérative {coop_dir.name} : {nom.strip()}")
            except RuleViolationError:
                shutil.rmtree(coop_dir)
                raise
        where = f"(commit {commit[:10]})"
    click.echo(f"Coopérative créée : {coop_dir.relative_to(ad.root)} (exercice {exercice}) {where}")


@coop.command("regie")
@click.argument("uai")
@click.argument("enseignant")
@click.option(
    "--date",
    "date_",
    type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]),
    help="Date d'ouverture (jj/mm/aaaa, défaut : aujourd'hui).",
)
@auteur_option
@repo_option
@user_errors
def regie(uai, enseignant, date_, auteur, repo: Path) -> None:
    """Ouvre la régie d'avance de l'ENSEIGNANT dans la coopérative UAI."""
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    date = date_.date() if date_ else clock_today()
    opened: list[str] = []

    def changes() -> dict[str, str]:  # computed under the coop's lock (see save)
        account, result = regie_changes(ad.root, ad.coop_dir(uai), enseignant, date)
        opened.append(account)
        return result

    where = save(ad, uai, changes, parse_author(auteur), f"Ouverture de la régie d'avance de {enseignant.strip()}")
    click.echo(f"Régie ouverte : {opened[0]} {where}")


@coop.command("comptes")
@click.argument("uais", nargs=-1, metavar="[UAI]...")
@click.option("--all", "all_", is_flag=True, help="Toutes les coopératives.")
@auteur_option
@repo_option
@user_errors
def comptes(uais, all_, auteur, repo: Path) -> None:
    """Régénère comptes.beancount depuis le plan comptable de l'AD (sous-comptes conservés)."""
    count = _rewrite_each(repo, uais, all_, auteur, lambda ad, uai: comptes_changes(ad.root, ad.coop_dir(uai)),
                          "Plan de comptes régénéré depuis le plan comptable de l'AD")
    click.echo(f"{count} plan(s) de comptes régénéré(s).")


@coop.command("entete")
@click.argument("uais", nargs=-1, metavar="[UAI]...")
@click.option("--all", "all_", is_flag=True, help="Toutes les coopératives.")
@auteur_option
@repo_option
@user_errors
def entete(uais, all_, auteur, repo: Path) -> None:
    """Réécrit coop.beancount (options, règles, pages du trésorier) pour cette version de retkoop."""
    count = _rewrite_each(repo, uais, all_, auteur, lambda ad, uai: coop_file_changes(ad.coop_dir(uai)),
                          "coop.beancount réécrit pour cette version (options, règles, pages du trésorier)")
    click.echo(f"{count} fichier(s) coop.beancount à jour.")


def _rewrite_each(repo: Path, uais, all_: bool, auteur, changes_of, message: str) -> int:
    """Save `changes_of(ad, uai)` for each coop named (or all), one commit each."""
    ad = open_ad(repo)
    author = parse_author(auteur)
    targets = ad.uais() if all_ else [coop_uai(ad, u) for u in uais]
    for uai in targets:
        save(ad, uai, lambda uai=uai: changes_of(ad, uai), author, message)
    return len(targets)
