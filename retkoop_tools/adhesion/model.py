"""The adhésion of a coop for a school year: rates from `ad.yaml`, declaration as data.

`ad.yaml`:

    adhesion:
      "2025-2026":
        eleve: 2.05              # cotisation par élève
        adulte: 8.00             # cotisation par adulte
        assurance: 0.25          # assurance par membre (élève ou adulte)
        revue: 6.50              # abonnement facultatif à « Animation & Éducation »
        seuil_biens: 2000        # biens de la coopérative assurés sans supplément jusqu'à…
        coefficient_biens: 0.00688   # … puis tant par euro déclaré au-delà

The mandataire's declaration lives in `ledgers/<UAI>/adhesion-2025-2026.yaml`: the classes
(level, pupils, adults), the options, the engagement, then the AD's validation and the
payment, with their history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import yaml

from retkoop_tools.fr import now_paris
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.tresorier.parsing import parse_amount

DECLAREE, VALIDEE, PAYEE = "declaree", "validee", "payee"
STATUTS = {DECLAREE: "Déclarée, en attente de validation par l'AD", VALIDEE: "Validée par l'AD",
           PAYEE: "Validée et payée"}
NIVEAUX = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "ULIS", "UPE2A", "Multiniveau")
CENT = Decimal("0.01")
#: Chart codes the adhésion is booked to: cotisations, insurance, the review's subscription.
CODE_COTISATION, CODE_ASSURANCE, CODE_REVUE = "6281", "6168", "6181"


class AdhesionError(ValueError):
    """Rates missing or a declaration unreadable; the message is in French."""


def adhesion_filename(exercice: Exercice) -> str:
    return f"adhesion-{exercice}.yaml"


def _decimal(value, name: str, year: Exercice) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation as exc:
        raise AdhesionError(f"ad.yaml : le tarif « {name} » de {year} n'est pas un nombre.") from exc


@dataclass(frozen=True)
class Tarifs:
    exercice: Exercice
    eleve: Decimal
    adulte: Decimal
    assurance: Decimal
    revue: Decimal
    seuil_biens: Decimal
    coefficient_biens: Decimal


def tarifs(ad_config: dict, exercice: Exercice) -> Tarifs:
    years = (ad_config or {}).get("adhesion") or {}
    raw = years.get(str(exercice))
    if not isinstance(raw, dict):
        raise AdhesionError(f"L'AD n'a pas encore publié ses tarifs d'adhésion {exercice} "
                            "(ad.yaml, rubrique adhesion).")
    return Tarifs(exercice, *(_decimal(raw.get(k), k, exercice) for k in
                              ("eleve", "adulte", "assurance", "revue")),
                  _decimal(raw.get("seuil_biens", 2000), "seuil_biens", exercice),
                  _decimal(raw.get("coefficient_biens", 0), "coefficient_biens", exercice))


@dataclass
class Classe:
    niveau: str
    enseignant: str
    eleves: int
    adultes: int


@dataclass
class Evenement:
    le: str
    par: str
    action: str
    detail: str = ""


@dataclass
class Declaration:
    exercice: Exercice
    classes: list[Classe] = field(default_factory=list)
    revue: bool = False
    biens: Decimal = Decimal(0)  # value of the coop's property declared for insurance
    participation: Decimal = Decimal(0)  # voluntary participation to the AD
    mandataire: str = ""
    engagement: bool = False
    statut: str = DECLAREE
    paiement: str = ""  # pièce of the ledger entry, once paid
    historique: list[Evenement] = field(default_factory=list)

    @property
    def eleves(self) -> int:
        return sum(c.eleves for c in self.classes)

    @property
    def adultes(self) -> int:
        return sum(c.adultes for c in self.classes)

    @property
    def membres(self) -> int:
        return self.eleves + self.adultes

    @property
    def statut_libelle(self) -> str:
        return STATUTS.get(self.statut, self.statut)

    def event(self, action: str, par: str, detail: str = "") -> None:
        now = now_paris().isoformat()
        self.historique.append(Evenement(now, par, action, detail))

    def dump(self) -> str:
        content = {
            "exercice": str(self.exercice),
            "classes": [vars(c) for c in self.classes],
            "options": {"revue": self.revue, "biens_declares": str(self.biens),
                        "participation_volontaire": str(self.participation)},
            "mandataire": {"nom": self.mandataire, "engagement": self.engagement},
            "statut": self.statut,
            "paiement": self.paiement,
            "historique": [{k: v for k, v in vars(e).items() if v or k != "detail"} for e in self.historique],
        }
        return (f"# Adhésion {self.exercice} de la coopérative : déclaration du mandataire, "
                "validation de l'AD.\n# Écrit par retkoop (page « Adhésion »).\n"
                + yaml.safe_dump(content, allow_unicode=True, sort_keys=False))


def load_declaration(coop_dir: Path, exercice: Exercice) -> Declaration | None:
    path = Path(coop_dir) / adhesion_filename(exercice)
    if not path.exists():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AdhesionError(f"{path.name} : YAML invalide ({exc}).") from exc
    options = raw.get("options") or {}
    mandataire = raw.get("mandataire") or {}
    return Declaration(
        exercice=exercice,
        classes=[Classe(str(c.get("niveau", "")), str(c.get("enseignant", "")), int(c.get("eleves", 0)),
                        int(c.get("adultes", 0))) for c in raw.get("classes") or [] if isinstance(c, dict)],
        revue=bool(options.get("revue")),
        biens=Decimal(str(options.get("biens_declares", 0) or 0)),
        participation=Decimal(str(options.get("participation_volontaire", 0) or 0)),
        mandataire=str(mandataire.get("nom", "")),
        engagement=bool(mandataire.get("engagement")),
        statut=str(raw.get("statut") or DECLAREE),
        paiement=str(raw.get("paiement") or ""),
        historique=[Evenement(str(e.get("le", "")), str(e.get("par", "")), str(e.get("action", "")),
                              str(e.get("detail", "") or ""))
                    for e in raw.get("historique") or [] if isinstance(e, dict)],
    )


@dataclass
class LigneMontant:
    libelle: str
    detail: str
    montant: Decimal
    compte: str  # chart code the payment goes to


@dataclass
class Montants:
    lignes: list[LigneMontant]

    @property
    def total(self) -> Decimal:
        return sum((line.montant for line in self.lignes), Decimal(0))

    def by_code(self) -> dict[str, Decimal]:
        result: dict[str, Decimal] = {}
        for line in self.lignes:
            if line.montant:
                result[line.compte] = result.get(line.compte, Decimal(0)) + line.montant
        return result


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def compute(declaration: Declaration, rates: Tarifs) -> Montants:
    """The amount due, line by line, each with the account it is booked to."""
    from retkoop_tools.fr import fmt_eur, fmt_rate

    d, r = declaration, rates
    lines = [
        LigneMontant("Cotisation des élèves", f"{d.eleves} × {fmt_eur(r.eleve)}", _money(d.eleves * r.eleve), CODE_COTISATION),
        LigneMontant("Cotisation des adultes", f"{d.adultes} × {fmt_eur(r.adulte)}", _money(d.adultes * r.adulte), CODE_COTISATION),
        LigneMontant("Assurance des membres", f"{d.membres} × {fmt_eur(r.assurance)}",
                     _money(d.membres * r.assurance), CODE_ASSURANCE),
    ]
    above = max(d.biens - r.seuil_biens, Decimal(0))
    if above and r.coefficient_biens:
        lines.append(LigneMontant("Assurance des biens au-delà de " + fmt_eur(r.seuil_biens),
                                  f"{fmt_eur(above)} × {fmt_rate(r.coefficient_biens)}",
                                  _money(above * r.coefficient_biens), CODE_ASSURANCE))
    if d.revue:
        lines.append(LigneMontant("Abonnement à « Animation & Éducation »", "1 abonnement", _money(r.revue), CODE_REVUE))
    if d.participation:
        lines.append(LigneMontant("Participation volontaire à l'AD", "", _money(d.participation), CODE_COTISATION))
    return Montants(lines)


def parse_form(exercice: Exercice, niveaux: list[str], enseignants: list[str], eleves: list[str],
               adultes: list[str], *, revue: bool, biens: str, participation: str, mandataire: str,
               engagement: bool) -> tuple[Declaration, dict[str, str]]:
    """The declaration typed in the web form, and French errors by field."""
    errors: dict[str, str] = {}
    classes = []
    for i, (niveau, enseignant, n_eleves, n_adultes) in enumerate(zip(niveaux, enseignants, eleves, adultes)):
        niveau, enseignant = (niveau or "").strip(), (enseignant or "").strip()
        if not (niveau or enseignant or (n_eleves or "").strip() or (n_adultes or "").strip()):
            continue
        if niveau not in NIVEAUX:
            errors[f"niveau-{i}"] = "Choisissez le niveau de la classe."
        counts = []
        for key, text, label in (("eleves", n_eleves, "d'élèves"), ("adultes", n_adultes, "d'adultes")):
            text = (text or "").strip() or "0"
            if not text.isdigit() or int(text) > 500:
                errors[f"{key}-{i}"] = f"Nombre {label} : un nombre entier, par exemple 24."
                counts.append(0)
            else:
                counts.append(int(text))
        if not errors.get(f"eleves-{i}") and counts[0] == 0 and counts[1] == 0:
            errors[f"eleves-{i}"] = "Une classe compte au moins un élève ou un adulte."
        classes.append(Classe(niveau, enseignant, counts[0], counts[1]))
    if not classes:
        errors["classes"] = "Déclarez au moins une classe (niveau, élèves, adultes)."
    amounts = {}
    for key, text in (("biens", biens), ("participation", participation)):
        if not (text or "").strip():
            amounts[key] = Decimal(0)
            continue
        try:
            amounts[key] = parse_amount(text, allow_zero=True)
        except ValueError as exc:
            errors[key] = str(exc)
            amounts[key] = Decimal(0)
    if not (mandataire or "").strip():
        errors["mandataire"] = "Écrivez le nom du mandataire qui signe l'engagement."
    if not engagement:
        errors["engagement"] = "Cochez l'engagement du mandataire pour déclarer l'adhésion."
    declaration = Declaration(exercice, classes, revue, amounts["biens"], amounts["participation"],
                              (mandataire or "").strip(), engagement)
    return declaration, errors
