"""`retkoop check`: the OCCE rules on many coops at once."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from retkoop_tools.ad import AD, NotAnADRepositoryError
from retkoop_tools.checks.cache import ResultCache
from retkoop_tools.checks.commits import (
    CommitResult,
    RevisionError,
    check_commits,
    commits_of_ci_range,
)
from retkoop_tools.checks.junit import write_junit
from retkoop_tools.checks.runner import (
    CheckError,
    CoopResult,
    GitRevisionError,
    changed_uais,
    check_many,
)
from retkoop_tools.cli.common import (
    UserError,
    coop_uai,
    open_ad,
    repo_option,
    user_errors,
)
from retkoop_tools.store.gitcmd import GitError


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


@click.command()
@click.argument("uais", nargs=-1, metavar="[UAI]...")
@click.option("--all", "all_", is_flag=True, help="Toutes les coopératives de l'AD.")
@click.option(
    "--since",
    metavar="REV",
    help="Les coopératives modifiées depuis cette révision git (et toutes si ad.yaml ou le "
    "plan comptable ont changé).",
)
@click.option(
    "--commits",
    "commit_range",
    metavar="BASE..TETE",
    help="Vérifie chaque commit de BASE (exclu) à TETE, tel qu'il est dans git (CI des forges). "
    "Une BASE nulle (0000…, nouvelle branche) ou absente du clone (poussée forcée) fait vérifier "
    "les commits absents de la branche principale.",
)
@click.option(
    "--principale",
    metavar="REF",
    help="Branche principale du dépôt central dans ce clone, pour --commits (défaut : "
    "DISTANT/BRANCHE de la sauvegarde dans ad.yaml, soit origin/main).",
)
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Écrit aussi un rapport JUnit XML.")
@click.option("--json", "as_json", is_flag=True,
              help="Liste JSON des erreurs et avertissements (uai, file, line, message, level).")
@click.option("--resume", is_flag=True, help="Une ligne de bilan par coopérative, même sans erreur.")
@click.option("--sans-cache", "no_cache", is_flag=True, help="Recharge tous les livres, même inchangés depuis la dernière vérification.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Nombre de processus (défaut : un par cœur).")
@click.option("--complet", is_flag=True,
              help="Charge chaque exercice, les clos aussi (sans les à-nouveaux gardés par les clôtures).")
@repo_option
@user_errors
def check(uais, all_, since, commit_range, principale, junit, as_json, resume, no_cache, jobs, complet,
          repo: Path) -> None:
    """Vérifie les livres des coopératives avec les règles OCCE.

    Les erreurs et les avertissements sont groupés par coopérative, avec fichier:ligne. Code
    de sortie 1 s'il y a au moins une erreur ; les avertissements, comptés à part, ne font
    jamais échouer. Les exercices ouverts se chargent seuls, après les à-nouveaux que la
    clôture des exercices clos a gardés : le résultat est le même qu'en chargeant tout
    (--complet), au prix d'un exercice.
    """
    if complet:  # every load of this command, in its worker processes too
        import os

        from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV

        os.environ[MODE_ENV] = FULL_MODE
        no_cache = True
    try:
        ad = open_ad(repo)
    except NotAnADRepositoryError as exc:
        if commit_range and junit:  # the forge shows why nothing was checked
            _failed_report(junit, commit_range.partition("..")[2], str(exc))
        raise
    if commit_range:
        _check_commits(ad, commit_range, principale or _principal_branch(ad), junit, as_json, jobs)
        return
    selected = {coop_uai(ad, u) for u in uais}
    if all_:
        selected.update(ad.uais())
    if since:
        try:
            selected.update(changed_uais(ad, since))
        except GitRevisionError as exc:
            raise UserError(str(exc)) from exc
    if not (uais or all_ or since):
        raise UserError("Indiquez des UAI, --all ou --since REV.")
    targets = sorted(selected)
    if not targets:
        if as_json:
            click.echo("[]")
        else:
            click.echo("Aucune coopérative à vérifier.")
        return

    start = time.perf_counter()
    cache = None if no_cache else ResultCache(ad.root)
    show_bar = not as_json and len(targets) > 1 and sys.stderr.isatty()
    if show_bar:
        with click.progressbar(
            length=len(targets), label="Vérification", file=sys.stderr, show_pos=True
        ) as bar:
            results = check_many(ad.root, targets, workers=jobs, cache=cache,
                                 on_result=lambda r: bar.update(1))
    else:
        results = check_many(ad.root, targets, workers=jobs, cache=cache)
    elapsed = time.perf_counter() - start

    errors = [e for r in results for e in r.errors]
    if junit:
        write_junit(junit, results=results)
    if as_json:
        reports = [e for r in results for e in sorted(r.errors + r.warnings, key=lambda e: (e.file, e.line))]
        click.echo(json.dumps([e.as_dict() for e in reports], ensure_ascii=False, indent=2))
    else:
        _print_report(results, resume, elapsed)
    if errors:
        sys.exit(1)


def _counts(errors: int, warnings: int) -> str:
    return ", ".join(part for part in (_plural(errors, "erreur") if errors else "",
                                       _plural(warnings, "avertissement") if warnings else "") if part)


def _print_coop(result: CoopResult, prefix: str = "  ") -> None:
    for error in result.errors:
        click.echo(f"{prefix}{error.file}:{error.line} : {error.message}")
    for warning in result.warnings:
        click.echo(f"{prefix}{warning.file}:{warning.line} : " + click.style("Attention", fg="yellow", bold=True)
                   + f" : {warning.message}")


def _print_report(results: list[CoopResult], resume: bool, elapsed: float) -> None:
    for result in results:
        title = f"{result.uai} {result.nom}".strip()
        if result.errors or result.warnings:
            click.secho(f"{title} : {_counts(len(result.errors), len(result.warnings))}",
                        fg="red" if result.errors else "yellow", bold=True)
            _print_coop(result)
        elif resume:
            click.echo(
                f"{title} : " + click.style("OK", fg="green") + f", {_plural(result.operations, 'opération')}"
            )
    failing = [r for r in results if r.errors]
    total_errors = sum(len(r.errors) for r in results)
    warned = [r for r in results if r.warnings]
    total_warnings = sum(len(r.warnings) for r in results)
    summary = (
        f"{_plural(len(results), 'coopérative')} vérifiée{'s' if len(results) > 1 else ''} "
        f"en {elapsed:.1f} s".replace(".", ",")
    )
    warnings = (f" ; {_plural(total_warnings, 'avertissement')} dans {_plural(len(warned), 'coopérative')}, "
                "à revoir (ils ne bloquent pas)" if warned else "")
    if failing:
        click.secho(
            f"{summary} : {_plural(len(failing), 'coopérative')} en erreur "
            f"({_plural(total_errors, 'erreur')}){warnings}.",
            fg="red",
        )
    else:
        click.secho(f"{summary} : aucune erreur{warnings}.", fg="yellow" if warned else "green")


def _principal_branch(ad: AD) -> str:
    """The central repository's principal branch as a clone names it: `origin/main` by default."""
    config = ad.config.get("sauvegarde") or {}
    return f"{config.get('distant') or 'origin'}/{config.get('branche') or 'main'}"


