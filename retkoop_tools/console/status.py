"""The AD's dashboard: one row per coop, with what is late against the AD's deadlines.

Rows are built from the coops' summaries (`summary.py`) and today's date: the summaries are
cached, the lateness is decided here, at display time, by the same school calendar as the
mandataire's Tableau de bord (`tresorier/calendrier.py`), so both say the same.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from retkoop_tools.ad import echeance
from retkoop_tools.console.summary import decimal
from retkoop_tools.documents.dossier import SOUMIS, VERROUILLE
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, csv_bytes, xlsx_bytes
from retkoop_tools.tresorier import calendrier
from retkoop_tools.tresorier.calendrier import EN_RETARD

ETATS = {"absent": "Pas de fichier", "ouvert": "Ouvert", "clos": "Clôturé", "soumis": "CRF remis",
         "verrouille": "Verrouillé", "renvoye": "Renvoyé au mandataire"}
CRF_LABELS = {None: "—", "brouillon": "En préparation", "soumis": "Remis à l'AD",
              "verrouille": "Verrouillé", "renvoye": "Renvoyé", "illisible": "Fichier illisible"}
ADHESION_LABELS = {None: "Non déclarée", "declaree": "Déclarée", "validee": "Validée",
                   "payee": "Payée", "illisible": "Fichier illisible"}

#: The columns of the table, its CSV/XLSX exports and its JSON: (key, French title).
COLUMNS = (
    ("uai", "UAI"), ("nom", "École"), ("commune", "Commune"), ("mandataires", "Mandataire(s)"),
    ("derniere_operation", "Dernière opération"), ("dernier_releve", "Dernier relevé pointé"),
    ("dernier_arrete", "Dernier arrêté de caisse"), ("erreurs", "Erreurs"),
    ("etat", "Exercice à rendre"), ("crf", "CRF"), ("cra", "CRA"), ("adhesion", "Adhésion"),
    ("banque", "Banque"), ("caisse", "Caisse"), ("retards", "Retards et alertes"),
)


@dataclass
class BankBalance:
    """One of a coop's bank accounts in the console: 512 Banque, 514 Chèques postaux."""

    account: str
    code: str
    libelle: str
    solde: Decimal

    @property
    def title(self) -> str:
        """The account as a column heading names it: "Chèques postaux (514)"."""
        return f"{self.libelle} ({self.code})" if self.code else self.libelle


@dataclass
class StatusRow:
    uai: str
    nom: str
    commune: str
    mandataires: list[str]
    derniere_operation: datetime.date | None
    dernier_releve: datetime.date | None
    releve_ecart: Decimal
    dernier_arrete: datetime.date | None
    arrete_ecart: Decimal
    erreurs: int
    exercice: Exercice
    etat: str
    crf: str | None
    cra: bool
    annee: Exercice
    adhesion: str | None
    banque: Decimal
    caisse: Decimal
    operations: int
    banques: list[BankBalance] = field(default_factory=list)  # each bank account's balance (512, 514)
    retards: list[str] = field(default_factory=list)
    alertes: list[str] = field(default_factory=list)
    items: list = field(default_factory=list)  # the calendar's items (calendrier.Item), as the coop sees them

    @property
    def verdicts(self) -> dict[str, str]:
        """key → fait / a-venir / en-retard, as the coop's Tableau de bord says."""
        return calendrier.verdicts(self.items)

    @property
    def banques_detail(self) -> str:
        """Each bank account's balance, for a coop with two: "512 : 1 234,56 € / 514 : 100,00 €"."""
        return " / ".join(f"{b.code or b.libelle} : {fmt_eur(b.solde)}" for b in self.banques)

    @property
    def niveau(self) -> str:
        """`retard`, `alerte` or `ok`: how the row stands out."""
        return "retard" if self.retards else "alerte" if self.alertes else "ok"

    def cells(self) -> dict[str, Any]:
        """Typed values for exports (dates as dates, amounts as Decimal)."""
        return {
            "uai": self.uai, "nom": self.nom, "commune": self.commune,
            "mandataires": ", ".join(self.mandataires),
            "derniere_operation": self.derniere_operation, "dernier_releve": self.dernier_releve,
            "dernier_arrete": self.dernier_arrete, "erreurs": self.erreurs,
            "etat": f"{self.exercice} : {ETATS.get(self.etat, self.etat)}",
            "crf": CRF_LABELS.get(self.crf, self.crf), "cra": "Rempli" if self.cra else "—",
            "adhesion": f"{self.annee} : {ADHESION_LABELS.get(self.adhesion, self.adhesion)}",
            "banque": self.banque, "caisse": self.caisse,
            "retards": " ; ".join(self.retards + self.alertes),
        }

    def as_json(self) -> dict[str, Any]:
        cells = self.cells()
        for key, value in cells.items():
            if isinstance(value, datetime.date):
                cells[key] = value.isoformat()
            elif isinstance(value, Decimal):
                cells[key] = str(value)
        cells.update(niveau=self.niveau, exercice=str(self.exercice), etat_code=self.etat,
                     crf_code=self.crf, adhesion_code=self.adhesion, annee=str(self.annee),
                     mandataires=list(self.mandataires), retards_liste=self.retards, alertes=self.alertes,
                     echeancier=self.verdicts, banques={b.account: str(b.solde) for b in self.banques})
        return cells


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def bank_balances(soldes: dict[str, Any]) -> list[BankBalance]:
    """Each bank account's balance, from a summary's `soldes`."""
    names = soldes.get("noms_banques") or {}
    result = []
    for account, value in (soldes.get("banques") or {}).items():
        name = names.get(account) or {}
        result.append(BankBalance(account, str(name.get("code", "")),
                                  str(name.get("libelle", "") or account.rsplit(":", 1)[-1]), decimal(value)))
    return result


