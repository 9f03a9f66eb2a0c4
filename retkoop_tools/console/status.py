"""The AD's dashboard: one row per coop, with what is late against the AD's deadlines.

Rows are built from the coops' summaries (`summary.py`) and today's date: the summaries are
cached, the lateness is decided here, at display time, by the same school calendar as the
mandataire's Tableau de bord (`tresorier/calendrier.py`), so both say the same.

Besides the deadlines, a row carries what the AD looks for when it checks a coop
(`anomalies.py`): overdrafts, negative remise or régie accounts, régies not returned by 31/08,
cheques issued and not debited for more than three months (`ad.yaml`: `regles:
{cheque-non-debite: {mois: 3}}`, the same delay as the rule's), the avertissements, the report à nouveau against the previous
closing, when the CRF was handed in and how late, the adhésion's amount and headcount, and
where to write to the mandataire.
"""

from __future__ import annotations

import datetime
import re
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
    ("banque", "Banque"), ("caisse", "Caisse"),
    ("crf_remis_le", "CRF remis le"), ("crf_retard", "Retard du CRF (jours)"),
    ("adhesion_montant", "Montant de l'adhésion"), ("eleves", "Élèves"), ("adultes", "Adultes"),
    ("emails", "E-mail pour les relances"), ("avertissements", "Avertissements"),
    ("decouvert", "Découvert bancaire"), ("negatifs", "Remise ou régie négative"),
    ("regies_ouvertes", "Régies non restituées au 31/08"),
    ("cheques_nb", "Chèques non débités > 3 mois"), ("cheques_montant", "Montant de ces chèques"),
    ("report", "Report à nouveau"),
    ("retards", "Retards et alertes"),
)
#: Months after which a cheque issued and not on any statement is pointed out (ad.yaml can change it).
CHEQUE_MONTHS = 3
_EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


@dataclass
class Negatif:
    """A watched account below zero: during an exercice (`exercice` set) or now."""

    libelle: str
    type: str  # banque, cheques, regie
    montant: Decimal  # the lowest balance (or the balance now)
    date: datetime.date | None  # when it was lowest
    exercice: str = ""

    def __str__(self) -> str:
        if self.exercice:
            return f"{self.libelle} à {fmt_eur(self.montant)} le {fmt_date(self.date)}" if self.date else self.libelle
        return f"{self.libelle} à {fmt_eur(self.montant)} aujourd'hui"


@dataclass
class ChequeEmis:
    date: datetime.date
    montant: Decimal
    numero: str
    piece: str
    libelle: str


@dataclass
class ReportControle:
    """The report à nouveau of an exercice against the previous closing."""

    exercice: str
    ouverture: Decimal
    cloture: Decimal
    comptes: list[dict] = field(default_factory=list)
    saisies: list[dict] = field(default_factory=list)

    @property
    def ecart(self) -> Decimal:
        return self.ouverture - self.cloture

    @property
    def ok(self) -> bool:
        return not self.ecart and not self.comptes and not self.saisies

    def __str__(self) -> str:
        previous = Exercice.parse(self.exercice).previous()
        if self.ok:
            return f"{self.exercice} : report = clôture {previous} ({fmt_eur(self.cloture)})"
        parts = [f"{self.exercice} : report {fmt_eur(self.ouverture)}, clôture {previous} {fmt_eur(self.cloture)}"
                 + (f" (écart {fmt_eur(self.ecart)})" if self.ecart else "")]
        parts += [f"{c['libelle']} reporté {fmt_eur(Decimal(c['ouverture'] or 0))} au lieu de "
                  f"{fmt_eur(Decimal(c['cloture']))}" for c in self.comptes]
        parts += [f"écriture d'ouverture ressaisie ({s['fichier']}:{s['ligne']}, {fmt_eur(Decimal(s['montant']))})"
                  for s in self.saisies]
        return " ; ".join(parts)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return datetime.date(year, month + 1, candidate)
        except ValueError:
            continue
    return datetime.date(year, month + 1, min(day.day, 28))


