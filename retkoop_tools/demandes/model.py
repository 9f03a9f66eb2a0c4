"""A coop's requests to its AD, kept as data in `ledgers/<UAI>/demandes.yaml`.

    # Demandes de la coopérative 0910001A à l'AD (page « Écrire à l'AD », console de l'AD)
    - numero: 1
      type: mandataire            # or coordonnees
      statut: envoyee             # envoyee → repondue ⇄ envoyee → validee | close
      successeur: Mme Durand
      email: durand@ecole.example.org
      a_partir_du: 2026-09-01
      etapes:
      - le: '2026-06-12T10:15:00+02:00'
        par: Mme Martin
        identifiant: 0910001A
        action: envoi
        texte: Je pars à la rentrée ; Mme Durand reprend la coopérative.

The file is a record of the AD repository: every step is one commit through the store
(`Scope.RECORDS`), with the person who made it as author, so `git log` and the history page
show who asked, who answered and who validated, and when. What people type is validated here
(lengths, e-mail syntax, dates) and markup is refused, here and again by the write policy.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retkoop_tools.policy.text import MARKUP

DEMANDES_FILENAME = "demandes.yaml"
TYPES = {"mandataire": "Changement de mandataire", "coordonnees": "Coordonnées de l'école"}
ENVOYEE, REPONDUE, VALIDEE, CLOSE = "envoyee", "repondue", "validee", "close"
STATUTS = {ENVOYEE: "En attente de l'AD", REPONDUE: "Réponse de l'AD", VALIDEE: "Validée",
           CLOSE: "Close sans suite"}
OPEN = (ENVOYEE, REPONDUE)
ACTIONS = {"envoi": "Demande envoyée", "complement": "Complément du mandataire", "reponse": "Réponse de l'AD",
           "validation": "Validée par l'AD", "cloture": "Close par l'AD"}
MAX_NAME, MAX_EMAIL, MAX_ADDRESS, MAX_MESSAGE = 80, 120, 300, 2000
_EMAIL = re.compile(r"^[^@\s<>\"',;()\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newlines and tabs are fine in a message


class DemandeError(ValueError):
    """A request that cannot be made or handled as asked; French message."""


@dataclass
class Etape:
    le: datetime.datetime
    par: str
    identifiant: str
    action: str
    texte: str = ""

    @property
    def action_libelle(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def by_ad(self) -> bool:
        return self.action in ("reponse", "validation", "cloture")

    @property
    def quand(self) -> str:
        """`12/06/2026 à 10:15`, in the server's local time."""
        return self.le.astimezone().strftime("%d/%m/%Y à %H:%M")

    def as_yaml(self) -> dict:
        return {"le": self.le.isoformat(timespec="seconds"), "par": self.par, "identifiant": self.identifiant,
                "action": self.action, **({"texte": self.texte} if self.texte else {})}


@dataclass
class Demande:
    numero: int
    type: str
    statut: str = ENVOYEE
    successeur: str = ""
    email: str = ""  # the successor's (mandataire) or the school's new one (coordonnees)
    a_partir_du: datetime.date | None = None
    adresse: str = ""
    etapes: list[Etape] = field(default_factory=list)

    @property
    def type_libelle(self) -> str:
        return TYPES.get(self.type, self.type)

    @property
    def statut_libelle(self) -> str:
        return STATUTS.get(self.statut, self.statut)

    @property
    def is_open(self) -> bool:
        return self.statut in OPEN

    @property
    def envoyee_le(self) -> datetime.datetime:
        return self.etapes[0].le

    @property
    def auteur(self) -> str:
        return self.etapes[0].par if self.etapes else ""

    @property
    def derniere(self) -> Etape:
        return self.etapes[-1]

    @property
    def objet(self) -> str:
        """One line saying what is asked, for lists and exports."""
        if self.type == "mandataire":
            when = f" à partir du {self.a_partir_du:%d/%m/%Y}" if self.a_partir_du else ""
            return f"Nouveau mandataire : {self.successeur} ({self.email}){when}"
        parts = []
        if self.email:
            parts.append(f"e-mail {self.email}")
        if self.adresse:
            parts.append("adresse " + " ".join(self.adresse.split()))
        return "Nouvelles coordonnées : " + ", ".join(parts)

    def as_yaml(self) -> dict:
        out: dict = {"numero": self.numero, "type": self.type, "statut": self.statut}
        if self.type == "mandataire":
            out.update(successeur=self.successeur, email=self.email, a_partir_du=self.a_partir_du)
        else:
            out.update({k: v for k, v in (("email", self.email), ("adresse", self.adresse)) if v})
        out["etapes"] = [e.as_yaml() for e in self.etapes]
        return out


