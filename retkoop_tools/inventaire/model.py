"""The cahier d'inventaire: the coop's durable goods, from their entry to their disposal.

Kept as data in `ledgers/<UAI>/inventaire.yaml`, one file for every year (a good bought in
2025 is still in the cahier in 2028), written only by the Inventaire page's actions:

    biens:
      - numero: 1
        date: 2026-03-13              # entrée dans le cahier (date d'achat)
        designation: Jeux de cour
        valeur: "326.55"
        lieu: Préau
        origine: {exercice: 2025-2026, piece: D18, compte: "606", date: 2026-03-13,
                  montant: "326.55", libelle: "Jeux Toulousains – Jeux de cour"}
        sortie: {date: 2028-06-30, motif: "Hors d'usage, jeté"}   # absent tant que le bien est là
    ecartees:                          # achats proposés que le mandataire a écartés
      - {exercice: 2025-2026, piece: D22, compte: "606", ...}

The goods to enter are proposed from the books: every line of an operation ventilated on an
account of the CRF line « Achats de biens durables » (606 in the national chart; the chart
says which accounts, never a code prefix) that is neither in the cahier nor dismissed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from retkoop_tools.fr import fmt_date
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.policy.text import MARKUP
from retkoop_tools.tresorier.books import ZERO, Books, Operation
from retkoop_tools.tresorier.parsing import parse_amount, parse_date

INVENTAIRE_FILENAME = "inventaire.yaml"
#: The CRF line whose accounts are durable goods (chart data: `rubrique: biens-durables`).
DURABLE_RUBRIQUE = "biens-durables"
MAX_DESIGNATION, MAX_LIEU, MAX_MOTIF = 200, 120, 200
_MARKUP_HINT = ("Les caractères « < », « > » et les caractères de contrôle ne sont pas acceptés : "
                "écrivez par exemple « moins de 5 ans » plutôt que « <5 ans ».")


class InventaireError(ValueError):
    """The cahier cannot be read or changed as asked; the message is in French."""


@dataclass(frozen=True)
class Origine:
    """The purchase a good comes from: one operation's line on a durable-goods account."""

    exercice: str
    piece: str
    compte: str  # the chart's code
    date: datetime.date
    montant: Decimal
    libelle: str = ""

    @property
    def cle(self) -> str:
        """What identifies the purchase across edits of its operation: the exercice, the pièce
        (unique in an exercice) and the account; the date and amount for an operation without
        a pièce."""
        piece = self.piece or f"{self.date.isoformat()}_{self.montant}"
        return f"{self.exercice}|{piece}|{self.compte}"

    def as_dict(self) -> dict:
        return {"exercice": self.exercice, "piece": self.piece, "compte": self.compte, "date": self.date,
                "montant": str(self.montant), "libelle": self.libelle}

    @classmethod
    def from_dict(cls, raw: dict, where: str) -> Origine:
        if not isinstance(raw, dict):
            raise InventaireError(f"{INVENTAIRE_FILENAME}, {where} : l'origine doit décrire l'achat.")
        return cls(str(raw.get("exercice", "")), str(raw.get("piece", "") or ""), str(raw.get("compte", "")),
                   _date(raw.get("date"), where), _decimal(raw.get("montant"), where),
                   str(raw.get("libelle", "") or ""))


@dataclass
class Sortie:
    date: datetime.date
    motif: str


@dataclass
class Bien:
    numero: int
    date: datetime.date  # its entry in the cahier (the purchase's date)
    designation: str
    valeur: Decimal
    lieu: str = ""
    origine: Origine | None = None
    sortie: Sortie | None = None
    par: str = ""  # who entered it
    le: str = ""  # when (ISO date and time)

    def present_le(self, day: datetime.date) -> bool:
        """Whether the coop holds the good at the end of `day`."""
        return self.date <= day and (self.sortie is None or self.sortie.date > day)

    def as_dict(self) -> dict:
        content: dict = {"numero": self.numero, "date": self.date, "designation": self.designation,
                         "valeur": str(self.valeur), "lieu": self.lieu}
        if self.origine is not None:
            content["origine"] = self.origine.as_dict()
        if self.sortie is not None:
            content["sortie"] = {"date": self.sortie.date, "motif": self.sortie.motif}
        content.update(par=self.par, le=self.le)
        return content


@dataclass
class Ecartee:
    """A proposed purchase the mandataire said is not a durable good to enter."""

    origine: Origine
    par: str = ""
    le: str = ""


