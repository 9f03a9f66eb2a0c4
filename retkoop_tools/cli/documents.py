"""`retkoop crf`, `retkoop inventaire`, `retkoop dossier`: the CRF and the cahier d'inventaire of an
exercice, and the CRF's submission to the AD."""

from __future__ import annotations

import sys
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
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import Exercice


@click.command("crf")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier à écrire (défaut : crf-UAI-EXERCICE.pdf, ou .html avec --html ; - pour la sortie standard).")
@click.option("--html", "as_html", is_flag=True, help="Écrire la page HTML au lieu du PDF.")
@repo_option
@user_errors
def crf(uai, nom, output, as_html, repo: Path) -> None:
    """Compte rendu financier d'un EXERCICE de la coopérative UAI, en PDF ou HTML.

    Calculé depuis les livres (EXERCICE s'écrit 2025-2026)."""
    from retkoop_tools.documents.crf import compute_crf
    from retkoop_tools.documents.render import html_to_pdf, render_html
    from retkoop_tools.documents.source import load_source

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    source = load_source(ad.root, uai)
    if exercice not in source.books.exercices:
        raise UserError(f"La coopérative {uai} n'a pas d'exercice {exercice}.")
    report = compute_crf(source, exercice)
    html = render_html("crf.html", crf=report, ad=report.ad, coop=report.coop, genere_le=report.genere_le)
    content: str | bytes = html if as_html else html_to_pdf(html)
    target = output or Path(f"crf-{uai}-{exercice}.{'html' if as_html else 'pdf'}")
    if str(target) == "-":
        if isinstance(content, str):
            sys.stdout.write(content)
        else:
            sys.stdout.buffer.write(content)
        return
    from retkoop_tools.fsutil import atomic_write

    atomic_write(target, content)
    if report.errors:
        click.echo(f"Attention : les livres ont {len(report.errors)} erreur(s), le CRF est provisoire.", err=True)
    click.echo(f"CRF {exercice} de {uai} écrit dans {target} "
               f"(résultat {fmt_eur(report.resultat)}, bilan {'équilibré' if report.equilibre else 'DÉSÉQUILIBRÉ'}).")


@click.command("inventaire")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier à écrire (défaut : inventaire-UAI-EXERCICE.pdf, ou .html avec --html).")
@click.option("--html", "as_html", is_flag=True, help="Écrire la page HTML au lieu du PDF.")
@repo_option
@user_errors
def inventaire(uai, nom, output, as_html, repo: Path) -> None:
    """Cahier d'inventaire de la coopérative UAI à la fin de l'EXERCICE (ou à ce jour), en PDF.

    Les biens durables présents, entrés et sortis, et les achats de biens durables de l'exercice
    pas encore inscrits ni écartés (page « Inventaire » du portail)."""
    from retkoop_tools.documents.inventaire import compute_inventaire, inventaire_html
    from retkoop_tools.documents.mandataires import mandataires_of
    from retkoop_tools.documents.render import html_to_pdf
    from retkoop_tools.documents.source import ad_identity, load_source
    from retkoop_tools.fr import fmt_eur
    from retkoop_tools.fsutil import atomic_write

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    source = load_source(ad.root, uai)
    books = source.books
    if exercice not in books.exercices:
        raise UserError(f"La coopérative {uai} n'a pas d'exercice {exercice}.")
    cahier = compute_inventaire(books, source.coop_dir, exercice, ad.config, books.today)
    if cahier.erreur:
        raise UserError(cahier.erreur)
    html = inventaire_html(cahier, ad_identity(ad.config), dict(books.identity, uai=uai), books.today,
                           mandataires_of(source.coop_dir, exercice))
    target = output or Path(f"inventaire-{uai}-{exercice}.{'html' if as_html else 'pdf'}")
    atomic_write(target, html if as_html else html_to_pdf(html))
    click.echo(f"Cahier d'inventaire {exercice} de {uai} écrit dans {target} : {len(cahier.presents)} bien(s) "
               f"présent(s) au {cahier.arrete:%d/%m/%Y}, {fmt_eur(cahier.valeur)} ; "
               f"{len(cahier.a_traiter)} achat(s) de biens durables à inscrire ou écarter.")


@click.group("dossier")
def dossier() -> None:
    """Remise du CRF à l'AD : soumettre (mandataire), verrouiller ou renvoyer (AD), voir l'état."""


@dossier.command("soumettre")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@auteur_option
@repo_option
@user_errors
def soumettre(uai, nom, auteur, repo: Path) -> None:
    """Remet à l'AD le CRF de l'EXERCICE clôturé (vérificateurs indiqués)."""
    from retkoop_tools.cloture.actions import submit_crf

    ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(submit_crf(store, uai, exercice, parse_author(auteur), rules=ad.config.get("quitus")))


