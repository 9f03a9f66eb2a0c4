"""Who was the coop's mandataire, when: `ledgers/<UAI>/mandataires.yaml`, kept in the AD's
repository so that a CRF regenerated years later names the mandataire of its exercice.

    # Mandataires successifs de la coopérative 0910001A
    - nom: Mme Martin
      depuis: 2024-09-01
    - nom: M. Durand
      depuis: 2026-09-01
      email: durand@ecole.test   # optional: where the AD sends its reminders

A change of mandataire (the console's « Comptes » page, `retkoop ad mandataire`) adds a line;
without a record, the name under which the exercice's adhésion was declared is used.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import yaml

from retkoop_tools.ledger.exercice import Exercice

MANDATAIRES_FILENAME = "mandataires.yaml"


@dataclass(frozen=True)
class Mandat:
    nom: str
    depuis: datetime.date
    email: str = ""


def load_mandats(coop_dir: Path) -> list[Mandat]:
    """The coop's mandataires in order (empty when nothing is recorded or the file is unreadable)."""
    path = Path(coop_dir) / MANDATAIRES_FILENAME
    if not path.is_file():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError:
        return []
    mandats = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and item.get("nom") and isinstance(item.get("depuis"), datetime.date):
            email = item.get("email")
            mandats.append(Mandat(str(item["nom"]).strip(), item["depuis"],
                                  email.strip() if isinstance(email, str) else ""))
    return sorted(mandats, key=lambda m: m.depuis)


def mandataires_of(coop_dir: Path, exercice: Exercice) -> list[str]:
    """The mandataires in office during `exercice`, in order; else the name the exercice's
    adhésion was declared under; else none."""
    mandats = load_mandats(coop_dir)
    names = []
    for index, mandat in enumerate(mandats):
        until = mandats[index + 1].depuis if index + 1 < len(mandats) else datetime.date.max
        if mandat.depuis <= exercice.end and until > exercice.start and mandat.nom not in names:
            names.append(mandat.nom)
    if names:
        return names
    from retkoop_tools.adhesion.model import AdhesionError, load_declaration

    try:
        declaration = load_declaration(Path(coop_dir), exercice)
    except AdhesionError:
        declaration = None
    return [declaration.mandataire] if declaration is not None and declaration.mandataire else []


def with_new_mandataire(coop_dir: Path, nom: str, depuis: datetime.date, email: str = "") -> str:
    """The text of mandataires.yaml once `nom` is mandataire from `depuis` (reached at `email`)."""
    mandats = [m for m in load_mandats(coop_dir) if m.depuis < depuis] + [Mandat(nom.strip(), depuis, email.strip())]
    header = f"# Mandataires successifs de la coopérative {Path(coop_dir).name} (le CRF d'un exercice nomme ceux de cet exercice)\n"
    return header + yaml.safe_dump([{"nom": m.nom, "depuis": m.depuis, **({"email": m.email} if m.email else {})}
                                    for m in mandats], allow_unicode=True, sort_keys=False)


def record_mandataire(store, uai: str, nom: str, author, today: datetime.date | None = None,
                      email: str = "") -> str | None:
    """Commit that `nom` is the coop's mandataire from `today` (a change at the rentrée)."""
    from retkoop_tools.policy.writes import Scope

    today = today or datetime.date.today()
    coop_dir = store.root / "ledgers" / uai
    with store.prepare(uai):
        text = with_new_mandataire(coop_dir, nom, today, email)
        return store.write(uai, {MANDATAIRES_FILENAME: text}, author,
                           f"Mandataire de la coopérative à partir du {today:%d/%m/%Y} : {nom.strip()}",
                           scope=Scope.RECORDS)