# -- reading and writing the record -----------------------------------------------------------
def load_demandes(coop_dir: Path) -> list[Demande]:
    """The coop's requests, oldest first (empty when there is no record)."""
    path = Path(coop_dir) / DEMANDES_FILENAME
    if not path.is_file():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise DemandeError(f"{DEMANDES_FILENAME} de {Path(coop_dir).name} est illisible : {exc}") from None
    demandes = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("numero"), int):
            continue
        etapes = []
        for step in item.get("etapes") or []:
            try:
                when = datetime.datetime.fromisoformat(str(step["le"]))
            except (KeyError, TypeError, ValueError):
                continue
            etapes.append(Etape(when, str(step.get("par", "")), str(step.get("identifiant", "")),
                                str(step.get("action", "")), str(step.get("texte", "") or "")))
        if not etapes:
            continue
        date = item.get("a_partir_du")
        demandes.append(Demande(
            numero=item["numero"], type=str(item.get("type", "")), statut=str(item.get("statut", ENVOYEE)),
            successeur=str(item.get("successeur", "") or ""), email=str(item.get("email", "") or ""),
            a_partir_du=date if isinstance(date, datetime.date) else None,
            adresse=str(item.get("adresse", "") or ""), etapes=etapes))
    return sorted(demandes, key=lambda d: d.numero)


def render_demandes(uai: str, demandes: list[Demande]) -> str:
    header = (f"# Demandes de la coopérative {uai} à l'AD (page « Écrire à l'AD », console de l'AD) ;\n"
              "# chaque étape est un commit à son auteur.\n")
    return header + yaml.safe_dump([d.as_yaml() for d in sorted(demandes, key=lambda d: d.numero)],
                                   allow_unicode=True, sort_keys=False, width=100)


def find(demandes: list[Demande], numero: int) -> Demande:
    for demande in demandes:
        if demande.numero == numero:
            return demande
    raise DemandeError(f"Il n'y a pas de demande n° {numero}.")


# -- what people type ---------------------------------------------------------------------------
def plain(value: str | None, label: str, maximum: int, *, required: bool = False, lines: bool = False) -> str:
    """`value` stripped; DemandeError (French) when missing, too long, or holding markup."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not lines:
        text = " ".join(text.split())
    if required and not text:
        raise DemandeError(f"Indiquez {label}.")
    if len(text) > maximum:
        raise DemandeError(f"{label[0].upper()}{label[1:]} : {len(text)} caractères, {maximum} au plus.")
    if MARKUP.search(text):
        raise DemandeError(f"{label[0].upper()}{label[1:]} : « < » et « > » sont refusés (un navigateur pourrait les "
                           "lire comme du code) ; écrivez par exemple « moins de 5 ans » plutôt que « <5 ans ».")
    if _CONTROL.search(text):
        raise DemandeError(f"{label[0].upper()}{label[1:]} contient un caractère de contrôle : retapez-le.")
    return text


def email_address(value: str | None, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DemandeError(f"Indiquez {label}.")
    if len(text) > MAX_EMAIL or not _EMAIL.match(text):
        raise DemandeError(f"« {text} » n'est pas une adresse e-mail : écrivez-la comme prenom.nom@ecole.fr.")
    return text


def next_rentree(today: datetime.date) -> datetime.date:
    """The 1st of September that starts the next school year."""
    return datetime.date(today.year if today.month < 9 else today.year + 1, 9, 1)


@dataclass
class Ligne:
    """One request of one coop, as the AD's console lists it."""

    uai: str
    nom: str
    demande: Demande


def all_demandes(ad_root: Path, uais: list[str]) -> tuple[list[Ligne], list[str]]:
    """Every coop's requests, the most recent first, and the French problems of unreadable records."""
    from retkoop_tools.ledger.layout import LayoutError, read_identity

    lines, problems = [], []
    for uai in uais:
        coop_dir = Path(ad_root) / "ledgers" / uai
        if not (coop_dir / DEMANDES_FILENAME).is_file():
            continue
        try:
            demandes = load_demandes(coop_dir)
        except DemandeError as exc:
            problems.append(str(exc))
            continue
        try:
            nom = read_identity(coop_dir).nom
        except LayoutError:
            nom = "?"
        lines += [Ligne(uai, nom, d) for d in demandes]
    lines.sort(key=lambda line: line.demande.derniere.le, reverse=True)
    return lines, problems
