"""`retkoop ad …`: the AD's oversight of all its coops, from the command line."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import click

from retkoop_tools.cli.common import UserError, open_ad, repo_option, user_errors
from retkoop_tools.console.collect import Summaries
from retkoop_tools.fr import fmt_eur


@click.group("ad")
def ad_group() -> None:
    """Suivi de toutes les coopératives de l'AD : tableau de bord, comptes agrégés, échantillon."""


def today_option(func):
    return click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
                        help="Date du jour pour les retards (défaut : aujourd'hui).")(func)


def jobs_option(func):
    return click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Processus de calcul (défaut : un par cœur).")(func)


def collect(ad, jobs: int | None) -> dict[str, dict]:
    """Every coop's summary, with a progress bar on stderr when coops must be loaded."""
    summaries = Summaries(ad.root, workers=jobs)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total == 0:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="Lecture des livres", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        summaries.refresh(on_progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    return summaries.all()


def people(ad, instance: Path | None) -> dict[str, list[str]]:
    """Mandataires by coop, from the portal's accounts when its instance folder exists."""
    from retkoop_tools.cli.serve import instance_dir
    from retkoop_tools.web.accounts import Accounts

    path = instance_dir(ad.root, instance) / "comptes.sqlite"
    return Accounts(path).mandataires_by_coop() if path.exists() else {}


def write_output(data: bytes, output: Path | None, default_name: str) -> None:
    target = output or Path(default_name)
    from retkoop_tools.fsutil import atomic_write

    atomic_write(target, data)
    click.echo(f"Écrit : {target}")


@ad_group.command("etat")
@click.option("--json", "as_json", is_flag=True, help="Une ligne JSON par coopérative (sur la sortie).")
@click.option("--csv", "as_csv", is_flag=True, help="Fichier CSV pour Excel.")
@click.option("--xlsx", "as_xlsx", is_flag=True, help="Classeur Excel (retards en rouge).")
@click.option("--retard", is_flag=True, help="Seulement les coopératives en retard.")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path),
              help="Dossier des comptes du portail (pour les noms des mandataires).")
@today_option
@jobs_option
@repo_option
@user_errors
def status(as_json, as_csv, as_xlsx, retard, output, instance, today, jobs, repo) -> None:
    """Une ligne par coopérative : opérations, relevés, caisse, erreurs, CRF, adhésion, soldes."""
    from retkoop_tools.console.status import counts, status_csv, status_rows, status_xlsx

    if sum((as_json, as_csv, as_xlsx)) > 1:
        raise UserError("Choisissez un seul format : --json, --csv ou --xlsx.")
    ad = open_ad(repo)
    day = today.date() if today else datetime.date.today()
    rows = status_rows(collect(ad, jobs), ad.config, day, people(ad, instance))
    if retard:
        rows = [r for r in rows if r.retards]
    if as_json:
        text = "\n".join(json.dumps(r.as_json(), ensure_ascii=False) for r in rows) + "\n"
        if output:
            write_output(text.encode(), output, "")
        else:
            click.echo(text, nl=False)
        return
    if as_csv:
        write_output(status_csv(rows), output, f"etat-coops-{day}.csv")
        return
    if as_xlsx:
        write_output(status_xlsx(rows, f"État des coopératives au {day:%d/%m/%Y}"), output,
                     f"etat-coops-{day}.xlsx")
        return
    for row in rows:
        mark = "!!" if row.retards else " !" if row.alertes else "  "
        click.echo(f"{mark} {row.uai} {row.nom[:34]:34} {row.exercice} {row.etat:10} "
                   f"banque {fmt_eur(row.banque):>12}  caisse {fmt_eur(row.caisse):>10}  "
                   + " ; ".join(row.retards + row.alertes))
    figures = counts(rows)
    click.echo(f"\n{figures['coops']} coopératives : {figures['retard']} en retard, "
               f"{figures['erreurs']} avec des erreurs, {figures['crf_remis']} CRF remis, "
               f"{figures['adhesions']} adhésions validées ({figures['a_valider']} à valider).")
