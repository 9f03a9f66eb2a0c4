"""The CRF's file of an exercice, kept as data in the coop's folder: `crf-2025-2026.yaml`.

It holds what the books cannot: the vérificateurs and the date of their check (the quitus
block of the CRF), and where the CRF stands with the AD (submitted, locked, sent back), with
the history of who did what and why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retkoop_tools.ledger.exercice import Exercice

QUALITES = ("Parent d'élève", "Enseignant", "Autre membre de la coopérative")

BROUILLON, SOUMIS, VERROUILLE, RENVOYE = "brouillon", "soumis", "verrouille", "renvoye"
STATUTS = {
    BROUILLON: "En préparation",
    SOUMIS: "Remis à l'AD",
    VERROUILLE: "Verrouillé par l'AD",
    RENVOYE: "Renvoyé au mandataire",
}


class DossierError(ValueError):
    """The file is unreadable or a field is wrong; the message is in French."""


def dossier_filename(exercice: Exercice) -> str:
    return f"crf-{exercice}.yaml"


@dataclass
class Verificateur:
    nom: str
    qualite: str


@dataclass
class Evenement:
    le: str  # ISO date and time
    par: str
    action: str
    motif: str = ""


@dataclass
class Dossier:
    exercice: Exercice
    verificateurs: list[Verificateur] = field(default_factory=list)
    date_verification: datetime.date | None = None
    statut: str = BROUILLON
    historique: list[Evenement] = field(default_factory=list)

    @property
    def statut_libelle(self) -> str:
        return STATUTS.get(self.statut, self.statut)

    @property
    def locked(self) -> bool:
        return self.statut == VERROUILLE

    def event(self, action: str, par: str, motif: str = "",
              now: datetime.datetime | None = None) -> None:
        now = now or datetime.datetime.now()
        self.historique.append(Evenement(now.isoformat(timespec="seconds"), par, action, motif))

    def dump(self) -> str:
        content = {
            "exercice": str(self.exercice),
            "verification": {
                "date": self.date_verification.isoformat() if self.date_verification else None,
                "verificateurs": [{"nom": v.nom, "qualite": v.qualite} for v in self.verificateurs],
            },
            "statut": self.statut,
            "historique": [
                {k: v for k, v in vars(e).items() if v or k != "motif"} for e in self.historique
            ],
        }
        header = (f"# Compte rendu financier {self.exercice} : vérification des comptes et remise "
                  "à l'AD.\n# Écrit par retkoop (page « Fin d'exercice ») ; l'historique ne se "
                  "modifie pas à la main.\n")
        return header + yaml.safe_dump(content, allow_unicode=True, sort_keys=False)


def load_dossier(coop_dir: Path, exercice: Exercice) -> Dossier:
    path = Path(coop_dir) / dossier_filename(exercice)
    if not path.exists():
        return Dossier(exercice)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DossierError(f"{path.name} : YAML invalide ({exc}).") from exc
    if not isinstance(raw, dict):
        raise DossierError(f"{path.name} : fichier invalide.")
    verification = raw.get("verification") or {}
    date = verification.get("date")
    if isinstance(date, str):
        date = datetime.date.fromisoformat(date)
    return Dossier(
        exercice=exercice,
        verificateurs=[Verificateur(str(v.get("nom", "")), str(v.get("qualite", "")))
                       for v in verification.get("verificateurs") or [] if isinstance(v, dict)],
        date_verification=date if isinstance(date, datetime.date) else None,
        statut=str(raw.get("statut") or BROUILLON),
        historique=[Evenement(str(e.get("le", "")), str(e.get("par", "")), str(e.get("action", "")),
                              str(e.get("motif", "") or ""))
                    for e in raw.get("historique") or [] if isinstance(e, dict)],
    )


def parse_verificateurs(noms: list[str], qualites: list[str]) -> tuple[list[Verificateur], dict[str, str]]:
    """The vérificateurs typed in the form (empty rows skipped), and errors by field."""
    result, errors = [], {}
    for i, (nom, qualite) in enumerate(zip(noms, qualites)):
        nom, qualite = (nom or "").strip(), (qualite or "").strip()
        if not nom and not qualite:
            continue
        if not nom:
            errors[f"nom-{i}"] = "Écrivez le nom du vérificateur."
        if qualite not in QUALITES:
            errors[f"qualite-{i}"] = "Choisissez sa qualité : " + ", ".join(QUALITES) + "."
        result.append(Verificateur(nom, qualite))
    return result, errors


def quitus_problems(dossier: Dossier, rules: dict | None = None) -> list[str]:
    """What the quitus still lacks for the CRF to be handed in (French, empty when complete)."""
    rules = rules or {}
    minimum = int(rules.get("verificateurs_min", 2))
    parent = bool(rules.get("parent_requis", True))
    problems = []
    if len(dossier.verificateurs) < minimum:
        problems.append(f"Il faut au moins {minimum} vérificateurs aux comptes "
                        f"({len(dossier.verificateurs)} indiqué(s)).")
    if parent and not any(v.qualite == QUALITES[0] for v in dossier.verificateurs):
        problems.append("Au moins un vérificateur doit être un parent d'élève.")
    if dossier.date_verification is None:
        problems.append("Indiquez la date de la vérification des comptes.")
    return problems