def _failed_report(junit: Path, head: str, message: str) -> None:
    """A JUnit report saying why nothing could be checked: the forge shows it like a failure."""
    error = CheckError("git", "", 0, message)
    write_junit(junit, commits=[CommitResult(commit=head, subject="Vérification impossible",
                                             results=[CoopResult(uai="git", errors=[error])])])


def _check_commits(ad: AD, commit_range: str, principal: str, junit, as_json: bool, jobs) -> None:
    base, sep, head = commit_range.partition("..")
    if not sep or not head:
        message = f"« {commit_range} » : attendu BASE..TETE (deux révisions git)."
        if junit:
            _failed_report(junit, head, message)
        raise UserError(message)
    try:
        selection = commits_of_ci_range(ad.root, base, head, principal)
        results = check_commits(ad.root, selection.commits, workers=jobs)
    except (RevisionError, GitError) as exc:
        if junit:
            _failed_report(junit, head, str(exc))
        raise UserError(str(exc)) from exc
    if junit:
        write_junit(junit, commits=results)
    failing = [r for r in results if r.errors]
    if selection.note:
        click.echo(selection.note, err=as_json)
    if as_json:
        click.echo(json.dumps(
            [dict(e.as_dict(), commit=r.commit) for r in results for e in r.errors + r.warnings],
            ensure_ascii=False, indent=2))
    else:
        for result in results:
            coops = len(result.results)
            if result.errors:
                state = click.style(_counts(len(result.errors), len(result.warnings)), fg="red", bold=True)
            elif result.warnings:
                state = "OK, " + click.style(_plural(len(result.warnings), "avertissement"), fg="yellow")
            else:
                state = click.style("OK", fg="green")
            click.echo(f"{result.commit[:10]} {result.subject} : {_plural(coops, 'coopérative')}, {state}")
            for error in result.errors:
                click.echo(f"  {error.uai} {error.file}:{error.line} : {error.message}")
            for warning in result.warnings:
                click.echo(f"  {warning.uai} {warning.file}:{warning.line} : Attention : {warning.message}")
        warned = sum(1 for r in results if r.warnings)
        click.echo(f"{_plural(len(results), 'commit')} vérifié{'s' if len(results) > 1 else ''}, "
                   f"{len(failing)} en erreur" + (f", {warned} avec des avertissements (non bloquants)" if warned
                                                  else "") + ".")
    if failing:
        sys.exit(1)
