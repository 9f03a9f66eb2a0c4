"""`retkoop hook`: what the git hooks of an AD repository run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from retkoop_tools.checks.commits import check_commits, check_index, commits_of_range
from retkoop_tools.cli.common import user_errors


@click.group()
def hook() -> None:
    """Crochets git (appelés par hooks/pre-commit et hooks/pre-receive)."""


def _print_errors(prefix: str, results) -> int:
    count = 0
    for result in results:
        for error in result.errors:
            count += 1
            click.echo(f"{prefix}{error.uai} {error.file}:{error.line} : {error.message}", err=True)
    return count


def _print_warnings(prefix: str, results) -> int:
    """The avertissements, after the erreurs: shown, counted apart, never blocking."""
    count = 0
    for result in results:
        for warning in result.warnings:
            count += 1
            click.echo(f"{prefix}{warning.uai} {warning.file}:{warning.line} : Attention : {warning.message}",
                       err=True)
    return count


@hook.command("pre-commit")
@user_errors
def pre_commit() -> None:
    """Vérifie les coopératives que le commit en préparation modifie."""
    # `git commit -a`, `git commit <paths>` and `--amend -a` commit an index of their own
    # (`index.lock`, `next-index-*.lock`), named by GIT_INDEX_FILE, maybe relative to here.
    index = os.environ.get("GIT_INDEX_FILE")
    results = check_index(Path.cwd(), index_file=str(Path.cwd() / index) if index else None)
    refused = _print_errors("", results)
    warned = _print_warnings("", results)
    if refused:
        click.echo("Commit refusé : corrigez les erreurs ci-dessus (les livres n'ont pas changé).", err=True)
        sys.exit(1)
    if warned:
        click.echo(f"{warned} avertissement(s) ci-dessus, à revoir : ils n'empêchent pas le commit.", err=True)


@hook.command("pre-receive")
@user_errors
def pre_receive() -> None:
    """Vérifie chaque commit poussé (lignes « ancien nouveau référence » sur l'entrée)."""
    repo = Path.cwd()
    refused = warned = 0
    seen: set[str] = set()  # two branches pushed together share commits: check them once
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        commits = [c for c in commits_of_range(repo, old, new) if c not in seen]
        seen.update(commits)
        for result in check_commits(repo, commits):
            if result.errors or result.warnings:
                click.echo(f"Commit {result.commit[:10]} « {result.subject} » ({ref}) :", err=True)
            if result.errors:
                refused += 1
                _print_errors("  ", result.results)
            warned += _print_warnings("  ", result.results)
    if refused:
        click.echo(f"Poussée refusée : {refused} commit(s) enfreignent les règles OCCE.", err=True)
        sys.exit(1)
    if warned:
        click.echo(f"{warned} avertissement(s) ci-dessus, à revoir : ils n'empêchent pas la poussée.", err=True)
