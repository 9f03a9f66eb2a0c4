"""`retkoop ad …`: the AD's oversight of all its coops, from the command line."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from retkoop_tools.cli.common import UserError, open_ad, repo_option, user_errors
from retkoop_tools.console.collect import Summaries
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import today as clock_today


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
    return refreshed(ad, jobs).all()


def refreshed(ad, jobs: int | None) -> Summaries:
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
    return summaries


def people(ad, instance: Path | None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Mandataires' names and e-mails by coop, from the portal's accounts when its instance
    folder exists."""
    from retkoop_tools.cli.serve import instance_dir
    from retkoop_tools.web.accounts import Accounts

    path = instance_dir(ad.root, instance) / "comptes.sqlite"
    if not path.exists():
        return {}, {}
    accounts = Accounts(path)
    return accounts.mandataires_by_coop(), accounts.mandataire_emails_by_coop()


def write_output(data: bytes, output: Path | None, default_name: str) -> None:
    target = output or Path(default_name)
    from retkoop_tools.fsutil import atomic_write

    atomic_write(target, data)
    click.echo(f"Écrit : {target}")


def _filter_keys() -> list[str]:
    from retkoop_tools.console.status import FILTERS

    return list(FILTERS)


@ad_group.command("etat")
@click.option("--json", "as_json", is_flag=True, help="Une ligne JSON par coopérative (sur la sortie).")
@click.option("--csv", "as_csv", is_flag=True, help="Fichier CSV pour Excel.")
@click.option("--xlsx", "as_xlsx", is_flag=True, help="Classeur Excel (retards en rouge).")
@click.option("--retard", is_flag=True, help="Seulement les coopératives en retard.")
@click.option("--filtre", type=click.Choice(_filter_keys()), default="tous", show_default=True,
              help="Seulement certaines coopératives (les filtres du tableau de bord : decouvert, cheques, report…).")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path),
              help="Dossier des comptes du portail (pour les noms des mandataires).")
@today_option
@jobs_option
@repo_option
@user_errors
def status(as_json, as_csv, as_xlsx, retard, filtre, output, instance, today, jobs, repo) -> None:
    """Une ligne par coopérative : opérations, relevés, caisse, erreurs, avertissements, CRF
    (remis le, retard), adhésion (montant, effectif), découverts, remises ou régies négatives,
    régies non restituées, chèques non débités, report à nouveau, soldes."""
    from retkoop_tools.console.status import (
        FILTERS,
        counts,
        status_csv,
        status_rows,
        status_xlsx,
    )

    if sum((as_json, as_csv, as_xlsx)) > 1:
        raise UserError("Choisissez un seul format : --json, --csv ou --xlsx.")
    ad = open_ad(repo)
    day = today.date() if today else clock_today()
    names, emails = people(ad, instance)
    rows = status_rows(collect(ad, jobs), ad.config, day, names, emails)
    if retard:
        rows = [r for r in rows if r.retards]
    rows = [r for r in rows if FILTERS[filtre][1](r)]
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
               f"{figures['adhesions']} adhésions validées ({figures['a_valider']} à valider), "
               f"{figures['avertissements']} avec des avertissements, {figures['decouverts']} à découvert, "
               f"{figures['cheques']} avec des chèques non débités, {figures['reports']} report(s) à nouveau à revoir.")


def exercice_argument(func):
    return click.argument("exercice")(func)


def _exercice(name: str):
    from retkoop_tools.ledger.exercice import Exercice

    return Exercice.parse(name)


@ad_group.command("agreges")
@exercice_argument
@click.option("--xlsx", "as_xlsx", is_flag=True, help="Classeur Excel (au lieu du PDF).")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@jobs_option
@repo_option
@user_errors
def aggregated(exercice, as_xlsx, output, jobs, repo) -> None:
    """Comptes agrégés d'un exercice (PDF, ou XLSX avec le détail par coopérative)."""
    from retkoop_tools.chart import load_chart
    from retkoop_tools.console.aggregate import aggregate, aggregate_pdf, aggregate_xlsx

    ad = open_ad(repo)
    ex = _exercice(exercice)
    result = aggregate(collect(ad, jobs), load_chart(ad.root), ad.config, ex)
    for control in result.controles:
        click.echo(f"{'OK    ' if control.ok else 'À VOIR'} {control.libelle} : {control.detail}")
    click.echo(f"Charges {fmt_eur(result.total_charges)}, produits {fmt_eur(result.total_produits)}, "
               f"résultat {fmt_eur(result.resultat)} ({len(result.coops)} coopératives).")
    if as_xlsx:
        write_output(aggregate_xlsx(result), output, f"comptes-agreges-{ex}.xlsx")
    else:
        write_output(aggregate_pdf(result), output, f"comptes-agreges-{ex}.pdf")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