def cheque_months(ad_config: dict) -> int:
    """The AD's delay for a cheque not debited: the rule's (`regles: {cheque-non-debite: {mois: 3}}`),
    the one source of it; `console: {cheques_non_debites_mois}` is still read when the rule's is
    not written."""
    from retkoop_tools.checks.regles import ReglesError, parse_reglages

    try:
        reglages = parse_reglages(ad_config)
    except ReglesError:  # reported as an erreur of every coop; the national delay meanwhile
        return CHEQUE_MONTHS
    if ("cheque-non-debite", "mois") not in reglages.valeurs:
        try:
            legacy = ((ad_config or {}).get("console") or {}).get("cheques_non_debites_mois")
            if legacy is not None:
                return max(1, int(legacy))
        except (TypeError, ValueError):
            return CHEQUE_MONTHS
    return max(1, int(reglages.valeur("cheque-non-debite", "mois")))


def crf_delay(remis_le: datetime.date | None, due: datetime.date | None, today: datetime.date) -> int | None:
    """Days the CRF was (or is, while not handed in) past its deadline; None when on time."""
    if due is None:
        return None
    days = ((remis_le or today) - due).days
    return days if days > 0 else None


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
    avertissements: int = 0
    crf_remis_le: datetime.date | None = None
    crf_verrouille_le: datetime.date | None = None
    crf_echeance: datetime.date | None = None
    crf_retard: int | None = None  # days past the deadline (handed in late, or not yet)
    adhesion_montant: Decimal | None = None
    eleves: int = 0
    adultes: int = 0
    emails: list[str] = field(default_factory=list)
    negatifs: list[Negatif] = field(default_factory=list)  # during the exercices shown, and now
    regies_ouvertes: list[tuple[str, Decimal]] = field(default_factory=list)  # at the end of `exercice`
    cheques_anciens: list[ChequeEmis] = field(default_factory=list)
    cheques_depuis: datetime.date | None = None  # issued before this day
    reports: list[ReportControle] = field(default_factory=list)
    banques: list[BankBalance] = field(default_factory=list)  # each bank account's balance (512, 514)
    retards: list[str] = field(default_factory=list)
    alertes: list[str] = field(default_factory=list)
    items: list = field(default_factory=list)  # the calendar's items (calendrier.Item), as the coop sees them

    @property
    def verdicts(self) -> dict[str, str]:
        """key → fait / a-venir / en-retard, as the coop's Tableau de bord says."""
        return calendrier.verdicts(self.items)

    @property
    def decouverts(self) -> list[Negatif]:
        return [n for n in self.negatifs if n.type == "banque"]

    @property
    def comptes_negatifs(self) -> list[Negatif]:
        return [n for n in self.negatifs if n.type != "banque"]

    @property
    def cheques_montant(self) -> Decimal:
        return sum((c.montant for c in self.cheques_anciens), Decimal("0.00"))

    @property
    def report_ok(self) -> bool | None:
        """True when every report à nouveau checked equals the previous closing, None when
        none can be checked (the coop's first exercice)."""
        return all(r.ok for r in self.reports) if self.reports else None

    @property
    def report_texte(self) -> str:
        if not self.reports:
            return "—"
        wrong = [r for r in self.reports if not r.ok]
        return " ; ".join(str(r) for r in wrong) if wrong else "OK"

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
            "crf_remis_le": self.crf_remis_le, "crf_retard": self.crf_retard,
            "adhesion_montant": self.adhesion_montant, "eleves": self.eleves, "adultes": self.adultes,
            "emails": ", ".join(self.emails), "avertissements": self.avertissements,
            "decouvert": " ; ".join(str(n) for n in self.decouverts),
            "negatifs": " ; ".join(str(n) for n in self.comptes_negatifs),
            "regies_ouvertes": " ; ".join(f"{name} {fmt_eur(amount)}" for name, amount in self.regies_ouvertes),
            "cheques_nb": len(self.cheques_anciens), "cheques_montant": self.cheques_montant,
            "report": self.report_texte,
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
                     echeancier=self.verdicts, banques={b.account: str(b.solde) for b in self.banques},
                     emails=list(self.emails), report_ok=self.report_ok,
                     crf_verrouille_le=self.crf_verrouille_le.isoformat() if self.crf_verrouille_le else None,
                     cheques=[{"date": c.date.isoformat(), "montant": str(c.montant), "numero": c.numero,
                               "piece": c.piece, "libelle": c.libelle} for c in self.cheques_anciens])
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


