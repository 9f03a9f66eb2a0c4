"""`retkoop demo`: write the demo AD, or a synthetic one for benchmarks."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from retkoop_tools.checks.runner import default_workers
from retkoop_tools.cli.common import UserError, user_errors
from retkoop_tools.demo.generator import (
    DEMO_AD,
    DEMO_COOPS,
    generate_ad,
    synthetic_coops,
)


@click.command()
@click.argument("dossier", type=click.Path(file_okay=False, path_type=Path))
@click.option("--synthetique", type=click.IntRange(1, 100000), help="N coopératives synthétiques au lieu de la démo.")
@click.option("--operations", type=click.IntRange(0, 100000), default=0, help="Opérations visées par exercice et par coopérative (complétées par de petites opérations).")
@click.option("--remplacer", is_flag=True, help="Remplace les livres déjà présents dans DOSSIER/ledgers.")
@user_errors
def demo(dossier: Path, synthetique, operations, remplacer) -> None:
    """Écrit l'AD de démonstration (ad.yaml et ledgers/) dans DOSSIER.

    Les livres sont produits de façon déterministe : 2024-2025 clos, 2025-2026 ouvert.
    """
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
    if sys.stderr.isatty() and len(coops) > 1:
        with click.progressbar(length=len(coops), label="Génération", file=sys.stderr, show_pos=True) as bar:
            generate_ad(dossier, coops, config, target_ops=operations, workers=workers,
                        on_coop=lambda _uai: bar.update(1))
    else:
        generate_ad(dossier, coops, config, target_ops=operations, workers=workers)
    click.echo(f"{len(coops)} coopérative(s) écrite(s) dans {ledgers}.")
