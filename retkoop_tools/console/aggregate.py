"""Comptes agrégés: the AD's accounts for an exercice, as the sum of its coops' CRFs.

Every total can be traced back to the coops: each CRF line and each account of the chart
(6281, 6168…) keeps its amount per coop, and the controls check that the parts add up
(accounts to lines, lines to totals, coops' résultats to the AD's, each coop's bank balance
against its statement, each coop's balance sheet, each coop's report à nouveau against the
previous closing). Coops not closed, with errors or without the exercice are listed, since
their figures are provisional.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from retkoop_tools.chart import Chart, Compte, Rubrique
from retkoop_tools.console.status import ETATS, state_of
from retkoop_tools.console.summary import decimal
from retkoop_tools.documents.source import ad_identity
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, csv_bytes, xlsx_bytes

ZERO = Decimal(0)


@dataclass
class CoopAgregee:
    """One coop's part of the aggregated accounts."""

    uai: str
    nom: str
    etat: str
    erreurs: int
    lignes: dict[str, Decimal]
    charges: Decimal
    produits: Decimal
    report: Decimal
    actif: Decimal
    equilibre: bool
    banque: Decimal  # book balance of the bank at 31/08
    releve: Decimal | None  # statement balance at the closing statement
    ecart_rapprochement: Decimal | None
    position_etablie: bool = True  # statement and cash count at 31/08
    comptes: dict[str, Decimal] = field(default_factory=dict)  # by chart code
    controle_report: dict | None = None  # the report à nouveau control of this exercice (anomalies.py)

    @property
    def resultat(self) -> Decimal:
        return self.produits - self.charges

    @property
    def etat_libelle(self) -> str:
        return ETATS.get(self.etat, self.etat)

    @property
    def definitive(self) -> bool:
        return self.etat in ("clos", "soumis", "verrouille") and not self.erreurs


@dataclass
class LigneAgregee:
    rubrique: Rubrique
    par_coop: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.par_coop.values(), ZERO)


@dataclass
class CompteAgrege:
    """One account of the chart (6281, 6168…), summed over the coops."""

    compte: Compte
    par_coop: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.par_coop.values(), ZERO)

    @property
    def coops(self) -> int:
        return sum(1 for v in self.par_coop.values() if v)


@dataclass
class ReportCoop:
    """One coop's report à nouveau for the exercice against its previous closing."""

    uai: str
    nom: str
    ouverture: Decimal | None  # None: the coop's first exercice, nothing to compare with
    cloture: Decimal | None
    comptes: list[dict] = field(default_factory=list)
    saisies: list[dict] = field(default_factory=list)
    definitif: bool = False  # written by the previous exercice's closing

    @property
    def verifiable(self) -> bool:
        return self.ouverture is not None

    @property
    def ecart(self) -> Decimal:
        return (self.ouverture or ZERO) - (self.cloture or ZERO)

    @property
    def ok(self) -> bool:
        return not self.verifiable or (not self.ecart and not self.comptes and not self.saisies)

    @property
    def detail(self) -> str:
        if not self.verifiable:
            return "Premier exercice dans les livres : pas d'exercice précédent à comparer."
        parts = []
        if self.ecart:
            parts.append(f"écart {fmt_eur(self.ecart)}")
        parts += [f"{c['libelle']} reporté {fmt_eur(Decimal(c['ouverture'] or 0))} au lieu de "
                  f"{fmt_eur(Decimal(c['cloture']))}" for c in self.comptes]
        parts += [f"écriture d'ouverture ressaisie le {s['date'][8:10]}/{s['date'][5:7]}/{s['date'][:4]} "
                  f"({s['fichier']}:{s['ligne']}, {fmt_eur(Decimal(s['montant']))})" for s in self.saisies]
        if not parts:
            return "Égal à la clôture" + ("" if self.definitif else " (report provisoire : exercice précédent non clôturé)")
        return " ; ".join(parts)


