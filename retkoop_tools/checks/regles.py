"""The two levels of the OCCE rules, and the AD's settings of each rule (`regles:` in ad.yaml).

An *erreur* means the books are wrong: a write that adds one is refused, and the exercice
cannot be closed while one remains. An *avertissement* means the books are probably wrong and
the AD may accept them: it is shown everywhere the erreurs are, counted apart, and never
blocks. Each rule below has a code, a national default level and, for some, thresholds; an AD
changes them in its `ad.yaml`:

    regles:
      banque-negative: avertissement          # a level: erreur, avertissement or ignorer
      regie-plafond: {niveau: erreur, plafond: 200}
      vente-sans-achat: {delai_jours: 90}     # thresholds only, national level kept

The rules not listed here (chart, exercice files, sealed exercices, pièces, payment modes,
statements, cash counts) make the books unreadable or untraceable: they are always erreurs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

ERREUR, AVERTISSEMENT, IGNORER = "erreur", "avertissement", "ignorer"
LEVELS = (ERREUR, AVERTISSEMENT, IGNORER)
SETTINGS_KEY = "regles"


@dataclass(frozen=True)
class Parametre:
    """A threshold of a rule: its key in ad.yaml, its national default, what it means."""

    nom: str
    defaut: Decimal
    libelle: str
    entier: bool = False


@dataclass(frozen=True)
class Regle:
    code: str
    niveau: str  # national default
    titre: str  # what it catches, in French (README table, console)
    module: str  # the plugin that applies it
    parametres: tuple[Parametre, ...] = ()


REGLES: dict[str, Regle] = {r.code: r for r in (
    Regle("caisse-negative", ERREUR, "Caisse négative en fin de journée", "tresorerie"),
    Regle("banque-negative", ERREUR, "Banque ou CCP (512, 514) à découvert en fin de journée", "soldes"),
    Regle("caisse-plafond", AVERTISSEMENT, "Caisse au-dessus du plafond conseillé (espèces à déposer en banque)",
          "soldes", (Parametre("plafond", Decimal(1000), "solde de caisse au-delà duquel avertir, en euros"),)),
    Regle("cheques-a-encaisser-negatif", ERREUR,
          "Chèques à encaisser (5112) négatifs : une remise dépose plus que les chèques reçus", "remises"),
    Regle("remise-cheques", ERREUR,
          "Remise de chèques différente des chèques qu'elle dépose, ou chèque remis deux fois", "remises"),
    Regle("cheque-non-debite", AVERTISSEMENT,
          "Chèque émis toujours pas débité, alors qu'un relevé pointé plus de trois mois après existe",
          "cheques", (Parametre("mois", Decimal(3), "mois après son émission qu'un chèque non débité est signalé",
                                entier=True),)),
    Regle("regie-depassee", ERREUR, "Régie d'avance dépensée au-delà de la somme confiée", "regies"),
    Regle("regie-plafond", AVERTISSEMENT, "Régie d'avance au-dessus du plafond de l'AD", "regies",
          (Parametre("plafond", Decimal(150), "somme confiée à un enseignant au plus, en euros"),)),
    Regle("regie-non-soldee", AVERTISSEMENT,
          "Régie d'avance ni justifiée ni restituée au 31/08 (vu dès l'ouverture de l'exercice suivant)",
          "regies"),
    Regle("ventilation-inversee", AVERTISSEMENT,
          "Dépense ventilée sur un produit (7…) ou recette sur une charge (6…), hors remboursement",
          "ventilation"),
    Regle("adhesion-compte", AVERTISSEMENT,
          "Adhésion OCCE (cotisation, assurance) payée sur un autre compte que 6281 ou 6168", "adhesion"),
    Regle("adhesion-montant", AVERTISSEMENT,
          "Cotisation (6281) ou assurance (6168) de l'exercice différente de l'adhésion déclarée", "adhesion"),
    Regle("subvention-financeur", AVERTISSEMENT, "Subvention (74…) sans financeur (tiers vide)", "subventions"),
    Regle("subvention-hors-74", AVERTISSEMENT,
          "Subvention (mairie, département…) enregistrée hors des comptes de subventions 74…", "subventions"),
    Regle("vente-sans-achat", AVERTISSEMENT,
          "Ventes pour cession (707) sans les achats (607) : photos enregistrées pour la marge seule",
          "cessions", (Parametre("delai_jours", Decimal(60),
                                 "jours après la première vente sans achat avant d'avertir", entier=True),)),
    Regle("verificateur-mandataire", ERREUR, "Un mandataire parmi les vérificateurs aux comptes du quitus",
          "quitus"),
)}


class ReglesError(ValueError):
    """The `regles:` of ad.yaml are not valid; the message is in French and names the problem."""


@dataclass(frozen=True)
class Reglages:
    """The level and thresholds of every rule for one AD (national defaults for what it leaves)."""

    niveaux: Mapping[str, str] = field(default_factory=dict)
    valeurs: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def niveau(self, code: str) -> str:
        return self.niveaux.get(code) or REGLES[code].niveau

    def valeur(self, code: str, nom: str) -> Decimal:
        value = self.valeurs.get((code, nom))
        if value is not None:
            return value
        for parametre in REGLES[code].parametres:
            if parametre.nom == nom:
                return parametre.defaut
        raise KeyError(f"{code}.{nom}")

    def active(self, code: str) -> bool:
        return self.niveau(code) != IGNORER


NATIONAL = Reglages()


def _where(code: str | None = None) -> str:
    return f"ad.yaml, « {SETTINGS_KEY} »" + (f", règle « {code} »" if code else "")


def _level(code: str, value: Any) -> str:
    text = str(value).strip().lower() if value is not None else ""
    if text not in LEVELS:
        raise ReglesError(f"{_where(code)} : niveau « {value} » inconnu ; écrivez erreur, avertissement "
                          "ou ignorer.")
    return text


def _number(code: str, parametre: Parametre, value: Any) -> Decimal:
    problem = (f"{_where(code)} : « {parametre.nom} » ({parametre.libelle}) doit être "
               + ("un nombre entier positif" if parametre.entier else "un montant positif, comme 150 ou 150.50")
               + f", pas « {value} ».")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ReglesError(problem)
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except InvalidOperation:
        raise ReglesError(problem) from None
    if not number.is_finite() or number < 0 or (parametre.entier and number != number.to_integral_value()):
        raise ReglesError(problem)
    return number


def parse_reglages(config: Mapping[str, Any] | None) -> Reglages:
    """The rules' settings of an AD from its ad.yaml content; ReglesError (French) when wrong."""
    raw = (config or {}).get(SETTINGS_KEY)
    if raw is None:
        return NATIONAL
    if not isinstance(raw, Mapping):
        raise ReglesError(f"{_where()} : attendu une règle par ligne, par exemple « regie-plafond: "
                          "{niveau: avertissement, plafond: 150} ».")
    niveaux: dict[str, str] = {}
    valeurs: dict[tuple[str, str], Decimal] = {}
    for code, spec in raw.items():
        code = str(code)
        regle = REGLES.get(code)
        if regle is None:
            raise ReglesError(f"{_where()} : « {code} » n'est pas une règle connue. Règles : "
                              + ", ".join(sorted(REGLES)) + ".")
        if spec is None or isinstance(spec, Mapping):
            for key, value in (spec or {}).items():
                key = str(key)
                if key == "niveau":
                    niveaux[code] = _level(code, value)
                    continue
                parametre = next((p for p in regle.parametres if p.nom == key), None)
                if parametre is None:
                    known = ", ".join(["niveau", *(p.nom for p in regle.parametres)])
                    raise ReglesError(f"{_where(code)} : « {key} » inconnu (possibles : {known}).")
                valeurs[(code, key)] = _number(code, parametre, value)
        else:
            niveaux[code] = _level(code, spec)
    return Reglages(niveaux, valeurs)


def level_of(error: object) -> str:
    """The level of a Beancount error: ours carry it on their class, everything else is an erreur."""
    level = getattr(error, "level", ERREUR)
    return level if level in (ERREUR, AVERTISSEMENT) else ERREUR