def exercice_to_submit(today: datetime.date) -> Exercice:
    """The exercice whose CRF the AD is collecting: the last one that has ended."""
    return Exercice.of_date(today).previous()


def state_of(summary: dict[str, Any], exercice: Exercice) -> str:
    state = summary.get("exercices", {}).get(str(exercice))
    if not state or not state.get("fichier"):
        return "absent"
    dossier = state.get("dossier")
    if dossier in (SOUMIS, VERROUILLE, "renvoye"):
        return dossier
    return "clos" if state.get("clos") else "ouvert"


def status_row(summary: dict[str, Any], ad_config: dict, today: datetime.date,
               mandataires: list[str] | None = None) -> StatusRow:
    exercice = exercice_to_submit(today)
    annee = Exercice.of_date(today)
    states = summary.get("exercices", {})
    past = states.get(str(exercice), {})
    current = states.get(str(annee), {})
    releve, arrete = summary.get("releve") or {}, summary.get("arrete") or {}
    row = StatusRow(
        uai=summary["uai"], nom=summary.get("nom", ""), commune=summary.get("commune", ""),
        mandataires=list(mandataires or []),
        derniere_operation=_date(summary.get("derniere_operation")),
        dernier_releve=_date(releve.get("date")), releve_ecart=decimal(releve.get("ecart")),
        dernier_arrete=_date(arrete.get("date")), arrete_ecart=decimal(arrete.get("ecart")),
        erreurs=int(summary.get("nb_erreurs", 0)),
        exercice=exercice, etat=state_of(summary, exercice), crf=past.get("dossier"),
        cra=bool(past.get("cra")), annee=annee, adhesion=current.get("adhesion"),
        banque=decimal(summary.get("soldes", {}).get("banque")),
        caisse=decimal(summary.get("soldes", {}).get("caisse")),
        operations=int(summary.get("operations", 0)),
        banques=bank_balances(summary.get("soldes", {})),
    )
    # The same calendar as the mandataire's Tableau de bord, on the same facts.
    row.items = calendrier.items(calendrier.facts_from_summary(summary, today), ad_config)
    state = {item.key: item for item in row.items}
    crf_due = echeance(ad_config, "crf", exercice.end)
    if "crf" in state and state["crf"].state == EN_RETARD:
        row.retards.append(f"CRF {exercice} attendu le {fmt_date(crf_due)}")
    if "cra" in state and state["cra"].state == EN_RETARD:
        row.alertes.append(f"CRA {exercice} non rempli")
    adhesion_due = echeance(ad_config, "adhesion", annee.start)
    if "adhesion" in state and state["adhesion"].state == EN_RETARD:
        row.retards.append(f"Adhésion {annee} attendue le {fmt_date(adhesion_due)}")
    if row.adhesion == "declaree":
        row.alertes.append(f"Adhésion {annee} à valider")
    if row.erreurs:
        row.alertes.append(f"{row.erreurs} erreur(s) dans les livres")
    if state["releve"].state == EN_RETARD:
        if row.dernier_releve is None:
            row.alertes.append("Aucun relevé pointé")
        elif row.releve_ecart:
            row.alertes.append(f"Écart de pointage {fmt_eur(row.releve_ecart)}")
        else:
            row.alertes.append(f"Relevé non pointé depuis le {fmt_date(row.dernier_releve)}")
    if state["caisse"].state == EN_RETARD:
        if row.dernier_arrete is None:
            row.alertes.append("Caisse jamais comptée")
        elif row.arrete_ecart:
            row.alertes.append(f"Écart de caisse {fmt_eur(row.arrete_ecart)}")
        else:
            row.alertes.append(f"Caisse non comptée depuis le {fmt_date(row.dernier_arrete)}")
    return row