@dataclass
class Controle:
    libelle: str
    ok: bool
    detail: str


@dataclass
class ComptesAgreges:
    exercice: Exercice
    ad: dict
    genere_le: datetime.date
    charges: list[LigneAgregee]
    produits: list[LigneAgregee]
    coops: list[CoopAgregee]
    absentes: list[tuple[str, str]]  # (uai, nom) of coops without this exercice
    controles: list[Controle] = field(default_factory=list)
    comptes: list[CompteAgrege] = field(default_factory=list)  # every charge and produit account, in CRF order
    reports: list[ReportCoop] = field(default_factory=list)

    @property
    def total_charges(self) -> Decimal:
        return sum((ligne.total for ligne in self.charges), ZERO)

    @property
    def total_produits(self) -> Decimal:
        return sum((ligne.total for ligne in self.produits), ZERO)

    @property
    def resultat(self) -> Decimal:
        return self.total_produits - self.total_charges

    @property
    def provisoires(self) -> list[CoopAgregee]:
        return [c for c in self.coops if not c.definitive]

    def ligne(self, key: str) -> LigneAgregee | None:
        return next((ligne for ligne in self.charges + self.produits if ligne.rubrique.key == key), None)

    def compte(self, code: str) -> CompteAgrege | None:
        return next((c for c in self.comptes if c.compte.code == code), None)

    def comptes_de(self, sens: str) -> list[CompteAgrege]:
        return [c for c in self.comptes if c.compte.sens == sens]

    @property
    def reports_a_revoir(self) -> list[ReportCoop]:
        return [r for r in self.reports if not r.ok]

    def total(self, attr: str) -> Decimal:
        return sum((getattr(c, attr) or ZERO for c in self.coops), ZERO)


def _controls(result: ComptesAgreges) -> list[Controle]:
    controls = []
    coops = result.coops
    wrong_totals = [c.uai for c in coops
                    if sum((c.lignes.get(ligne.rubrique.key, ZERO) for ligne in result.charges), ZERO) != c.charges
                    or sum((c.lignes.get(ligne.rubrique.key, ZERO) for ligne in result.produits), ZERO) != c.produits]
    rubriques = {ligne.rubrique.key for ligne in result.charges + result.produits}
    by_line: dict[tuple[str, str], Decimal] = {}
    for compte in result.comptes:
        for uai, amount in compte.par_coop.items():
            key = (uai, compte.compte.rubrique.key)
            by_line[key] = by_line.get(key, ZERO) + amount
    wrong_accounts = [c.uai for c in coops
                      if any(by_line.get((c.uai, key), ZERO) != c.lignes.get(key, ZERO) for key in rubriques)]
    controls.append(Controle(
        "Les comptes de chaque coopérative font ses lignes du CRF", not wrong_accounts,
        "Chaque ligne du CRF = somme de ses comptes (6281, 6168…)." if not wrong_accounts
        else "Écart pour : " + ", ".join(wrong_accounts)))
    controls.append(Controle(
        "Les lignes de chaque coopérative font ses totaux", not wrong_totals,
        "Charges et produits de chaque CRF = somme de ses lignes." if not wrong_totals
        else "Écart pour : " + ", ".join(wrong_totals)))
    sum_results = sum((c.resultat for c in coops), ZERO)
    controls.append(Controle(
        "Résultat de l'AD = somme des résultats des coopératives", sum_results == result.resultat,
        f"Somme des résultats {fmt_eur(sum_results)} ; produits − charges agrégés {fmt_eur(result.resultat)}."))
    unbalanced = [c.uai for c in coops if not c.equilibre]
    controls.append(Controle(
        "Bilan de chaque coopérative équilibré (actif = report à nouveau + résultat)", not unbalanced,
        f"Actif total {fmt_eur(result.total('actif'))} = report {fmt_eur(result.total('report'))} "
        f"+ résultat {fmt_eur(sum_results)}." if not unbalanced
        else "Déséquilibré pour : " + ", ".join(unbalanced)))
    no_statement = [c.uai for c in coops if c.releve is None]
    gaps = [c.uai for c in coops if c.ecart_rapprochement not in (None, ZERO)]
    unsettled = [c.uai for c in coops if c.releve is not None and not c.position_etablie]
    controls.append(Controle(
        "Banque des livres rapprochée du relevé au 31/08", not no_statement and not gaps and not unsettled,
        f"Banque des livres au 31/08 {fmt_eur(result.total('banque'))}, relevés {fmt_eur(result.total('releve'))}"
        + (f" ; sans relevé de clôture : {', '.join(no_statement)}" if no_statement else "")
        + (f" ; écart de rapprochement : {', '.join(gaps)}" if gaps else "")
        + (f" ; position non établie au 31/08 (dernier relevé ou comptage de caisse antérieur) : "
           f"{', '.join(unsettled)}" if unsettled else "") + "."))
    checked = [r for r in result.reports if r.verifiable]
    wrong = result.reports_a_revoir
    controls.append(Controle(
        "Report à nouveau de chaque coopérative = clôture de l'exercice précédent", not wrong,
        (f"{len(checked)} coopérative(s) vérifiée(s), égales à leur clôture {result.exercice.previous()}"
         if not wrong else "À revoir pour : " + ", ".join(f"{r.uai} ({r.detail})" for r in wrong))
        + (f" ; {len(result.reports) - len(checked)} sans exercice précédent dans les livres"
           if len(result.reports) > len(checked) else "") + "."))
    provisional = result.provisoires
    controls.append(Controle(
        "Toutes les coopératives sont clôturées et sans erreur", not provisional and not result.absentes,
        f"{len(coops) - len(provisional)} sur {len(coops) + len(result.absentes)} définitives"
        + (f" ; {len(provisional)} provisoire(s)" if provisional else "")
        + (f" ; {len(result.absentes)} sans cet exercice" if result.absentes else "") + "."))
    return controls


