"""`retkoop import`: a bank statement (OFX or a bank's CSV) into a coop's books."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from retkoop_tools.banque.apply import Choice, apply_import, default_choice
from retkoop_tools.banque.formats import load_formats
from retkoop_tools.banque.matching import ImportPlan, plan_import
from retkoop_tools.banque.readers import read_statement
from retkoop_tools.banque.statement import StatementError
from retkoop_tools.cli.common import (
    UserError,
    auteur_option,
    coop_uai,
    finish,
    open_ad,
    parse_author,
    repo_option,
    require_git,
    user_errors,
)
from retkoop_tools.documents.source import load_source
from retkoop_tools.fr import fmt_date, fmt_eur, fmt_number
from retkoop_tools.store.gitcmd import is_git_repo
from retkoop_tools.store.store import Store
from retkoop_tools.tresorier.books import KIND_LABELS
from retkoop_tools.tresorier.parsing import parse_amount


def _line_number(text: str, option: str, example: str) -> int:
    if not text.strip().isdigit():
        raise UserError(f"{option} : écrivez le numéro de la ligne proposée, par exemple {option} {example}.")
    return int(text)


def _accounts(values: tuple[str, ...]) -> dict[int, str]:
    """`--compte 2=6168` → {2: "6168"}."""
    result = {}
    for value in values:
        number, sep, code = value.partition("=")
        if not sep:
            raise UserError(f"--compte {value} : écrivez le numéro de la ligne, = et le compte (par exemple 2=6168).")
        result[_line_number(number, "--compte", "2=6168")] = code.strip()
    return result


def describe_plan(plan: ImportPlan) -> list[str]:
    s = plan.statement
    out = [f"Relevé {s.bank} du {fmt_date(s.date)}"
           + (f" (compte {s.account_hint})" if s.account_hint else "")
           + (f" : solde {fmt_eur(plan.balance)}" if plan.balance is not None else " : solde inconnu")
           + f", {len(s.lines)} ligne(s)."]
    for skipped in plan.skipped:
        out.append(f"  déjà pointée  {fmt_date(skipped.line.date)}  {fmt_number(skipped.line.amount):>10}  "
                   f"{skipped.line.label} ({skipped.reason})")
    for match in plan.matches:
        out.append(f"  pointée       {fmt_date(match.line.date)}  {fmt_number(match.line.amount):>10}  "
                   f"{match.line.label} → {match.op.piece} du {fmt_date(match.op.date)} « {match.op.label} » "
                   f"({match.reason})")
    for op in plan.openings:
        out.append(f"  pointée       solde d'ouverture du {fmt_date(op.date)} : {fmt_eur(op.on(plan.account))}")
    for number, proposal in enumerate(plan.proposals, 1):
        line = proposal.line
        what = KIND_LABELS.get(proposal.kind, proposal.kind)
        if proposal.blocked:
            detail = f"impossible : {proposal.blocked}"
        elif proposal.suggestion:
            compte = proposal.suggestion.compte
            detail = f"{what} sur {compte.code} {compte.libelle}"
        elif proposal.kind in ("recette", "depense"):
            detail = f"{what} : compte à choisir (--compte {number}=CODE)"
        else:
            detail = what
        out.append(f"  à créer n° {number:<2} {fmt_date(line.date)}  {fmt_number(line.amount):>10}  {line.label} → {detail}")
    return out


@click.command("import")
@click.argument("uai")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--banque", help="Format du fichier (ofx, credit-agricole, banque-postale…) ; "
                               "par défaut, reconnu d'après le fichier.")
@click.option("--compte-bancaire", "account",
              help="Compte du relevé, quand la coopérative en a deux : 512 ou 514 (par défaut, celui que le "
                   "relevé retrouve dans le cahier).")
@click.option("--solde", help="Solde de fin du relevé, si le fichier ne le donne pas (ex. 1 234,56).")
@click.option("--compte", "comptes", multiple=True, metavar="N=CODE",
              help="Compte de ventilation de la ligne à créer n° N (ex. --compte 2=6168).")
@click.option("--ignorer", multiple=True, metavar="N", help="Ne pas créer la ligne n° N (le relevé ne tombera pas juste).")
@click.option("--essai", is_flag=True, help="Montrer ce qui serait fait, sans rien écrire.")
@auteur_option
@repo_option
@user_errors
def import_releve(uai, fichier: Path, banque, account, solde, comptes, ignorer, essai, auteur, repo: Path) -> None:
    """Importe le relevé bancaire FICHIER (OFX ou CSV de la banque) dans les comptes de UAI.

    Chaque ligne du relevé est rapprochée de l'opération du cahier (n° de chèque, remise,
    montant et date) et pointée ; les lignes absentes du cahier sont créées, ventilées sur le
    compte que la coopérative a le plus utilisé pour un libellé semblable ; le solde du relevé
    est enregistré. Réimporter le même fichier ne change rien.
    """
    accounts = _accounts(comptes)
    skipped = {_line_number(value, "--ignorer", "3") for value in ignorer}
    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    content = fichier.read_bytes()
    try:
        statement = read_statement(content, fichier.name, load_formats(ad.root), banque)
    except StatementError as exc:
        raise UserError(str(exc)) from exc
    balance = None
    if solde:
        try:
            balance = parse_amount(solde, allow_zero=True, allow_negative=True)
        except ValueError as exc:
            raise UserError(f"--solde : {exc}") from exc
    # Read, match and record under the coop's lock: no save of the portal can come in
    # between (it would be lost), and what a killed writer left is put aside first.
    store = Store(ad.root) if is_git_repo(ad.root) else None
    with store.prepare(uai) if store is not None and not essai else contextlib.nullcontext():
        source = load_source(ad.root, uai)
        if source.errors:
            raise UserError(f"Les comptes de {uai} ont des erreurs : corrigez-les d'abord (retkoop check {uai}).")
        if account and account in source.books.chart.by_code:  # "514" → Actif:514-CCP
            account = source.books.chart.by_code[account].account
        plan = plan_import(source.books, statement, account, balance)
        for line in describe_plan(plan):
            click.echo(line)
        if plan.already:
            click.echo(plan.problems[0])
            return
        choices: dict[str, Choice] = {}
        for number, proposal in enumerate(plan.proposals, 1):
            choice = default_choice(proposal)
            if number in accounts:
                choice.code = accounts[number]
            if number in skipped:
                choice.create = False
            choices[proposal.line.ref] = choice
        unknown = (set(accounts) | set(skipped)) - set(range(1, len(plan.proposals) + 1))
        if unknown:
            raise UserError(f"Il n'y a pas de ligne à créer n° {', '.join(map(str, sorted(unknown)))}.")
        if essai:
            gap = plan.gap
            click.echo("Essai : rien n'est écrit." + (f" Écart restant : {fmt_eur(gap)}." if gap else ""))
            for problem in plan.problems:
                click.echo(f"À régler : {problem}")
            return
        require_git(ad)
        result = apply_import(store, uai, source.books, plan, parse_author(auteur), choices,
                              (fichier.name, content))
    finish(result)


