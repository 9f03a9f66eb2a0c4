"""`retkoop adhesion`, `retkoop cra`: the adhésion's state and documents, the AD's validation;
the CRA as PDF. The mandataire declares in the web workspace (page « Adhésion »)."""

from __future__ import annotations

from pathlib import Path

import click

from retkoop_tools.cli.common import (
    UserError,
    auteur_option,
    coop_action_context,
    coop_uai,
    finish,
    open_ad,
    parse_author,
    repo_option,
    user_errors,
)
from retkoop_tools.ledger.exercice import Exercice


def _declaration(ad, uai, exercice):
    from retkoop_tools.adhesion.model import AdhesionError, load_declaration

    try:
        declaration = load_declaration(ad.coop_dir(uai), exercice)
    except AdhesionError as exc:
        raise UserError(str(exc)) from exc
    if declaration is None:
        raise UserError(f"La coopérative {uai} n'a pas encore déclaré son adhésion {exercice}.")
    return declaration


def _identity(ad, uai) -> dict:
    from retkoop_tools.ledger.layout import read_identity

    identity = read_identity(ad.coop_dir(uai))
    return {"uai": uai, "nom": identity.nom, "commune": identity.commune}


@click.group("adhesion")
def adhesion() -> None:
    """Adhésion des coopératives : état, validation par l'AD, bulletin et attestation en PDF."""


@adhesion.command("etat")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@repo_option
@user_errors
def etat(uai, nom, repo: Path) -> None:
    """Déclaration, montant et statut de l'adhésion de la coopérative UAI."""
    from retkoop_tools.adhesion.model import AdhesionError, compute, tarifs
    from retkoop_tools.fr import fmt_eur

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    d = _declaration(ad, uai, exercice)
    try:
        total = fmt_eur(compute(d, tarifs(ad.config, exercice)).total)
    except AdhesionError as exc:
        total = str(exc)
    click.echo(f"Adhésion {exercice} de {uai} : {d.statut_libelle} – {d.eleves} élèves, "
               f"{d.adultes} adultes, {total}" + (f" (pièce {d.paiement})" if d.paiement else ""))


@adhesion.command("valider")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@auteur_option
@repo_option
@user_errors
def valider(uai, nom, auteur, repo: Path) -> None:
    """Pour l'AD : valide l'adhésion déclarée ; la coopérative peut télécharger son attestation."""
    from retkoop_tools.adhesion.actions import validate

    _ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(validate(store, uai, exercice, parse_author(auteur)))


@adhesion.command("pdf")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("--document", type=click.Choice(["bulletin", "attestation"]), default="bulletin", show_default=True)
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@repo_option
@user_errors
def pdf(uai, nom, document, output, repo: Path) -> None:
    """Bulletin d'adhésion (avec l'engagement du mandataire) ou attestation, en PDF."""
    from retkoop_tools.adhesion import documents
    from retkoop_tools.adhesion.model import AdhesionError
    from retkoop_tools.fsutil import atomic_write

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    d = _declaration(ad, uai, exercice)
    render = documents.bulletin if document == "bulletin" else documents.attestation
    try:
        content = render(ad.config, _identity(ad, uai), d)
    except AdhesionError as exc:
        raise UserError(str(exc)) from exc
    target = output or Path(f"{document}-adhesion-{uai}-{exercice}.pdf")
    atomic_write(target, content)
    click.echo(f"{document.capitalize()} d'adhésion {exercice} de {uai} écrit dans {target}.")


@click.command("cra")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path))
@repo_option
@user_errors
def cra(uai, nom, output, repo: Path) -> None:
    """Compte rendu d'activités de l'EXERCICE de la coopérative UAI, en PDF."""
    from retkoop_tools.documents.cra import CRAError, cra_pdf, load_answers
    from retkoop_tools.fsutil import atomic_write

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    try:
        answers = load_answers(ad.coop_dir(uai), exercice)
        content = cra_pdf(ad.config, _identity(ad, uai), exercice, answers)
    except CRAError as exc:
        raise UserError(str(exc)) from exc
    if answers is None:
        click.echo("Attention : le questionnaire n'a pas encore été rempli (PDF vierge).", err=True)
    target = output or Path(f"cra-{uai}-{exercice}.pdf")
    atomic_write(target, content)
    click.echo(f"Compte rendu d'activités {exercice} de {uai} écrit dans {target}.")