def aggregate(summaries: dict[str, dict[str, Any]], chart: Chart, ad_config: dict, exercice: Exercice,
              today: datetime.date | None = None) -> ComptesAgreges:
    """The aggregated accounts of `exercice` from every coop's summary."""
    rubriques = sorted(chart.rubriques.values(), key=lambda r: r.order)
    coops, absentes = [], []
    for uai, summary in sorted(summaries.items()):
        state = summary.get("exercices", {}).get(str(exercice))
        if not state or not state.get("crf"):
            absentes.append((uai, summary.get("nom", "")))
            continue
        crf = state["crf"]
        coops.append(CoopAgregee(
            uai=uai, nom=summary.get("nom", ""), etat=state_of(summary, exercice),
            erreurs=int(summary.get("nb_erreurs", 0)),
            lignes={key: decimal(value) for key, value in crf["lignes"].items()},
            charges=decimal(crf["charges"]), produits=decimal(crf["produits"]), report=decimal(crf["report"]),
            actif=decimal(crf["actif"]), equilibre=bool(crf["equilibre"]), banque=decimal(crf["banque"]),
            releve=decimal(crf["releve_solde"]) if crf.get("releve_solde") is not None else None,
            ecart_rapprochement=(decimal(crf["ecart_rapprochement"])
                                 if crf.get("ecart_rapprochement") is not None else None),
            position_etablie=bool(crf.get("position_etablie", True)),
            comptes={code: decimal(value) for code, value in (crf.get("comptes") or {}).items()},
            controle_report=state.get("report"),
        ))

    def lines(sens: str) -> list[LigneAgregee]:
        return [LigneAgregee(r, {c.uai: c.lignes.get(r.key, ZERO) for c in coops})
                for r in rubriques if r.sens == sens]

    result = ComptesAgreges(exercice, ad_identity(ad_config), today or datetime.date.today(),
                            lines("charge"), lines("produit"), coops, absentes)
    result.comptes = [CompteAgrege(compte, {c.uai: c.comptes.get(compte.code, ZERO) for c in coops})
                      for compte in chart.ventilation_comptes()]
    for c in coops:
        report = c.controle_report
        result.reports.append(ReportCoop(
            c.uai, c.nom, decimal(report["ouverture"]) if report else None,
            decimal(report["cloture"]) if report else None,
            list((report or {}).get("comptes") or []), list((report or {}).get("saisies") or []),
            bool((report or {}).get("definitif"))))
    result.controles = _controls(result)
    return result


