"""The seal of a closed exercice: the digest of its entries, as the exercice rule checks it."""

from __future__ import annotations

from pathlib import Path

from retkoop_plugins.exercice import sealed_entries

from retkoop_tools.ledger.digest import entries_digest
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.load import load_coop


def exercice_digest(coop_dir: Path, exercice: Exercice) -> str:
    """The digest of the entries of `exercice`, as loaded with the coop's plugins."""
    entries, _errors, options = load_coop(Path(coop_dir))
    paths = [p for p in options["include"] if Exercice.from_filename(p) == exercice]
    if not paths:
        raise FileNotFoundError(f"{coop_dir}: pas de fichier pour l'exercice {exercice}")
    return entries_digest(sealed_entries(entries, paths[0]))
