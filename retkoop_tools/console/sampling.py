"""The sample of coops the AD checks on site, for its commissaire aux comptes.

At least `rate` (10 % by default) of the coops, drawn with a seed so that anyone can draw the
same sample again and check it was not chosen by hand, by one of two criteria:

- `taille` (default): stratified by size (number of operations of the exercice: small, medium,
  large thirds), ⌈rate × n⌉ drawn in each third;
- `risque`: ⌈rate × n⌉ drawn among all the coops with a probability that grows with their
  risk: weight = 1 + Σ poids × indicator, the indicators (each between 0 and 1) being the
  errors in the books (5 or more count fully), the avertissements (10 or more), how late the
  exercice's CRF was or is (90 days or more) and the size (rank by number of operations).
  Every coop keeps a chance (the 1). The weights are the AD's (`ad.yaml`: `echantillon:
  {poids: {erreurs: 4, avertissements: 2, retard: 2, taille: 1}}`, these by default). The
  draw is weighted sampling without replacement (Efraimidis–Spirakis: the n smallest
  −ln(u)/weight, u drawn by `random.Random("graine/exercice/risque")`). Lateness is measured
  on a reference date (`date`, default today), written with the sample.
"""

from __future__ import annotations

import datetime
import math
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from retkoop_tools.ad import echeance
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.spreadsheet import Sheet, csv_bytes, xlsx_bytes

STRATES = ("petites", "moyennes", "grandes")
CRITERES = {"taille": "Taille (trois strates par nombre d'opérations)",
            "risque": "Risque (erreurs, avertissements, retard du CRF, taille)"}
HEADERS = ("UAI", "École", "Commune", "Strate", "Opérations de l'exercice", "Produits de l'exercice",
           "Poids de risque", "Motifs")
#: Default weights of the risk criterion; `ad.yaml` `echantillon: {poids: {…}}` replaces them.
POIDS = {"erreurs": 4, "avertissements": 2, "retard": 2, "taille": 1}
#: What makes an indicator count fully (errors, avertissements, days late).
PLEINS = {"erreurs": 5, "avertissements": 10, "retard": 90}


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
    poids: Decimal | None = None  # the risk weight (criterion `risque`)
    motifs: str = ""


@dataclass
class Echantillon:
    exercice: Exercice
    graine: str
    taux: float
    population: dict[str, int]  # coops per stratum
    tirages: list[Tirage]
    critere: str = "taille"
    date: datetime.date | None = None  # reference date of the lateness (criterion `risque`)
    poids: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.population.values())

    @property
    def methode(self) -> str:
        if self.critere == "risque":
            weights = ", ".join(f"{k} {v}" for k, v in self.poids.items())
            return ("Tirage pondéré par le risque, sans remise, de ⌈taux × effectif⌉ coopératives : poids = 1 + "
                    f"Σ poids × indicateur ({weights}) ; indicateurs entre 0 et 1 : erreurs (5 et plus), "
                    "avertissements (10 et plus), retard du CRF (90 jours et plus) au "
                    f"{self.date:%d/%m/%Y}, taille (rang par nombre d'opérations). Clé de chaque coopérative "
                    "−ln(u)/poids, u tiré par Python random.Random(« graine/exercice/risque ») dans l'ordre "
                    "des UAI ; les plus petites clés sont tirées.")
        return ("Coopératives classées par nombre d'opérations de l'exercice, coupées en trois strates "
                "égales ; dans chaque strate, tirage sans remise de ⌈taux × effectif⌉ coopératives "
                "(Python random.Random, graine « graine/exercice/strate »).")


def new_seed() -> str:
    """A seed nobody chose: six random digits, to write down with the sample."""
    return f"{secrets.randbelow(10**6):06d}"


def weights(ad_config: dict | None) -> dict[str, Decimal]:
    """The risk weights: the AD's (`echantillon: {poids: …}`) over the defaults."""
    configured = (((ad_config or {}).get("echantillon") or {}).get("poids")) or {}
    result = {}
    for key, default in POIDS.items():
        try:
            value = Decimal(str(configured.get(key, default)))
        except ArithmeticError as exc:
            raise SamplingError(f"ad.yaml : le poids « {key} » de l'échantillon n'est pas un nombre.") from exc
        if value < 0 or not value.is_finite():
            raise SamplingError(f"ad.yaml : le poids « {key} » de l'échantillon doit être positif ou nul.")
        result[key] = value
    return result


def _delay(state: dict[str, Any], due: datetime.date | None, day: datetime.date) -> int:
    """Days the exercice's CRF was handed in late, or is late on `day` while not handed in."""
    if due is None:
        return 0
    handed = state.get("remis_le") if state.get("dossier") in ("soumis", "verrouille") else None
    end = datetime.date.fromisoformat(handed) if handed else day
    return max(0, (end - due).days)


