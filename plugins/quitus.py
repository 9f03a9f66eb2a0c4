"""Quitus: the vérificateurs aux comptes are not the coop's mandataires.

The vérificateurs of an exercice (its `crf-2025-2026.yaml`, written by the « Fin d'exercice »
page) check the books that the mandataire(s) of that exercice kept (`mandataires.yaml`, else
the name of the adhésion's declaration): none of them may be one of those mandataires
(`verificateur-mandataire`).
"""

from __future__ import annotations

import collections
import re
import unicodedata

from beancount.core import data
from retkoop_plugins._common import coop_dir, exercices_of, reglages_or_none, report, warning_twin

from retkoop_tools.documents.dossier import DossierError, dossier_filename, load_dossier
from retkoop_tools.documents.mandataires import mandataires_of

__plugins__ = ("check_quitus",)

MandataireVerificateurError = collections.namedtuple("MandataireVerificateurError", "source message entry")
MandataireVerificateurWarning = warning_twin(MandataireVerificateurError)

_CIVILITIES = {"m", "mr", "mme", "mlle", "monsieur", "madame", "mademoiselle"}


def person_key(name: str) -> frozenset[str]:
    """A person's name without civility, accents, case or word order: « Mme Lefèvre » ≈ « lefevre »."""
    ascii_ = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_) if w]
    return frozenset(w for w in words if w not in _CIVILITIES) or frozenset(words)


def _line_of(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if "nom:" in line and name in line:
            return number
    return 1


def check_quitus(entries, options_map):
    reglages = reglages_or_none(options_map)
    if reglages is None or not reglages.active("verificateur-mandataire"):
        return entries, []
    folder = coop_dir(options_map)
    errors = []
    exercices = exercices_of(options_map)
    for exercice in sorted(exercices):
        path = folder / dossier_filename(exercice)
        if not path.is_file():
            continue
        try:
            dossier = load_dossier(folder, exercice)
        except (DossierError, ValueError):
            continue  # unreadable: the « Fin d'exercice » page says so
        if not dossier.verificateurs:
            continue
        mandataires = {person_key(m): m for m in mandataires_of(folder, exercice) if person_key(m)}
        text = path.read_text(encoding="utf-8")
        for verificateur in dossier.verificateurs:
            mandataire = mandataires.get(person_key(verificateur.nom))
            if mandataire is None:
                continue
            meta = data.new_metadata(str(path), _line_of(text, verificateur.nom))
            errors += report(
                reglages, "verificateur-mandataire", MandataireVerificateurError, meta,
                f"{verificateur.nom}, vérificateur aux comptes de l'exercice {exercice}, en est aussi "
                f"mandataire ({mandataire}) : on ne vérifie pas les comptes qu'on a tenus. Choisissez "
                "un autre vérificateur (un parent d'élève, un autre membre de la coopérative) sur la "
                "page « Fin d'exercice ».",
                None,
            )
    return entries, errors
