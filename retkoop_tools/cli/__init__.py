"""The `retkoop` command: thin click commands over the library."""

from __future__ import annotations

import click

from retkoop_tools.cli import francais

francais.install()  # before the commands are declared: Click translates some words then

from retkoop_tools.cli.ad import ad_group
from retkoop_tools.cli.adhesion import adhesion, cra
from retkoop_tools.cli.banque import import_releve
from retkoop_tools.cli.check import check
from retkoop_tools.cli.coop import coop
from retkoop_tools.cli.demo import demo
from retkoop_tools.cli.documents import crf, crf_tous, dossier, export, inventaire
from retkoop_tools.cli.exercice import exercice
from retkoop_tools.cli.history import history
from retkoop_tools.cli.hook import hook
from retkoop_tools.cli.init import init
from retkoop_tools.cli.migration import migrer
from retkoop_tools.cli.sauvegarde import sauvegarde
from retkoop_tools.cli.serve import serve, serve_demo, user


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="retkoop-tools", message="retkoop %(version)s")
def main() -> None:
    """Comptabilité des coopératives scolaires OCCE : livres Beancount, règles, dépôt git."""


main.add_command(ad_group)
main.add_command(adhesion)
main.add_command(check)
main.add_command(cra)
main.add_command(coop)
main.add_command(crf)
main.add_command(crf_tous)
main.add_command(demo)
main.add_command(dossier)
main.add_command(exercice)
main.add_command(export)
main.add_command(history)
main.add_command(hook)
main.add_command(import_releve)
main.add_command(init)
main.add_command(inventaire)
main.add_command(migrer)
main.add_command(sauvegarde)
main.add_command(serve)
main.add_command(serve_demo)
main.add_command(user)