@dataclass
class Inventaire:
    biens: list[Bien] = field(default_factory=list)
    ecartees: list[Ecartee] = field(default_factory=list)
    dernier_numero: int = 0  # never given again, even when that good was removed

    # -- reading -------------------------------------------------------------------------
    def get(self, numero: int) -> Bien | None:
        return next((b for b in self.biens if b.numero == numero), None)

    @property
    def traitees(self) -> set[str]:
        """The purchases already entered or dismissed (their `Origine.cle`)."""
        return ({b.origine.cle for b in self.biens if b.origine is not None}
                | {e.origine.cle for e in self.ecartees})

    def next_numero(self) -> int:
        return max([b.numero for b in self.biens] + [self.dernier_numero]) + 1

    def au(self, day: datetime.date) -> Inventaire:
        """The cahier as it stood at the end of `day`: later entries left out, later sorties
        not yet written (what a vérificateur of that exercice may read)."""
        biens = []
        for b in self.biens:
            if b.date > day:
                continue
            sortie = b.sortie if b.sortie is not None and b.sortie.date <= day else None
            biens.append(Bien(b.numero, b.date, b.designation, b.valeur, b.lieu, b.origine, sortie, b.par, b.le))
        ecartees = [e for e in self.ecartees if e.origine.date <= day]
        return Inventaire(biens, ecartees, self.dernier_numero)

    def presents(self, day: datetime.date) -> list[Bien]:
        return [b for b in self.biens if b.present_le(day)]

    def valeur(self, day: datetime.date) -> Decimal:
        """The value of the goods held at the end of `day` (what the adhésion's insurance covers)."""
        return sum((b.valeur for b in self.presents(day)), ZERO)

    # -- writing -------------------------------------------------------------------------
    def dump(self, uai: str) -> str:
        content = {"dernier_numero": max([b.numero for b in self.biens] + [self.dernier_numero]),
                   "biens": [b.as_dict() for b in sorted(self.biens, key=lambda b: b.numero)],
                   "ecartees": [dict(e.origine.as_dict(), par=e.par, le=e.le) for e in self.ecartees]}
        return (f"# Cahier d'inventaire de la coopérative {uai} : ses biens durables, leur entrée et leur sortie.\n"
                "# Écrit par retkoop (page « Inventaire »).\n"
                + yaml.safe_dump(content, allow_unicode=True, sort_keys=False))