@ad_group.command("echantillon")
@exercice_argument
@click.option("--graine", help="Graine du tirage (pour refaire le même tirage) ; tirée au hasard sinon.")
@click.option("--taux", type=click.IntRange(1, 100), default=10, show_default=True, help="Pourcentage de coopératives.")
@click.option("--critere", type=click.Choice(["taille", "risque"]), default="taille", show_default=True,
              help="taille : trois strates par nombre d'opérations ; risque : tirage pondéré par les erreurs, "
                   "les avertissements, le retard du CRF et la taille (poids dans ad.yaml, rubrique echantillon).")
@click.option("--csv", "as_csv", is_flag=True, help="Le tableau en CSV sur la sortie (ou dans --sortie).")
@click.option("--xlsx", "as_xlsx", is_flag=True, help="Classeur Excel, écrit dans --sortie (avec la méthode).")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier à écrire (CSV, ou XLSX avec --xlsx ou un nom en .xlsx), hors du dépôt de l'AD.")
@click.option("--dans-le-depot", "inside_ok", is_flag=True,
              help="Accepter un fichier --sortie dans le dépôt de l'AD (il y resterait non enregistré).")
@today_option
@jobs_option
@repo_option
@user_errors
def sample(exercice, graine, taux, critere, as_csv, as_xlsx, output, inside_ok, today, jobs, repo) -> None:
    """Tire l'échantillon des coopératives à contrôler sur place, par taille ou par risque.

    Sans option, la liste s'affiche et rien n'est écrit ; --csv l'écrit en CSV sur la sortie ;
    --sortie FICHIER l'écrit dans un fichier, jamais dans le dépôt de l'AD sauf avec
    --dans-le-depot.
    """
    from retkoop_tools.console.sampling import (
        SamplingError,
        draw,
        new_seed,
        sample_csv,
        sample_xlsx,
    )

    if as_csv and as_xlsx:
        raise UserError("Choisissez un seul format : --csv ou --xlsx.")
    if as_xlsx and output is None:
        raise UserError("Un classeur Excel s'écrit dans un fichier : indiquez --sortie echantillon.xlsx (hors du dépôt).")
    ad = open_ad(repo)
    if output is not None and _inside(output, ad.root) and not inside_ok:
        raise UserError(f"{output} est dans le dépôt de l'AD ({ad.root}) : un fichier écrit là n'est pas enregistré "
                        "par git. Écrivez-le ailleurs, ou ajoutez --dans-le-depot si c'est voulu.")
    ex = _exercice(exercice)
    seed = graine or new_seed()
    day = today.date() if today else clock_today()
    try:
        result = draw(collect(ad, jobs), ex, seed, taux / 100, critere, ad.config, day)
    except SamplingError as exc:
        raise UserError(str(exc)) from exc
    to_stdout = as_csv and output is None
    say = functools.partial(click.echo, err=to_stdout)  # the CSV alone on the standard output
    how = (f"critère risque, au {day:%d/%m/%Y}" if critere == "risque"
           else ", ".join(f"{n} {name}" for name, n in result.population.items()))
    say(f"Graine {result.graine} : {len(result.tirages)} coopératives sur {result.total} ({how}).")
    for t in result.tirages:
        detail = (f"poids {t.poids:.2f}".replace(".", ",") + (f" : {t.motifs}" if t.motifs else "")
                  if critere == "risque" else t.strate)
        say(f"  {t.uai} {t.nom} ({detail}, {t.operations} opérations)")
    if to_stdout:
        click.echo(sample_csv(result).decode("utf-8-sig"), nl=False)
    elif output is not None:
        xlsx = as_xlsx or output.suffix.lower() == ".xlsx"
        write_output(sample_xlsx(result) if xlsx else sample_csv(result), output, "")