def status_rows(summaries: dict[str, dict[str, Any]], ad_config: dict, today: datetime.date,
                people: dict[str, list[str]] | None = None) -> list[StatusRow]:
    """One row per coop, in UAI order; `people` gives each coop's mandataires by UAI."""
    people = people or {}
    return [status_row(summary, ad_config, today, people.get(uai)) for uai, summary in sorted(summaries.items())]


def counts(rows: list[StatusRow]) -> dict[str, int]:
    """The dashboard's headline figures."""
    return {
        "coops": len(rows),
        "retard": sum(1 for r in rows if r.retards),
        "erreurs": sum(1 for r in rows if r.erreurs),
        "crf_remis": sum(1 for r in rows if r.etat in (SOUMIS, VERROUILLE)),
        "adhesions": sum(1 for r in rows if r.adhesion in ("validee", "payee")),
        "a_valider": sum(1 for r in rows if r.adhesion == "declaree"),
    }


#: The widths of the XLSX columns, by key (a bank account's column: "banque:<account>").
_WIDTHS = {"uai": 11, "nom": 34, "commune": 20, "mandataires": 24, "derniere_operation": 12, "dernier_releve": 12,
           "dernier_arrete": 12, "erreurs": 8, "etat": 24, "crf": 16, "cra": 9, "adhesion": 22, "banque": 13,
           "caisse": 12, "retards": 60}


def bank_columns(rows: list[StatusRow]) -> list[BankBalance]:
    """The bank accounts the coops use (512, 514…), in code order: one export column each."""
    seen: dict[str, BankBalance] = {}
    for row in rows:
        for bank in row.banques:
            seen.setdefault(bank.account, bank)
    return sorted(seen.values(), key=lambda b: (b.code, b.account))


def _status_columns(rows: list[StatusRow]) -> list[tuple[str, str]]:
    """COLUMNS, the bank total followed by each bank account's balance ("dont Chèques postaux (514)")."""
    columns: list[tuple[str, str]] = []
    for key, title in COLUMNS:
        columns.append((key, title))
        if key == "banque":
            columns += [(f"banque:{b.account}", f"dont {b.title}") for b in bank_columns(rows)]
    return columns


def status_table(rows: list[StatusRow]) -> tuple[list[str], list[list[Any]]]:
    """Headers and typed values, for the CSV and XLSX exports: the bank's total, then one
    column per bank account (empty for a coop that does not have it)."""
    columns = _status_columns(rows)
    values = []
    for row in rows:
        cells = row.cells() | {f"banque:{b.account}": b.solde for b in row.banques}
        values.append([cells.get(key) for key, _ in columns])
    return [title for _, title in columns], values


def status_csv(rows: list[StatusRow]) -> bytes:
    headers, values = status_table(rows)
    return csv_bytes(headers, values)


def status_xlsx(rows: list[StatusRow], title: str = "") -> bytes:
    headers, values = status_table(rows)
    keys = [key for key, _ in _status_columns(rows)]
    fills = {i: "FDE2E1" if row.retards else "FFF4CE" for i, row in enumerate(rows) if row.niveau != "ok"}
    totals = tuple(i for i, key in enumerate(keys) if key in ("banque", "caisse") or key.startswith("banque:"))
    widths = tuple(_WIDTHS.get(key, 13) for key in keys)
    return xlsx_bytes([Sheet("Coopératives", headers, values, fills=fills, totals=totals, widths=widths)],
                      title=title)