def _date(value, where: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InventaireError(f"{INVENTAIRE_FILENAME}, {where} : « {value} » n'est pas une date.") from None


def _decimal(value, where: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InventaireError(f"{INVENTAIRE_FILENAME}, {where} : « {value} » n'est pas un montant.") from None


def load_inventaire(coop_dir: Path) -> Inventaire:
    """The coop's cahier (empty when it has none yet); InventaireError when it is unreadable."""
    path = Path(coop_dir) / INVENTAIRE_FILENAME
    if not path.is_file():
        return Inventaire()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InventaireError(f"{INVENTAIRE_FILENAME} : YAML invalide ({exc}).") from exc
    if not isinstance(raw, dict):
        raise InventaireError(f"{INVENTAIRE_FILENAME} : le fichier doit contenir « biens » et « ecartees ».")
    biens = []
    for i, item in enumerate(raw.get("biens") or [], 1):
        where = f"bien n° {i}"
        if not isinstance(item, dict):
            raise InventaireError(f"{INVENTAIRE_FILENAME}, {where} : chaque bien a un numéro, une date, "
                                  "une désignation et une valeur.")
        try:
            numero = int(item.get("numero"))
        except (TypeError, ValueError):
            raise InventaireError(f"{INVENTAIRE_FILENAME}, {where} : numéro d'inventaire manquant.") from None
        sortie = item.get("sortie")
        biens.append(Bien(
            numero=numero, date=_date(item.get("date"), where), designation=str(item.get("designation", "")),
            valeur=_decimal(item.get("valeur"), where), lieu=str(item.get("lieu", "") or ""),
            origine=Origine.from_dict(item["origine"], where) if item.get("origine") else None,
            sortie=Sortie(_date(sortie.get("date"), where), str(sortie.get("motif", "") or ""))
            if isinstance(sortie, dict) else None,
            par=str(item.get("par", "") or ""), le=str(item.get("le", "") or "")))
    ecartees = []
    for i, item in enumerate(raw.get("ecartees") or [], 1):
        origine = Origine.from_dict(item, f"achat écarté n° {i}")
        ecartees.append(Ecartee(origine, str(item.get("par", "") or ""), str(item.get("le", "") or "")))
    try:
        dernier = int(raw.get("dernier_numero") or 0)
    except (TypeError, ValueError):
        dernier = 0
    return Inventaire(biens, ecartees, dernier)


# -- proposals from the books -----------------------------------------------------------------
@dataclass
class Proposition:
    """A purchase of durable goods in the books, not in the cahier yet."""

    op: Operation
    origine: Origine
    libelle_compte: str

    @property
    def id(self) -> str:
        return self.origine.cle


def purchases(books: Books, exercice: Exercice) -> list[Proposition]:
    """Every purchase of durable goods of the exercice: one per operation and account."""
    result = []
    for op in books.operations_of(exercice):
        amounts: dict[str, Decimal] = {}
        labels: dict[str, str] = {}
        for compte, value in op.ventilation:
            if compte.rubrique.key == DURABLE_RUBRIQUE:
                amounts[compte.code] = amounts.get(compte.code, ZERO) + value
                labels[compte.code] = compte.libelle
        for code, amount in amounts.items():
            if amount > 0:
                result.append(Proposition(op, Origine(str(exercice), op.piece, code, op.date, amount, op.label),
                                          labels[code]))
    return result


def propositions(books: Books, inventaire: Inventaire, exercices: list[Exercice]) -> list[Proposition]:
    """The purchases of `exercices` neither entered in the cahier nor dismissed, by date."""
    done = inventaire.traitees
    found = [p for e in sorted(set(exercices)) for p in purchases(books, e) if p.id not in done]
    return sorted(found, key=lambda p: (p.op.date, p.op.lineno))


def durable_total(books: Books, exercice: Exercice) -> Decimal:
    """What the exercice's fonctionnement says was spent on durable goods."""
    return sum((p.origine.montant for p in purchases(books, exercice)), ZERO)


# -- what the mandataire types -----------------------------------------------------------------
@dataclass
class Champs:
    date: datetime.date | None = None
    designation: str = ""
    valeur: Decimal | None = None
    lieu: str = ""


def _text(value: str, key: str, limit: int, label: str, errors: dict[str, str], required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[key] = f"Écrivez {label}."
    elif MARKUP.search(text) or any(ord(c) < 32 or ord(c) == 127 for c in text):
        errors[key] = _MARKUP_HINT
    elif len(text) > limit:
        errors[key] = f"Trop long : {limit} caractères au plus."
    return text


def parse_bien(form, today: datetime.date) -> tuple[Champs, dict[str, str]]:
    """A good's fields as typed (date, désignation, valeur, lieu), and French errors by field."""
    errors: dict[str, str] = {}
    champs = Champs()
    try:
        champs.date = parse_date(form.get("date", ""))
        if champs.date > today:
            errors["date"] = (f"Le {fmt_date(champs.date)} est à venir : un bien entre au cahier "
                              "le jour de son achat (ou de sa réception).")
    except ValueError as exc:
        errors["date"] = str(exc)
    champs.designation = _text(form.get("designation", ""), "designation", MAX_DESIGNATION,
                               "la désignation du bien, par exemple « Appareil photo numérique »", errors, True)
    try:
        champs.valeur = parse_amount(form.get("valeur", ""))
    except ValueError as exc:
        errors["valeur"] = str(exc)
    champs.lieu = _text(form.get("lieu", ""), "lieu", MAX_LIEU, "où se trouve le bien", errors, False)
    return champs, errors


def parse_sortie(form, bien: Bien, today: datetime.date, closed: set[Exercice]) -> tuple[Sortie | None, dict[str, str]]:
    """The disposal of `bien` as typed (date, motif), and French errors by field."""
    errors: dict[str, str] = {}
    day = None
    try:
        day = parse_date(form.get("date_sortie", ""))
        if day > today:
            errors["date_sortie"] = f"Le {fmt_date(day)} est à venir : notez la sortie le jour où le bien est parti."
        elif day < bien.date:
            errors["date_sortie"] = (f"Le bien est entré au cahier le {fmt_date(bien.date)} : "
                                     "il ne peut pas en sortir avant.")
        elif Exercice.of_date(day) in closed:
            errors["date_sortie"] = (f"L'exercice {Exercice.of_date(day)} est clôturé : son inventaire ne change "
                                     "plus. Datez la sortie d'aujourd'hui (ou demandez à l'AD de rouvrir l'exercice).")
    except ValueError as exc:
        errors["date_sortie"] = str(exc)
    motif = _text(form.get("motif", ""), "motif", MAX_MOTIF,
                  "le motif de la sortie, par exemple « hors d'usage, jeté » ou « donné à l'école »", errors, True)
    if errors or day is None:
        return None, errors
    return Sortie(day, motif), errors
