"""The AD console in the portal: dashboard, comptes agrégés, sample, exports, history.

Plain Flask views over the library (`retkoop_tools.console`, `retkoop_tools.history`); the CLI
calls the same functions. Only AD roles reach these pages.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

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

from retkoop_tools.chart import load_chart
from retkoop_tools.console.aggregate import (
    accounts_csv,
    accounts_xlsx,
    aggregate,
    aggregate_pdf,
    aggregate_xlsx,
    detail_csv,
    detail_xlsx,
    reports_csv,
    reports_xlsx,
)
from retkoop_tools.console.collect import Summaries
from retkoop_tools.console.national import national_csv, national_parquet, national_rows
from retkoop_tools.console.sampling import (
    CRITERES,
    SamplingError,
    draw,
    new_seed,
    sample_csv,
    sample_xlsx,
)
from retkoop_tools.console.status import (
    FILTERS,
    bank_balances,
    counts,
    exercice_to_submit,
    status_csv,
    status_rows,
    status_xlsx,
)
from retkoop_tools.console.summary import decimal
from retkoop_tools.history.log import UnknownCommitError, coop_commit, coop_history
from retkoop_tools.ledger.exercice import Exercice, InvalidExerciceError
from retkoop_tools.ledger.exercice import today as clock_today

if TYPE_CHECKING:
    from retkoop_tools.web.portal import Portal

#: How long a page waits for the summaries before showing what it has, with a progress bar.
WAIT_SECONDS = 3.0
HISTORY_LIMIT = 200

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Refresher:
    """Runs the summaries' refresh in a background thread; pages wait a little for it."""

    def __init__(self, summaries: Summaries):
        self.summaries = summaries
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.error: str | None = None
        self.last_seconds: float | None = None

    def _run(self) -> None:
        try:
            self.last_seconds = self.summaries.refresh().seconds
            self.error = None
        except Exception as exc:  # shown on the page; the previous summaries stay
            logging.getLogger(__name__).exception("Calcul du tableau de bord")
            self.error = f"Le calcul n'a pas abouti : {exc}"

    def refresh(self, wait: float = WAIT_SECONDS) -> bool:
        """Start a refresh unless one runs; True when it finished within `wait` seconds."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="retkoop-console", daemon=True)
                self._thread.start()
            thread = self._thread
        thread.join(wait)
        return not thread.is_alive()


def create_console(portal: Portal) -> Blueprint:
    console = Blueprint("console", __name__, url_prefix="/ad")
    summaries = Summaries(portal.root, start_method="forkserver")
    refresher = Refresher(summaries)
    portal.summaries = summaries

    def ad_required(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.session is None:
                return redirect(url_for("login_form", suite=request.full_path.rstrip("?")))
            if g.session.user.must_change:
                return redirect(url_for("password"))
            if not g.session.user.is_ad:
                abort(403, "Le suivi des coopératives est réservé à l'équipe de l'AD.")
            return view(*args, **kwargs)
        return wrapper

    def fresh() -> dict[str, Any]:
        """The summaries, after waiting a little for the refresh; and where it stands."""
        done = refresher.refresh()
        progress = summaries.progress
        return {"complet": done, "progression": progress, "calcul_erreur": refresher.error}

    def require_complete() -> None:
        """Downloads wait for the whole computation: a partial file would mislead."""
        if not fresh()["complet"]:
            abort(503, "Le calcul des coopératives est en cours : réessayez dans un instant.")

    def today() -> datetime.date:
        value = request.args.get("date")
        if value:
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                abort(400, f"Date « {value} » invalide : écrivez-la 2026-11-23.")
        return clock_today()

    def exercice_param(default: Exercice) -> Exercice:
        name = request.args.get("exercice", "").strip()
        if not name:
            return default
        try:
            return Exercice.parse(name)
        except InvalidExerciceError as exc:
            abort(400, str(exc))

    def rows_for(day: datetime.date):
        people = portal.accounts.mandataires_by_coop()
        return status_rows(summaries.all(), portal.ad.config, day, people, portal.accounts.mandataire_emails_by_coop())

    def download(data: bytes, mimetype: str, filename: str) -> Response:
        return Response(data, mimetype=mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    # -- dashboard ----------------------------------------------------------------------------
    @console.get("/")
    @ad_required
    def dashboard():
        state = fresh()
        day = today()
        rows = rows_for(day)
        filtre = request.args.get("filtre", "tous")
        if filtre not in FILTERS:
            filtre = "tous"
        shown = [r for r in rows if FILTERS[filtre][1](r)]
        date_query = f"&date={day.isoformat()}" if request.args.get("date") else ""
        return render_template("console/tableau.html", rows=shown, figures=counts(rows), filtres=FILTERS,
                               filtre=filtre, jour=day, exercice=exercice_to_submit(day), date_query=date_query,
                               **state)

    @console.get("/etat.<any(csv, xlsx, json):fmt>")
    @ad_required
    def status_export(fmt: str):
        require_complete()
        day = today()
        filtre = request.args.get("filtre", "tous")
        rows = [r for r in rows_for(day) if FILTERS.get(filtre, FILTERS["tous"])[1](r)]
        if fmt == "json":
            return Response(json.dumps([r.as_json() for r in rows], ensure_ascii=False),
                            mimetype="application/json")
        if fmt == "csv":
            return download(status_csv(rows), "text/csv", f"etat-coops-{day}.csv")
        return download(status_xlsx(rows, f"État des coopératives au {day:%d/%m/%Y}"), XLSX, f"etat-coops-{day}.xlsx")

    @console.get("/progression.json")
    @ad_required
    def progress():
        done, total = summaries.progress
        return {"en_cours": summaries.busy, "fait": done, "total": total}

    # -- comptes agrégés ---------------------------------------------------------------------
    def aggregated(exercice: Exercice):
        return aggregate(summaries.all(), load_chart(portal.root), portal.ad.config, exercice)

    @console.get("/comptes-agreges")
    @ad_required
    def aggregated_page():
        state = fresh()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        result = aggregated(exercice)
        ligne, compte = drill_down(result)
        vue = "comptes" if compte or request.args.get("vue") == "comptes" else "lignes"
        return render_template("console/agreges.html", ca=result, ligne=ligne, compte=compte, vue=vue, **state)

    def drill_down(result):
        """The CRF line (`ligne=`) or the account (`compte=6281`) asked for, or 404."""
        key, code = request.args.get("ligne", ""), request.args.get("compte", "")
        ligne = result.ligne(key) if key else None
        if key and ligne is None:
            abort(404, f"Aucune ligne « {key} » dans le CRF.")
        compte = result.compte(code) if code else None
        if code and compte is None:
            abort(404, f"Aucun compte « {code} » de charge ou de produit dans le plan comptable.")
        return ligne, compte

    @console.get("/comptes-agreges/<any(comptes, detail, reports):table>.<any(csv, xlsx):fmt>")
    @ad_required
    def aggregated_table(table: str, fmt: str):
        """The tables of the page as files: by account, one line's or account's detail, the
        report à nouveau control."""
        require_complete()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        result = aggregated(exercice)
        if table == "comptes":
            data = accounts_csv(result) if fmt == "csv" else accounts_xlsx(result)
            name = f"comptes-agreges-par-compte-{exercice}"
        elif table == "reports":
            data = reports_csv(result) if fmt == "csv" else reports_xlsx(result)
            name = f"report-a-nouveau-{exercice}"
        else:
            ligne, compte = drill_down(result)
            if ligne is None and compte is None:
                abort(400, "Indiquez la ligne du CRF (ligne=…) ou le compte (compte=6281).")
            item = ligne or compte
            titre = ligne.rubrique.libelle if ligne else f"{compte.compte.code} {compte.compte.libelle}"
            data = detail_csv(result, item.par_coop) if fmt == "csv" else detail_xlsx(result, item.par_coop, titre)
            name = f"comptes-agreges-{exercice}-{ligne.rubrique.key if ligne else compte.compte.code}"
        return download(data, "text/csv" if fmt == "csv" else XLSX, f"{name}.{fmt}")

    @console.get("/comptes-agreges.<any(pdf, xlsx):fmt>")
    @ad_required
    def aggregated_export(fmt: str):
        require_complete()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        result = aggregated(exercice)
        if fmt == "pdf":
            return download(aggregate_pdf(result), "application/pdf", f"comptes-agreges-{exercice}.pdf")
        return download(aggregate_xlsx(result), XLSX, f"comptes-agreges-{exercice}.xlsx")

    # -- sample ------------------------------------------------------------------------------
    @console.get("/echantillon")
    @ad_required
    def sample_page():
        state = fresh()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        graine = request.args.get("graine", "").strip()
        taux = request.args.get("taux", "10").strip()
        critere = request.args.get("critere", "taille").strip()
        day = today()
        result, erreur = None, None
        if graine:
            try:
                rate = int(taux)
                if not 1 <= rate <= 100:
                    raise ValueError
            except ValueError:
                erreur = f"Taux « {taux} » : écrivez un pourcentage entier entre 1 et 100."
            else:
                try:
                    result = draw(summaries.all(), exercice, graine, rate / 100, critere, portal.ad.config, day)
                except SamplingError as exc:
                    erreur = str(exc)
        return render_template("console/echantillon.html", exercice=exercice, graine=graine or new_seed(),
                               taux=taux, critere=critere, criteres=CRITERES, jour=day, echantillon=result,
                               erreur=erreur, **state), 400 if erreur else 200

    @console.get("/echantillon.<any(csv, xlsx):fmt>")
    @ad_required
    def sample_export(fmt: str):
        require_complete()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        try:
            result = draw(summaries.all(), exercice, request.args.get("graine", ""),
                          int(request.args.get("taux", "10")) / 100, request.args.get("critere", "taille"),
                          portal.ad.config, today())
        except (SamplingError, ValueError) as exc:
            abort(400, str(exc) if isinstance(exc, SamplingError) else "Taux invalide.")
        name = f"echantillon-{exercice}-{result.critere}-{result.graine}.{fmt}"
        if fmt == "csv":
            return download(sample_csv(result), "text/csv", name)
        return download(sample_xlsx(result), XLSX, name)

    # -- national export ---------------------------------------------------------------------
    @console.get("/export-national.<any(csv, parquet):fmt>")
    @ad_required
    def national_export(fmt: str):
        require_complete()
        exercice = exercice_param(exercice_to_submit(clock_today()))
        rows = national_rows(summaries.all(), load_chart(portal.root), portal.ad.numero, exercice)
        name = f"crf-ad{portal.ad.numero or 'xx'}-{exercice}.{fmt}"
        if fmt == "csv":
            return download(national_csv(rows), "text/csv", name)
        return download(national_parquet(rows), "application/vnd.apache.parquet", name)

    # -- history -----------------------------------------------------------------------------
    def coop_or_404(uai: str) -> str:
        if uai not in portal.ad.uais():
            abort(404, f"Il n'y a pas de coopérative {uai} dans cette AD.")
        return uai

    def date_param(name: str) -> datetime.date | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            abort(400, f"Date « {value} » invalide : choisissez-la dans le calendrier (aaaa-mm-jj).")

    @console.get("/coop/<uai>/historique")
    @ad_required
    def history(uai: str):
        uai = coop_or_404(uai)
        exercice = exercice_param(None) if request.args.get("exercice") else None
        auteur = request.args.get("auteur", "").strip() or None
        since, until = date_param("du"), date_param("au")
        commits = coop_history(portal.root, uai, exercice=exercice, auteur=auteur, limit=HISTORY_LIMIT,
                               since=since, until=until)
        summary = summaries.get(uai) or {}
        soldes = summary.get("soldes") or {}
        return render_template("console/historique.html", uai=uai, nom=summary.get("nom", ""), commits=commits,
                               banques=bank_balances(soldes), caisse=decimal(soldes.get("caisse")) if soldes else None,
                               exercices=sorted(summary.get("exercices", {})), filtres=request.args,
                               limite=HISTORY_LIMIT)

    @console.get("/coop/<uai>/vers/<path:rest>")
    @ad_required
    def goto(uai: str, rest: str):
        """A page of the coop's Fava (whose address holds a slug only Fava knows)."""
        uai = coop_or_404(uai)
        query = request.query_string.decode()
        return redirect(f"/coop/{uai}/{portal.pool.slug(uai)}/{rest}" + (f"?{query}" if query else ""))

    @console.get("/coop/<uai>/commit/<sha>")
    @ad_required
    def commit(uai: str, sha: str):
        uai = coop_or_404(uai)
        try:
            changes, diff = coop_commit(portal.root, uai, sha)
        except UnknownCommitError as exc:
            abort(404, str(exc))
        return render_template("console/commit.html", uai=uai, c=changes, diff=diff.splitlines())

    return console