@dossier.command("verrouiller")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@auteur_option
@repo_option
@user_errors
def verrouiller(uai, nom, auteur, repo: Path) -> None:
    """Pour l'AD : accepte le CRF remis ; l'exercice est figé."""
    from retkoop_tools.cloture.actions import lock_crf

    _ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(lock_crf(store, uai, exercice, parse_author(auteur)))


@dossier.command("renvoyer")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("--motif", required=True, help="Ce que le mandataire doit corriger.")
@auteur_option
@repo_option
@user_errors
def renvoyer(uai, nom, motif, auteur, repo: Path) -> None:
    """Pour l'AD : renvoie le CRF au mandataire et rouvre l'exercice, avec le MOTIF."""
    from retkoop_tools.cloture.actions import send_back_crf

    _ad, store, uai, exercice = coop_action_context(uai, nom, repo)
    finish(send_back_crf(store, uai, exercice, parse_author(auteur), motif))


@dossier.command("etat")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@repo_option
@user_errors
def etat(uai, nom, repo: Path) -> None:
    """Où en est le CRF de l'EXERCICE : statut, vérificateurs, historique."""
    from retkoop_tools.documents.dossier import load_dossier

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    d = load_dossier(ad.coop_dir(uai), Exercice.parse(nom))
    click.echo(f"CRF {d.exercice} de {uai} : {d.statut_libelle}")
    for v in d.verificateurs:
        click.echo(f"  vérificateur : {v.nom} ({v.qualite})")
    for e in d.historique:
        click.echo(f"  {e.le} {e.action} par {e.par}" + (f" : {e.motif}" if e.motif else ""))


EXPORT_FORMATS = ("xlsx", "csv", "fec")


@click.command("export")
@click.argument("uai")
@click.argument("nom", metavar="EXERCICE")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="xlsx", show_default=True,
              help="xlsx (Excel), csv (Excel français : ; et virgule décimale) ou fec (fichier des écritures comptables).")
@click.option("-o", "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier à écrire (défaut : journal-UAI-EXERCICE.xlsx…, ou SIRENFECAAAAMMJJ.txt).")
@repo_option
@user_errors
def export(uai, nom, fmt, output, repo: Path) -> None:
    """Journal de l'EXERCICE de la coopérative UAI, dans un format ouvert."""
    from retkoop_tools.ad import InvalidSirenError
    from retkoop_tools.documents.exports import FecError, export_content
    from retkoop_tools.documents.source import load_source
    from retkoop_tools.fsutil import atomic_write

    ad = open_ad(repo)
    uai = coop_uai(ad, uai)
    exercice = Exercice.parse(nom)
    source = load_source(ad.root, uai)
    if exercice not in source.books.exercices:
        raise UserError(f"La coopérative {uai} n'a pas d'exercice {exercice}.")
    try:
        content, default_name = export_content(source.books, exercice, fmt, ad.config, uai)
    except (InvalidSirenError, FecError) as exc:
        raise UserError(str(exc)) from exc
    target = output or Path(default_name)
    atomic_write(target, content)
    click.echo(f"Journal {exercice} de {uai} ({fmt.upper()}) écrit dans {target}.")


@click.command("crf-tous")
@click.argument("nom", metavar="EXERCICE")
@click.option("-o", "--sortie", "output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Dossier où ranger les PDF (crf-UAI-EXERCICE.pdf).")
@click.option("--jobs", type=int, default=0, help="Processus en parallèle (défaut : un par cœur).")
@repo_option
@user_errors
def crf_tous(nom, output, jobs, repo: Path) -> None:
    """Pour l'AD : le CRF de l'EXERCICE de toutes les coopératives, en PDF, avec une barre de progression."""
    import os

    from retkoop_tools.documents.batch import crf_all

    ad = open_ad(repo)
    exercice = Exercice.parse(nom)
    uais = ad.uais()
    jobs = jobs or os.cpu_count() or 1
    with click.progressbar(length=len(uais), label=f"CRF {exercice}", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        results = crf_all(ad.root, uais, exercice, output, jobs, on_done=lambda _r: bar.update(1))
    failed = [r for r in results if r.error]
    provisional = [r for r in results if not r.error and r.warnings]
    click.echo(f"{len(results) - len(failed)} CRF écrits dans {output}"
               + (f" ; {len(provisional)} provisoires (livres en erreur)" if provisional else "")
               + (f" ; {len(failed)} impossibles :" if failed else "."))
    for r in failed:
        click.echo(f"  {r.uai} : {r.error}", err=True)
    if failed:
        raise SystemExit(1)