def _emails(summary: dict[str, Any], today: datetime.date, known: list[str]) -> list[str]:
    """Where to write to the coop: its mandataire in office today (mandataires.yaml), the
    personal accounts of its mandataires, then the school's own address."""
    found = []
    mandats = [m for m in summary.get("mandats") or [] if (m.get("depuis") or "") <= today.isoformat()]
    if mandats:
        found.append(mandats[-1].get("email") or "")
    found += list(known)
    found.append(summary.get("email") or "")
    result = []
    for email in found:
        email = str(email).strip()
        if email and _EMAIL_RE.match(email) and email.lower() not in (e.lower() for e in result):
            result.append(email)
    return result


def _negatifs(summary: dict[str, Any], exercices: list[Exercice]) -> list[Negatif]:
    found = []
    for exercice in exercices:
        state = summary.get("exercices", {}).get(str(exercice)) or {}
        for n in state.get("negatifs") or []:
            found.append(Negatif(n["libelle"], n["type"], decimal(n["min"]), _date(n.get("date_min")), str(exercice)))
    for n in summary.get("negatifs") or []:
        found.append(Negatif(n["libelle"], n["type"], decimal(n["solde"]), None))
    return found


def status_row(summary: dict[str, Any], ad_config: dict, today: datetime.date,
               mandataires: list[str] | None = None, emails: list[str] | None = None) -> StatusRow:
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
        avertissements=int(summary.get("nb_avertissements", 0)),
        crf_remis_le=_date(past.get("remis_le")), crf_verrouille_le=_date(past.get("verrouille_le")),
        adhesion_montant=decimal(current["adhesion_montant"]) if current.get("adhesion_montant") else None,
        eleves=int(current.get("eleves") or 0), adultes=int(current.get("adultes") or 0),
        emails=_emails(summary, today, emails or []),
        banques=bank_balances(summary.get("soldes", {})),
    )
    shown = [exercice, annee]
    row.negatifs = _negatifs(summary, shown)
    row.regies_ouvertes = [(r["enseignant"], decimal(r["solde"])) for r in past.get("regies_ouvertes") or []]
    row.cheques_depuis = add_months(today, -cheque_months(ad_config))
    row.cheques_anciens = [
        ChequeEmis(_date(c["date"]), decimal(c["montant"]), c.get("numero", ""), c.get("piece", ""), c.get("libelle", ""))
        for c in summary.get("cheques_non_pointes") or [] if _date(c["date"]) < row.cheques_depuis]
    for ex in shown:
        report = (states.get(str(ex)) or {}).get("report")
        if report:
            row.reports.append(ReportControle(str(ex), decimal(report["ouverture"]), decimal(report["cloture"]),
                                              list(report.get("comptes") or []), list(report.get("saisies") or [])))
    # The same calendar as the mandataire's Tableau de bord, on the same facts.
    row.items = calendrier.items(calendrier.facts_from_summary(summary, today), ad_config)
    state = {item.key: item for item in row.items}
    crf_due = echeance(ad_config, "crf", exercice.end)
    row.crf_echeance = crf_due
    if row.etat in (SOUMIS, VERROUILLE) or "crf" in state:
        row.crf_retard = crf_delay(row.crf_remis_le if row.etat in (SOUMIS, VERROUILLE) else None, crf_due, today)
    if "crf" in state and state["crf"].state == EN_RETARD:
        row.retards.append(f"CRF {exercice} attendu le {fmt_date(crf_due)}")
    elif row.etat in (SOUMIS, VERROUILLE) and row.crf_remis_le and row.crf_retard:
        row.retards.append(f"CRF {exercice} remis le {fmt_date(row.crf_remis_le)}, {row.crf_retard} jours "
                           f"après l'échéance du {fmt_date(crf_due)}")
    if "cra" in state and state["cra"].state == EN_RETARD:
        row.alertes.append(f"CRA {exercice} non rempli")
    adhesion_due = echeance(ad_config, "adhesion", annee.start)
    if "adhesion" in state and state["adhesion"].state == EN_RETARD:
        row.retards.append(f"Adhésion {annee} attendue le {fmt_date(adhesion_due)}")
    if row.adhesion == "declaree":
        row.alertes.append(f"Adhésion {annee} à valider")
    if row.erreurs:
        row.alertes.append(f"{row.erreurs} erreur(s) dans les livres")
    if row.avertissements:
        row.alertes.append(f"{row.avertissements} avertissement(s)")
    # Short: the details are in their own columns.
    if row.decouverts:
        row.alertes.append(f"Découvert bancaire (jusqu'à {fmt_eur(min(n.montant for n in row.decouverts))})")
    if row.comptes_negatifs:
        row.alertes.append("Remise ou régie négative : " + ", ".join(dict.fromkeys(n.libelle for n in row.comptes_negatifs)))
    if row.regies_ouvertes:
        row.alertes.append(f"Régie non restituée au {fmt_date(exercice.end)} : "
                           + ", ".join(f"{name} ({fmt_eur(amount)})" for name, amount in row.regies_ouvertes))
    if row.cheques_anciens:
        row.alertes.append(f"{len(row.cheques_anciens)} chèque(s) non débité(s) depuis plus de {cheque_months(ad_config)} "
                           f"mois ({fmt_eur(row.cheques_montant)})")
    for report in row.reports:
        if not report.ok:
            row.alertes.append(f"Report à nouveau {report.exercice} ≠ clôture {Exercice.parse(report.exercice).previous()}")
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
                people: dict[str, list[str]] | None = None,
                emails: dict[str, list[str]] | None = None) -> list[StatusRow]:
    """One row per coop, in UAI order; `people` gives each coop's mandataires by UAI, `emails`
    the e-mails of their personal accounts."""
    people, emails = people or {}, emails or {}
    return [status_row(summary, ad_config, today, people.get(uai), emails.get(uai))
            for uai, summary in sorted(summaries.items())]