def risk_weights(summaries: dict[str, dict[str, Any]], exercice: Exercice, ad_config: dict | None,
                 day: datetime.date) -> dict[str, tuple[Decimal, str]]:
    """Each coop's risk weight and, in French, what makes it."""
    poids = weights(ad_config)
    due = echeance(ad_config or {}, "crf", exercice.end)
    sizes = sorted((int((s.get("exercices", {}).get(str(exercice)) or {}).get("operations", 0)), uai)
                   for uai, s in summaries.items())
    rank = {uai: (i / (len(sizes) - 1) if len(sizes) > 1 else 0) for i, (_, uai) in enumerate(sizes)}
    result = {}
    for uai, summary in summaries.items():
        state = summary.get("exercices", {}).get(str(exercice)) or {}
        errors = int(summary.get("nb_erreurs", 0))
        warnings = int(summary.get("nb_avertissements", 0))
        late = _delay(state, due, day) if state.get("fichier") else 0
        indicators = {
            "erreurs": Decimal(min(errors, PLEINS["erreurs"])) / PLEINS["erreurs"],
            "avertissements": Decimal(min(warnings, PLEINS["avertissements"])) / PLEINS["avertissements"],
            "retard": Decimal(min(late, PLEINS["retard"])) / PLEINS["retard"],
            "taille": Decimal(str(round(rank[uai], 4))),
        }
        weight = (1 + sum((poids[k] * v for k, v in indicators.items()), Decimal(0))).quantize(Decimal("0.0001"))
        reasons = [text for text, present in (
            (f"{errors} erreur(s)", errors), (f"{warnings} avertissement(s)", warnings),
            (f"CRF {late} j de retard", late)) if present]
        result[uai] = (weight, ", ".join(reasons))
    return result


def draw(summaries: dict[str, dict[str, Any]], exercice: Exercice, seed: str, rate: float = 0.10,
         critere: str = "taille", ad_config: dict | None = None, day: datetime.date | None = None) -> Echantillon:
    """Draw the sample: by size strata (`taille`) or weighted by risk (`risque`)."""
    if not 0 < rate <= 1:
        raise SamplingError("Le taux d'échantillonnage doit être compris entre 1 et 100 %.")
    seed = str(seed).strip()
    if not seed:
        raise SamplingError("Indiquez une graine (un nombre noté avec l'échantillon), ou laissez-la tirer au hasard.")
    if critere not in CRITERES:
        raise SamplingError(f"Critère « {critere} » inconnu : choisissez {' ou '.join(CRITERES)}.")
    if critere == "risque":
        return _draw_by_risk(summaries, exercice, seed, rate, ad_config, day or datetime.date.today())
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


def _draw_by_risk(summaries: dict[str, dict[str, Any]], exercice: Exercice, seed: str, rate: float,
                  ad_config: dict | None, day: datetime.date) -> Echantillon:
    if not summaries:
        raise SamplingError("Aucune coopérative dans cette AD.")
    risk = risk_weights(summaries, exercice, ad_config, day)
    generator = random.Random(f"{seed}/{exercice}/risque")
    keys = []
    for uai in sorted(summaries):
        u = 1.0 - generator.random()  # in (0, 1]: ln(u) is defined
        keys.append((-math.log(u) / float(risk[uai][0]), uai))
    wanted = min(len(keys), math.ceil(rate * len(keys)))
    chosen = sorted(uai for _, uai in sorted(keys)[:wanted])
    tirages = []
    for uai in chosen:
        summary = summaries[uai]
        state = summary.get("exercices", {}).get(str(exercice)) or {}
        weight, reasons = risk[uai]
        tirages.append(Tirage(uai, summary.get("nom", ""), summary.get("commune", ""), "risque",
                              int(state.get("operations", 0)), (state.get("crf") or {}).get("produits", "0"),
                              weight, reasons))
    return Echantillon(exercice, seed, rate, {"toutes": len(summaries)}, tirages, "risque", day, weights(ad_config))


def _rows(sample: Echantillon) -> list[list[Any]]:
    return [[t.uai, t.nom, t.commune, t.strate, t.operations, Decimal(t.produits),
             f"{t.poids:.2f}".replace(".", ",") if t.poids is not None else "", t.motifs] for t in sample.tirages]


def sample_csv(sample: Echantillon) -> bytes:
    return csv_bytes(HEADERS, _rows(sample))


def sample_xlsx(sample: Echantillon) -> bytes:
    method = [["Exercice", str(sample.exercice)], ["Graine", sample.graine],
              ["Critère", CRITERES[sample.critere]], ["Taux", f"{sample.taux:.0%}"],
              ["Coopératives", sample.total], ["Tirées", len(sample.tirages)]]
    if sample.date:
        method.append(["Date de référence", sample.date])
    method += [[f"Strate {name}", f"{n} coopératives"] for name, n in sample.population.items()]
    method += [["Méthode", sample.methode]]
    return xlsx_bytes([Sheet(f"Échantillon {sample.exercice}", HEADERS, _rows(sample),
                             widths=(11, 34, 20, 10, 12, 14, 10, 40)),
                       Sheet("Méthode", ["Élément", "Valeur"], method, widths=(20, 100))],
                      title=f"Échantillon de contrôle {sample.exercice} (graine {sample.graine})")
