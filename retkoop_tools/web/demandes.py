"""The coops' requests on the AD's console: the list (status, filters, exports), each request's
history, the AD's answer and its validation (a change of mandataire creates the successor's
account: the one-time password is shown once, here)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from retkoop_tools.demandes import actions
from retkoop_tools.demandes.model import (
    STATUTS,
    TYPES,
    DemandeError,
    Ligne,
    all_demandes,
    find,
    load_demandes,
)
from retkoop_tools.ledger.exercice import today as clock_today
from retkoop_tools.spreadsheet import Sheet, csv_bytes, xlsx_bytes
from retkoop_tools.store.store import Author

if TYPE_CHECKING:
    from retkoop_tools.web.portal import Portal

#: "À traiter": waiting for the AD (sent, or completed by the mandataire after an answer).
FILTRES = {"a-traiter": "À traiter", "repondue": "Répondues, chez le mandataire", "validee": "Validées",
           "close": "Closes sans suite", "toutes": "Toutes"}
HEADERS = ["UAI", "École", "N°", "Type", "Objet", "Statut", "Envoyée le", "Par", "Dernière étape", "Le", "Par"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(line: Ligne) -> list:
    d = line.demande
    return [line.uai, line.nom, d.numero, d.type_libelle, d.objet, d.statut_libelle, d.envoyee_le.astimezone().date(),
            d.auteur, d.derniere.action_libelle, d.derniere.le.astimezone().date(), d.derniere.par]


def create_demandes(portal: Portal) -> Blueprint:
    bp = Blueprint("demandes", __name__, url_prefix="/ad/demandes")

    def ad_required(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.session is None:
                return redirect(url_for("login_form", suite=request.full_path.rstrip("?")))
            if g.session.user.must_change:
                return redirect(url_for("password"))
            if not g.session.user.is_ad:
                abort(403, "Les demandes des coopératives sont traitées par l'équipe de l'AD.")
            return view(*args, **kwargs)
        return wrapper

    def selected() -> tuple[list[Ligne], list[Ligne], str, str, list[str]]:
        lines, problems = all_demandes(portal.root, portal.ad.uais())
        statut = request.args.get("statut", "a-traiter")
        statut = statut if statut in FILTRES else "a-traiter"
        kind = request.args.get("type", "")
        kind = kind if kind in TYPES else ""
        shown = [line for line in lines
                 if (statut == "toutes" or (statut == "a-traiter" and line.demande.statut == "envoyee")
                     or line.demande.statut == statut)
                 and (not kind or line.demande.type == kind)]
        return lines, shown, statut, kind, problems

    def author() -> Author:
        return Author(g.session.user.name, g.session.user.login)

    def coop_or_404(uai: str) -> str:
        if uai not in portal.ad.uais():
            abort(404, f"Il n'y a pas de coopérative {uai} dans cette AD.")
        return uai

    @bp.get("/")
    @ad_required
    def liste():
        lines, shown, statut, kind, problems = selected()
        counts = {key: sum(1 for line in lines if line.demande.statut == key) for key in STATUTS}
        return render_template("console/demandes.html", lignes=shown, filtres=FILTRES, statut=statut, types=TYPES,
                               type=kind, counts=counts, problemes=problems, total=len(lines))

    @bp.get("/demandes.<any(csv, xlsx):fmt>")
    @ad_required
    def export(fmt: str):
        _lines, shown, statut, _kind, _problems = selected()
        rows = [_row(line) for line in shown]
        day = clock_today()
        name = f"demandes-{statut}-{day}.{fmt}"
        if fmt == "csv":
            data, mimetype = csv_bytes(HEADERS, rows), "text/csv"
        else:
            data = xlsx_bytes([Sheet("Demandes", HEADERS, rows, widths=(11, 30, 5, 24, 60, 18, 12, 18, 24, 12, 18))],
                              f"Demandes des coopératives au {day:%d/%m/%Y}")
            mimetype = XLSX
        return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def page(uai: str, numero: int, status: int = 200, **extra):
        try:
            demande = find(load_demandes(portal.ad.coop_dir(uai)), numero)
        except DemandeError as exc:
            abort(404, str(exc))
        lines, _ = all_demandes(portal.root, [uai])
        nom = lines[0].nom if lines else ""
        ends = portal.accounts.access_ends(uai)
        return render_template("console/demande.html", uai=uai, nom=nom, d=demande, fins=ends,
                               info=request.args.get("info"), **extra), status

    @bp.get("/<uai>/<int:numero>")
    @ad_required
    def detail(uai: str, numero: int):
        return page(coop_or_404(uai), numero)

    @bp.post("/<uai>/<int:numero>/repondre")
    @ad_required
    def repondre(uai: str, numero: int):
        uai = coop_or_404(uai)
        result = actions.answer(portal.store, uai, numero, request.form.get("texte", ""), author(),
                                close=request.form.get("clore") == "oui")
        if not result.ok:
            return page(uai, numero, 400, erreur=" ".join(result.errors.values()), texte=request.form.get("texte", ""))
        return redirect(url_for("demandes.detail", uai=uai, numero=numero, info=f"Enregistré : {result.message}"))

    @bp.post("/<uai>/<int:numero>/valider")
    @ad_required
    def valider(uai: str, numero: int):
        uai = coop_or_404(uai)
        try:
            demande = find(load_demandes(portal.ad.coop_dir(uai)), numero)
        except DemandeError as exc:
            abort(404, str(exc))
        if demande.type == "mandataire" and not g.session.user.is_admin:
            return page(uai, numero, 403, erreur="Un changement de mandataire crée un compte : il est validé par un "
                                                  "administrateur de l'AD.")
        result, handed = actions.validate(portal.store, portal.accounts, uai, numero, author(), clock_today(),
                                          request.form.get("texte", ""))
        if not result.ok:
            # An account created before a failure is shown anyway: its password exists nowhere else.
            return page(uai, numero, 400, erreur=" ".join(result.errors.values()), remis=handed)
        if handed or demande.type == "mandataire":
            return render_template("mot_de_passe_provisoire.html", remis=handed,
                                   titre=f"Demande n° {numero} de {uai} validée",
                                   apres=result.message, retour=url_for("demandes.detail", uai=uai, numero=numero))
        return redirect(url_for("demandes.detail", uai=uai, numero=numero, info=f"Enregistré : {result.message}"))

    return bp
