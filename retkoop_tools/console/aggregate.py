"""Comptes agrégés: the AD's accounts for an exercice, as the sum of its coops' CRFs.

Every total can be traced back to the coops: each line keeps its amount per coop, and the
controls check that the parts add up (lines to totals, coops' résultats to the AD's, each
coop's bank balance against its statement, each coop's balance sheet). Coops not closed,
with errors or without the exercice are listed, since their figures are provisional.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from retkoop_tools.chart import Chart, Rubrique
from retkoop_tools.console.status import ETATS, state_of
from retkoop_tools.console.summary import decimal
from retkoop_tools.documents.source import ad_identity
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, xlsx_bytes

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

    def total(self, attr: str) -> Decimal:
        return sum((getattr(c, attr) or ZERO for c in self.coops), ZERO)


def _controls(result: ComptesAgreges) -> list[Controle]:
    controls = []
    coops = result.coops
    wrong_totals = [c.uai for c in coops
                    if sum((c.lignes.get(ligne.rubrique.key, ZERO) for ligne in result.charges), ZERO) != c.charges
                    or sum((c.lignes.get(ligne.rubrique.key, ZERO) for ligne in result.produits), ZERO) != c.produits]
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
        ))

    def lines(sens: str) -> list[LigneAgregee]:
        return [LigneAgregee(r, {c.uai: c.lignes.get(r.key, ZERO) for c in coops})
                for r in rubriques if r.sens == sens]

    result = ComptesAgreges(exercice, ad_identity(ad_config), today or datetime.date.today(),
                            lines("charge"), lines("produit"), coops, absentes)
    result.controles = _controls(result)
    return result


def aggregate_xlsx(result: ComptesAgreges) -> bytes:
    """Four sheets: the accounts, every coop by line (the trace), the controls, the provisional."""
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
        Sheet("Provisoires", ["UAI", "École", "État", "Erreurs"],
              [[c.uai, c.nom, c.etat_libelle, c.erreurs] for c in result.provisoires]
              + [[uai, nom, "Sans cet exercice", 0] for uai, nom in result.absentes], widths=(11, 34, 24, 8)),
    ], title=f"Comptes agrégés {result.exercice} – {result.ad.get('nom', '')}")


def aggregate_pdf(result: ComptesAgreges) -> bytes:
    from retkoop_tools.documents.render import html_to_pdf, render_html

    return html_to_pdf(render_html("comptes_agreges.html", ca=result, ad=result.ad, genere_le=result.genere_le))