ACCOUNT_HEADERS = ("Sens", "Compte", "Libellé", "Ligne du CRF", "Montant", "Coopératives concernées")
DETAIL_HEADERS = ("UAI", "École", "État", "Erreurs", "Montant")
REPORT_HEADERS = ("UAI", "École", "Report à nouveau", "Clôture de l'exercice précédent", "Écart", "Résultat", "Détail")


def accounts_rows(result: ComptesAgreges) -> list[list[Any]]:
    """One row per account of the chart (charges, then produits), with the totals of each side."""
    rows: list[list[Any]] = []
    for titre, sens in (("Charges", "charge"), ("Produits", "produit")):
        comptes = result.comptes_de(sens)
        for c in comptes:
            rows.append([titre, c.compte.code, c.compte.libelle, c.compte.rubrique.libelle, c.total, c.coops])
        rows.append([titre, "", f"Total des {titre.lower()}", "", sum((c.total for c in comptes), ZERO),
                     len(result.coops)])
    return rows


def accounts_csv(result: ComptesAgreges) -> bytes:
    return csv_bytes(ACCOUNT_HEADERS, accounts_rows(result))


def _accounts_by_coop(result: ComptesAgreges) -> tuple[list[str], list[list[Any]]]:
    headers = ["UAI", "École", "État", "Erreurs",
               *[f"{c.compte.code} {c.compte.libelle}" for c in result.comptes]]
    rows = [[coop.uai, coop.nom, coop.etat_libelle, coop.erreurs,
             *[c.par_coop.get(coop.uai, ZERO) for c in result.comptes]] for coop in result.coops]
    return headers, rows


def detail_rows(result: ComptesAgreges, par_coop: dict[str, Decimal]) -> list[list[Any]]:
    """One row per coop of a line's or an account's amounts (the drill-down)."""
    return [[c.uai, c.nom, c.etat_libelle, c.erreurs, par_coop.get(c.uai, ZERO)] for c in result.coops]


def detail_csv(result: ComptesAgreges, par_coop: dict[str, Decimal]) -> bytes:
    return csv_bytes(DETAIL_HEADERS, detail_rows(result, par_coop))


def detail_xlsx(result: ComptesAgreges, par_coop: dict[str, Decimal], titre: str) -> bytes:
    return xlsx_bytes([Sheet(titre[:31], DETAIL_HEADERS, detail_rows(result, par_coop), totals=(4,),
                             widths=(11, 34, 24, 8, 14))], title=f"{titre} – {result.exercice}")


def reports_rows(result: ComptesAgreges) -> list[list[Any]]:
    return [[r.uai, r.nom, r.ouverture, r.cloture, r.ecart if r.verifiable else None,
             ("OK" if r.ok else "À VOIR") if r.verifiable else "—", r.detail] for r in result.reports]


def reports_csv(result: ComptesAgreges) -> bytes:
    return csv_bytes(REPORT_HEADERS, reports_rows(result))


def reports_xlsx(result: ComptesAgreges) -> bytes:
    return xlsx_bytes([Sheet("Report à nouveau", REPORT_HEADERS, reports_rows(result),
                             widths=(11, 34, 16, 16, 14, 10, 80))], title=f"Report à nouveau {result.exercice}")


