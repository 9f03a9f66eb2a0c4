"""`retkoop migrer`: books kept in a spreadsheet (cahier XLSX or CSV) into a coop's ledger."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import (
    UserError,
    auteur_option,
    coop_uai,
    open_ad,
    parse_author,
    repo_option,
    require_git,
    user_errors,
)
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.migration.migrate import migrate
from retkoop_tools.migration.reader import CahierError
from retkoop_tools.store.store import Store
from retkoop_tools.tresorier.parsing import parse_amount


@click.command("migrer")
@click.argument("uai")
@click.argument("cahier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--banque", "bank", help="Solde de la banque au début de l'exercice (ex. 1 234,56) : du compte "
                                       "des colonnes « Banque » du cahier.")
@click.option("--caisse", "cash", help="Solde de la caisse au début de l'exercice.")
@click.option("--compte-bancaire", "account", metavar="CODE",
              help="Compte des colonnes « Banque » du cahier : 512 ou 514 (par défaut, le compte bancaire de la "
                   "coopérative ; à donner quand elle en a deux).")
@click.option("--solde", "balances", multiple=True, nargs=2, metavar="CODE MONTANT",
              help="Solde d'ouverture d'un compte bancaire précis, pour une coopérative à deux comptes "
                   "(ex. --solde 514 250,00).")
@click.option("--feuille", help="Feuille du classeur (défaut : la première).")
@click.option("--colonnes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Titres des colonnes de votre modèle de cahier (YAML, comme colonnes.yaml).")
@click.option("--rapport", type=click.Path(dir_okay=False, path_type=Path),
              help="Écrire aussi la liste des lignes non reprises dans ce fichier CSV.")
@click.option("--essai", is_flag=True, help="Montrer ce qui serait repris, sans rien écrire.")
@auteur_option
@repo_option
@user_errors
def migrer(uai, cahier: Path, bank, cash, account, balances, feuille, colonnes, rapport, essai, auteur,
           repo: Path) -> None:
    """Reprend le CAHIER tenu dans un tableur (XLSX ou CSV) dans les comptes de UAI.

    Chaque ligne devient une opération (ventilée d'après les colonnes de comptes) ; les soldes
    d'ouverture (--banque, --caisse, --solde 514 …) ouvrent l'exercice. Les colonnes « Banque »
    vont sur le compte bancaire de la coopérative (514 pour une coopérative à La Banque
    Postale) ; une coopérative à deux comptes dit lequel (--compte-bancaire) ou a une paire de
    colonnes par compte (« CCP entrée », « CCP sortie »). Les lignes qui ne peuvent pas être
    reprises sont listées avec la raison ; tout le reste est écrit en un seul commit.
    """
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    opening = {}
    for name, value in (("banque", bank), ("caisse", cash), *balances):
        if value:
            option = f"--{name}" if name in ("banque", "caisse") else f"--solde {name}"
            if name in opening:
                raise UserError(f"{option} est donné deux fois.")
            try:
                opening[name] = parse_amount(value, allow_zero=True)
            except ValueError as exc:
                raise UserError(f"{option} : {exc}") from exc
    if not essai:
        require_git(ad)
    try:
        report = migrate(None if essai else Store(ad.root), ad.root, uai, cahier.read_bytes(), cahier.name,
                         parse_author(auteur), opening=opening, columns_file=colonnes, sheet=feuille,
                         dry_run=essai, progress=lambda m: click.echo(m, err=True), bank=account)
    except CahierError as exc:
        raise UserError(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if rapport:
        atomic_write(rapport, report.csv())
        click.echo(f"Lignes non reprises : {rapport}")
    if essai:
        click.echo("Essai : rien n'est écrit.")
    elif report.commit:
        click.echo(f"Enregistré (commit {report.commit[:10]}).")
