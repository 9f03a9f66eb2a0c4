"""The sample of coops the AD checks on site, for its commissaire aux comptes.

At least `rate` (10 % by default) of the coops, stratified by size (number of operations of
the exercice: small, medium, large thirds), drawn with a seed so that anyone can draw the
same sample again and check it was not chosen by hand.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from typing import Any

from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, csv_bytes, xlsx_bytes

STRATES = ("petites", "moyennes", "grandes")
HEADERS = ("UAI", "École", "Commune", "Strate", "Opérations de l'exercice", "Produits de l'exercice")


class SamplingError(ValueError):
    """The sample cannot be drawn; the message is in French."""


@dataclass(frozen=True)
class Tirage:
    uai: str
    nom: str
    commune: str
    strate: str
    operations: int
    produits: str


@dataclass
class Echantillon:
    exercice: Exercice
    graine: str
    taux: float
    population: dict[str, int]  # coops per stratum
    tirages: list[Tirage]

    @property
    def total(self) -> int:
        return sum(self.population.values())


def new_seed() -> str:
    """A seed nobody chose: six random digits, to write down with the sample."""
    return f"{secrets.randbelow(10**6):06d}"


def draw(summaries: dict[str, dict[str, Any]], exercice: Exercice, seed: str, rate: float = 0.10) -> Echantillon:
    """Sort the coops by size, cut them into thirds, draw ceil(rate × n) in each third."""
    if not 0 < rate <= 1:
        raise SamplingError("Le taux d'échantillonnage doit être compris entre 1 et 100 %.")
    seed = str(seed).strip()
    if not seed:
        raise SamplingError("Indiquez une graine (un nombre noté avec l'échantillon), ou laissez-la tirer au hasard.")
    sized = []
    for uai, summary in sorted(summaries.items()):
        state = summary.get("exercices", {}).get(str(exercice)) or {}
        sized.append((int(state.get("operations", 0)), uai, summary, state))
    if not sized:
        raise SamplingError("Aucune coopérative dans cette AD.")
    sized.sort(key=lambda item: (item[0], item[1]))
    thirds = [sized[i * len(sized) // 3:(i + 1) * len(sized) // 3] for i in range(3)]
    tirages, population = [], {}
    for name, members in zip(STRATES, thirds):
        population[name] = len(members)
        if not members:
            continue
        wanted = min(len(members), math.ceil(rate * len(members)))
        chosen = random.Random(f"{seed}/{exercice}/{name}").sample(members, wanted)
        for operations, uai, summary, state in sorted(chosen, key=lambda item: item[1]):
            produits = (state.get("crf") or {}).get("produits", "0")
            tirages.append(Tirage(uai, summary.get("nom", ""), summary.get("commune", ""), name, operations, produits))
    return Echantillon(exercice, seed, rate, population, tirages)


def _rows(sample: Echantillon) -> list[list[Any]]:
    from decimal import Decimal

    return [[t.uai, t.nom, t.commune, t.strate, t.operations, Decimal(t.produits)] for t in sample.tirages]


def sample_csv(sample: Echantillon) -> bytes:
    return csv_bytes(HEADERS, _rows(sample))


def sample_xlsx(sample: Echantillon) -> bytes:
    method = [["Exercice", str(sample.exercice)], ["Graine", sample.graine],
              ["Taux", f"{sample.taux:.0%}"], ["Coopératives", sample.total],
              ["Tirées", len(sample.tirages)]]
    method += [[f"Strate {name}", f"{n} coopératives"] for name, n in sample.population.items()]
    method += [["Méthode", ("Coopératives classées par nombre d'opérations de l'exercice, coupées en trois strates "
                           "égales ; dans chaque strate, tirage sans remise de ⌈taux × effectif⌉ coopératives "
                           "(Python random.Random, graine « graine/exercice/strate »).")]]
    return xlsx_bytes([Sheet(f"Échantillon {sample.exercice}", HEADERS, _rows(sample), widths=(11, 34, 20, 10, 12, 14)),
                       Sheet("Méthode", ["Élément", "Valeur"], method, widths=(20, 100))],
                      title=f"Échantillon de contrôle {sample.exercice} (graine {sample.graine})")
