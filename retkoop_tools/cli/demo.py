"""`retkoop demo`: the demo AD on a date, the committed snapshot, or a synthetic AD for benchmarks."""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path

import click

from retkoop_tools.checks.runner import default_workers
from retkoop_tools.cli.common import UserError, user_errors
from retkoop_tools.demo.generator import (
    DEMO_AD,
    DEMO_COOPS,
    SNAPSHOT_DATE,
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.demo.present import DemoError, build_demo, built_for, demo_exercices


@click.command()
@click.argument("dossier", type=click.Path(file_okay=False, path_type=Path))
@click.option("--date", "day", type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]), default=None,
              help="Date de référence, jj/mm/aaaa (défaut : aujourd'hui).")
@click.option("--instantane", is_flag=True,
              help=f"Seulement les livres de l'instantané livré dans ledgers/ (au {SNAPSHOT_DATE:%d/%m/%Y}).")
@click.option("--synthetique", type=click.IntRange(1, 100000), help="N coopératives synthétiques au lieu de la démo.")
@click.option("--operations", type=click.IntRange(0, 100000), default=0, help="Opérations visées par exercice et par coopérative (complétées par de petites opérations).")
@click.option("--exercices", type=click.IntRange(1, 30), default=2, show_default=True,
              help="Avec --synthetique : exercices par coopérative, tous clôturés (sceau, report à nouveau) "
                   "sauf le dernier (2025-2026).")
@click.option("--remplacer", is_flag=True, help="Remplace la démonstration ou les livres déjà présents dans DOSSIER.")
@user_errors
def demo(dossier: Path, day, instantane, synthetique, operations, exercices, remplacer) -> None:
    """Construit l'AD de démonstration dans DOSSIER, telle qu'elle est à la date de référence.

    DOSSIER devient un dépôt git : l'exercice en cours (celui qui contient la date) avec ses
    opérations jusqu'à ce jour, l'exercice précédent clôturé avec son report à nouveau (sauf
    pour une coopérative en retard), CRF remis ou verrouillés, adhésions déclarées, validées ou
    manquantes, relevés pointés et arrêtés de caisse plus ou moins à jour, une erreur à corriger.

    Avec --instantane ou --synthetique, seulement ad.yaml et les livres (ledgers/), sans git.
    """
    if instantane or synthetique:
        if day:
            raise UserError("--date ne va pas avec --instantane ni --synthetique.")
        if exercices != 2 and not synthetique:
            raise UserError("--exercices va avec --synthetique.")
        _books_only(dossier, synthetique, operations, remplacer, exercices)
        return
    day = day.date() if day else datetime.date.today()
    if dossier.exists() and any(dossier.iterdir()):
        if not remplacer:
            raise UserError(f"{dossier} n'est pas vide : ajoutez --remplacer pour y reconstruire la démonstration.")
        if built_for(dossier) is None:
            raise UserError(f"{dossier} n'est pas une démonstration construite par « retkoop demo » : "
                            "choisissez un dossier vide ou nouveau.")
        shutil.rmtree(dossier)
    try:
        steps = build_demo(dossier, day)
    except DemoError as exc:
        raise UserError(str(exc)) from exc
    previous, current = demo_exercices(day)
    click.echo(f"AD de démonstration au {day:%d/%m/%Y} écrite dans {dossier} : {len(DEMO_COOPS)} coopératives, "
               f"exercice {current} en cours, {previous} clôturé ou à clôturer, {len(steps)} action(s) "
               "du portail rejouées.")


def _books_only(dossier: Path, synthetique, operations, remplacer, exercices: int = 2) -> None:
    ledgers = dossier / "ledgers"
    existing = sorted(ledgers.glob("*/coop.beancount")) if ledgers.is_dir() else []
    if existing and not remplacer:
        raise UserError(
            f"{ledgers} contient déjà {len(existing)} coopérative(s) : ajoutez --remplacer pour "
            "les réécrire."
        )
    for coop_file in existing:
        shutil.rmtree(coop_file.parent)
    coops = synthetic_coops(synthetique) if synthetique else list(DEMO_COOPS)
    config = dict(DEMO_AD, nom="AD synthétique (banc d'essai)") if synthetique else DEMO_AD
    workers = default_workers() if len(coops) > 4 else 1
    options: dict = {}
    if synthetique:  # every exercice but the last closed as the product closes it
        years = synthetic_exercices(exercices)
        options = {"exercices": years, "closed": set(years[:-1]), "closing": True}
    if sys.stderr.isatty() and len(coops) > 1:
        with click.progressbar(length=len(coops), label="Génération", file=sys.stderr, show_pos=True) as bar:
            generate_ad(dossier, coops, config, target_ops=operations, workers=workers,
                        on_coop=lambda _uai: bar.update(1), **options)
    else:
        generate_ad(dossier, coops, config, target_ops=operations, workers=workers, **options)
    click.echo(f"{len(coops)} coopérative(s) écrite(s) dans {ledgers}.")