@ad_group.command("export-national")
@exercice_argument
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@jobs_option
@repo_option
@user_errors
def national(exercice, fmt, output, jobs, repo) -> None:
    """Les lignes du CRF de chaque coopérative, pour les statistiques de la fédération."""
    from retkoop_tools.chart import load_chart
    from retkoop_tools.console.national import (
        national_csv,
        national_parquet,
        national_rows,
    )

    ad = open_ad(repo)
    ex = _exercice(exercice)
    rows = national_rows(collect(ad, jobs), load_chart(ad.root), ad.numero, ex)
    data = national_parquet(rows) if fmt == "parquet" else national_csv(rows)
    click.echo(f"{len(rows)} lignes ({len({r['uai'] for r in rows})} coopératives).")
    write_output(data, output, f"crf-ad{ad.numero or 'xx'}-{ex}.{fmt}")


@ad_group.command("resumes")
@click.option("--auteur", help="Auteur du commit, « Nom <identifiant> » (défaut : l'utilisateur du système).")
@jobs_option
@repo_option
@user_errors
def summaries_command(auteur, jobs, repo) -> None:
    """Écrit à côté des livres de chaque coopérative le résumé de la console
    (resume-console.json) qui manque ou n'est plus à jour, en un commit.

    Le portail l'écrit à chaque enregistrement ; cette commande sert après l'adoption de
    retkoop par l'AD, une mise à jour de retkoop ou des commits faits à la main : une
    nouvelle installation de la console lit alors ces résumés au lieu de charger les livres."""
    from retkoop_tools.cli.common import parse_author
    from retkoop_tools.store.gitcmd import is_git_repo
    from retkoop_tools.store.store import Store

    ad = open_ad(repo)
    if not is_git_repo(ad.root):
        raise UserError(f"{ad.root} n'est pas un dépôt git : les résumés s'écrivent dans un dépôt d'AD.")
    author = parse_author(auteur)
    summaries = refreshed(ad, jobs)
    commit, count = Store(ad.root).commit_summaries(
        summaries.keyed(), author, "Résumés de la console mis à jour (retkoop ad resumes)")
    if commit is None:
        click.echo(f"Les résumés des {len(summaries.all())} coopératives sont déjà à jour.")
    else:
        click.echo(f"{count} résumé(s) écrit(s) sur {len(summaries.all())} coopératives, commit {commit[:10]}.")


@ad_group.command("mandataire")
@click.argument("uai")
@click.option("--nom", required=True, help="Nom du nouveau mandataire, par exemple « Mme Martin ».")
@click.option("--email", default="", help="Son adresse e-mail, pour lui créer aussi un compte personnel.")
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path),
              help="Dossier des comptes du portail.")
@repo_option
@user_errors
def mandataire(uai, nom, email, instance, repo) -> None:
    """Changement de mandataire à la rentrée : ferme l'ancien accès, ouvre le nouveau."""
    import getpass

    from retkoop_tools.cli.common import coop_uai
    from retkoop_tools.cli.serve import instance_dir
    from retkoop_tools.web.accounts import AccountError, Accounts

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    accounts = Accounts(instance_dir(ad.root, instance) / "comptes.sqlite")
    try:
        handed = accounts.change_mandataire(uai, nom, email, actor=f"{getpass.getuser()} (ligne de commande)")
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    from retkoop_tools.cli.common import parse_author
    from retkoop_tools.documents.mandataires import record_mandataire
    from retkoop_tools.store.gitcmd import is_git_repo
    from retkoop_tools.store.store import Store

    if is_git_repo(ad.root):  # the CRF of each exercice names its mandataire
        record_mandataire(Store(ad.root), uai, nom, parse_author(None), email=email)
    click.echo(f"Coopérative {uai} confiée à {nom}. Ancien accès fermé. À transmettre :")
    for login, secret in handed:
        click.echo(f"  identifiant {login}   mot de passe provisoire {secret}")


@ad_group.command("contacts")
@repo_option
@user_errors
def contacts(repo) -> None:
    """Vérifie et affiche les coordonnées de l'AD (contacts: dans ad.yaml) que voient les mandataires."""
    from retkoop_tools.contacts import InvalidContactsError, ad_contacts

    ad = open_ad(repo)
    try:
        found = ad_contacts(ad.config)
    except InvalidContactsError as exc:
        raise UserError(str(exc)) from exc
    if not found:
        click.echo("Aucun contact : ajoutez « contacts: » (ou « email: ») dans ad.yaml ; les mandataires ne "
                   "sauraient pas qui appeler pour un mot de passe perdu.")
        return
    for c in found:
        click.echo(c.nom + (f" ({c.pour})" if c.pour else ""))
        for label, value in (("téléphone", c.telephone), ("e-mail", c.email), ("horaires", c.horaires)):
            if value:
                click.echo(f"  {label} : {value}")