def accounts_xlsx(result: ComptesAgreges) -> bytes:
    headers, rows = _accounts_by_coop(result)
    return xlsx_bytes([
        Sheet(f"Par compte {result.exercice}", ACCOUNT_HEADERS, accounts_rows(result), widths=(10, 9, 44, 34, 16, 12)),
        Sheet("Comptes par coopérative", headers, rows, totals=tuple(range(4, len(headers))),
              widths=(11, 34, 16, 8, *[14] * (len(headers) - 4))),
    ], title=f"Comptes agrégés par compte {result.exercice} – {result.ad.get('nom', '')}")


def aggregate_xlsx(result: ComptesAgreges) -> bytes:
    """The accounts by CRF line, every coop by line (the trace), the controls, the accounts by
    account of the chart and every coop by account, the report à nouveau control, the provisional."""
    summary_rows: list[list[Any]] = []
    for titre, lignes, total in (("Charges", result.charges, result.total_charges),
                                 ("Produits", result.produits, result.total_produits)):
        for ligne in lignes:
            summary_rows.append([titre, ligne.rubrique.libelle, ligne.total,
                                 sum(1 for v in ligne.par_coop.values() if v)])
        summary_rows.append([titre, f"Total des {titre.lower()}", total, len(result.coops)])
    summary_rows.append(["Résultat", "Produits − charges", result.resultat, len(result.coops)])
    lignes = result.charges + result.produits
    coop_headers = ["UAI", "École", "État", "Erreurs", *[f"{'C' if l.rubrique.sens == 'charge' else 'P'} – "
                                                          f"{l.rubrique.libelle}" for l in lignes],
                    "Total charges", "Total produits", "Résultat", "Report à nouveau", "Actif",
                    "Banque (livres)", "Banque (relevé)", "Écart de rapprochement"]
    coop_rows = [[c.uai, c.nom, c.etat_libelle, c.erreurs, *[c.lignes.get(l.rubrique.key, ZERO) for l in lignes],
                  c.charges, c.produits, c.resultat, c.report, c.actif, c.banque, c.releve, c.ecart_rapprochement]
                 for c in result.coops]
    first_total = 4
    totals = tuple(range(first_total, len(coop_headers)))
    return xlsx_bytes([
        Sheet(f"Comptes agrégés {result.exercice}", ["Sens", "Ligne du CRF", "Montant", "Coopératives concernées"],
              summary_rows, widths=(10, 44, 16, 12)),
        Sheet("Par coopérative", coop_headers, coop_rows, totals=totals,
              widths=(11, 34, 16, 8, *[14] * (len(coop_headers) - 4))),
        Sheet("Contrôles", ["Contrôle", "Résultat", "Détail"],
              [[c.libelle, "OK" if c.ok else "À VOIR", c.detail] for c in result.controles], widths=(60, 10, 100)),
        Sheet("Par compte", ACCOUNT_HEADERS, accounts_rows(result), widths=(10, 9, 44, 34, 16, 12)),
        Sheet("Comptes par coopérative", *_accounts_by_coop(result), totals=tuple(range(4, 4 + len(result.comptes))),
              widths=(11, 34, 16, 8, *[14] * len(result.comptes))),
        Sheet("Report à nouveau", REPORT_HEADERS, reports_rows(result), widths=(11, 34, 16, 16, 14, 10, 80)),
        Sheet("Provisoires", ["UAI", "École", "État", "Erreurs"],
              [[c.uai, c.nom, c.etat_libelle, c.erreurs] for c in result.provisoires]
              + [[uai, nom, "Sans cet exercice", 0] for uai, nom in result.absentes], widths=(11, 34, 24, 8)),
    ], title=f"Comptes agrégés {result.exercice} – {result.ad.get('nom', '')}")


def aggregate_pdf(result: ComptesAgreges) -> bytes:
    from retkoop_tools.documents.render import html_to_pdf, render_html

    return html_to_pdf(render_html("comptes_agreges.html", ca=result, ad=result.ad, genere_le=result.genere_le))