#: The dashboard's filters: key → (French label, test of a row). The web page and `retkoop ad etat
#: --filtre` offer the same.
FILTERS = {
    "tous": ("Toutes", lambda r: True),
    "retard": ("En retard", lambda r: bool(r.retards)),
    "alerte": ("À suivre", lambda r: bool(r.alertes) and not r.retards),
    "erreurs": ("Avec erreurs", lambda r: r.erreurs > 0),
    "avertissements": ("Avec avertissements", lambda r: r.avertissements > 0),
    "adhesion": ("Adhésion à valider", lambda r: r.adhesion == "declaree"),
    "crf-retard": ("CRF en retard", lambda r: bool(r.crf_retard)),
    "decouvert": ("Découvert bancaire", lambda r: bool(r.decouverts)),
    "negatifs": ("Remise ou régie négative", lambda r: bool(r.comptes_negatifs)),
    "regies": ("Régies non restituées", lambda r: bool(r.regies_ouvertes)),
    "cheques": ("Chèques non débités", lambda r: bool(r.cheques_anciens)),
    "report": ("Report à nouveau à revoir", lambda r: r.report_ok is False),
}


def counts(rows: list[StatusRow]) -> dict[str, int]:
    """The dashboard's headline figures."""
    return {
        "coops": len(rows),
        "retard": sum(1 for r in rows if r.retards),
        "erreurs": sum(1 for r in rows if r.erreurs),
        "crf_remis": sum(1 for r in rows if r.etat in (SOUMIS, VERROUILLE)),
        "adhesions": sum(1 for r in rows if r.adhesion in ("validee", "payee")),
        "a_valider": sum(1 for r in rows if r.adhesion == "declaree"),
        "avertissements": sum(1 for r in rows if r.avertissements),
        "decouverts": sum(1 for r in rows if r.decouverts),
        "cheques": sum(1 for r in rows if r.cheques_anciens),
        "reports": sum(1 for r in rows if r.report_ok is False),
    }


#: The widths of the XLSX columns, by key (a bank account's column: "banque:<account>").
_WIDTHS = {"uai": 11, "nom": 34, "commune": 20, "mandataires": 24, "derniere_operation": 12, "dernier_releve": 12,
           "dernier_arrete": 12, "erreurs": 8, "etat": 24, "crf": 16, "cra": 9, "adhesion": 22, "banque": 13,
           "caisse": 12, "crf_remis_le": 12, "crf_retard": 10, "eleves": 8, "adultes": 8, "emails": 28,
           "avertissements": 10, "decouvert": 40, "negatifs": 40, "regies_ouvertes": 30, "cheques_nb": 10,
           "report": 50, "retards": 60}


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
    totals = tuple(i for i, key in enumerate(keys)
                   if key in ("banque", "caisse", "adhesion_montant", "cheques_montant") or key.startswith("banque:"))
    widths = tuple(_WIDTHS.get(key, 13) for key in keys)
    return xlsx_bytes([Sheet("Coopératives", headers, values, fills=fills, totals=totals, widths=widths)],
                      title=title)
