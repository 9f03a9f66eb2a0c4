"""The chart of accounts (plan comptable) as data.

The national default ships as `plan-comptable.yaml` beside this module; an AD repository may
replace or extend it with its own `plan-comptable.yaml`. Every code maps to exactly one
Beancount account under the French roots, and every account to one line of the CRF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CHART_PATH = Path(__file__).with_name("plan-comptable.yaml")
AD_CHART_FILENAME = "plan-comptable.yaml"

#: Root of the Beancount account for each side (sens) of a CRF line.
ROOTS = {
    "tresorerie": "Actif",
    "dette": "Passif",
    "fonds": "Capitaux",
    "produit": "Produits",
    "charge": "Charges",
}
TREASURY_TYPES = ("banque", "caisse", "cheques", "regie")

_CODE_RE = re.compile(r"^[0-9]{2,10}$")
_NAME_RE = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")
_SUB_RE = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")

try:  # The C loader is ten times faster; it ships with PyYAML wheels.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class ChartError(ValueError):
    """The chart file is not valid; the message is in French and names the problem."""


@dataclass(frozen=True)
class Rubrique:
    """One line of the CRF."""

    key: str
    libelle: str
    sens: str
    order: int


@dataclass(frozen=True)
class Compte:
    """One account of the chart."""

    code: str
    libelle: str
    nom: str
    rubrique: Rubrique
    type: str | None = None
    sous_comptes: bool = False

    @property
    def sens(self) -> str:
        return self.rubrique.sens

    @property
    def account(self) -> str:
        return f"{ROOTS[self.sens]}:{self.code}-{self.nom}"

    @property
    def is_treasury(self) -> bool:
        return self.sens == "tresorerie"

    @property
    def is_ventilation(self) -> bool:
        """Charge or produit: what an operation is ventilated on."""
        return self.sens in ("charge", "produit")


class Chart:
    """The chart of an AD: lookups by code and by Beancount account."""

    def __init__(self, rubriques: dict[str, Rubrique], comptes: list[Compte], source: str):
        self.rubriques = rubriques
        self.comptes = tuple(comptes)
        self.source = source
        self.by_code = {c.code: c for c in comptes}
        self.by_account = {c.account: c for c in comptes}

    def lookup(self, account: str) -> tuple[Compte | None, bool]:
        """Return (compte, is_sub_account) for a Beancount account, (None, False) if unknown.

        A sub-account (`Actif:54-Regies:Martin`) belongs to its parent when the parent
        accepts sub-accounts.
        """
        compte = self.by_account.get(account)
        if compte is not None:
            return compte, False
        parent, _, _leaf = account.rpartition(":")
        compte = self.by_account.get(parent)
        if compte is not None and compte.sous_comptes:
            return compte, True
        return None, False

    def accounts_of_type(self, type_: str) -> list[Compte]:
        return [c for c in self.comptes if c.type == type_]

    def ventilation_comptes(self) -> list[Compte]:
        """Charge and produit accounts, in CRF order."""
        return sorted(
            (c for c in self.comptes if c.is_ventilation),
            key=lambda c: (c.rubrique.order, c.code),
        )


def sub_account_name(label: str) -> str:
    """Turn a person's name into a valid account component: "Mme de La Tour" → "De-La-Tour"."""
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_) if w]
    words = [w for w in words if w.lower() not in ("m", "mme", "mlle", "mr")] or words
    name = "-".join(w[:1].upper() + w[1:] for w in words)
    if not name or not _SUB_RE.match(name):
        raise ChartError(f"« {label} » ne peut pas servir de nom de sous-compte.")
    return name


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ChartError(f"{path} : YAML invalide ({exc}).") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ChartError(f"{path} : le fichier doit contenir « rubriques » et « comptes ».")
    return data


def _parse_rubriques(raw: Any, path: Path, into: dict[str, dict[str, Any]]) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise ChartError(f"{path} : « rubriques » doit associer une clé à chaque ligne du CRF.")
    for key, spec in raw.items():
        if not isinstance(spec, dict) or "libelle" not in spec or "sens" not in spec:
            raise ChartError(f"{path} : la rubrique « {key} » doit avoir un libelle et un sens.")
        if spec["sens"] not in ROOTS:
            raise ChartError(
                f"{path} : la rubrique « {key} » a un sens inconnu « {spec['sens']} » "
                f"(attendu : {', '.join(ROOTS)})."
            )
        into[str(key)] = {"libelle": str(spec["libelle"]), "sens": spec["sens"]}


def _parse_comptes(raw: Any, path: Path, into: dict[str, dict[str, Any]]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ChartError(f"{path} : « comptes » doit être une liste.")
    in_this_file: set[str] = set()
    for i, spec in enumerate(raw, 1):
        if not isinstance(spec, dict):
            raise ChartError(f"{path} : le compte n° {i} n'est pas une fiche (code, libelle…).")
        code = str(spec.get("code", ""))
        if not _CODE_RE.match(code):
            raise ChartError(
                f"{path} : le compte n° {i} a un code invalide « {code} » "
                "(des chiffres, entre guillemets : code: \"6063\")."
            )
        for field in ("libelle", "nom", "rubrique"):
            if not spec.get(field):
                raise ChartError(f"{path} : le compte {code} n'a pas de « {field} ».")
        if not _NAME_RE.match(str(spec["nom"])):
            raise ChartError(
                f"{path} : le nom « {spec['nom']} » du compte {code} est invalide : une majuscule "
                "ou un chiffre d'abord, puis lettres sans accent, chiffres et tirets."
            )
        if code in in_this_file:
            raise ChartError(f"{path} : le code {code} apparaît deux fois.")
        in_this_file.add(code)
        into[code] = dict(spec, code=code)


def build_chart(paths: list[Path]) -> Chart:
    """Build a chart from the default file and an optional AD file (later ones override)."""
    rubriques: dict[str, dict[str, Any]] = {}
    comptes: dict[str, dict[str, Any]] = {}
    for path in paths:
        data = _read_yaml(path)
        mode = data.get("mode", "etendre")
        if mode not in ("etendre", "remplacer"):
            raise ChartError(f"{path} : mode « {mode} » inconnu (etendre ou remplacer).")
        if mode == "remplacer":
            rubriques, comptes = {}, {}
        _parse_rubriques(data.get("rubriques"), path, rubriques)
        for code in data.get("retirer") or []:
            comptes.pop(str(code), None)
        _parse_comptes(data.get("comptes"), path, comptes)

    rub_objs = {
        key: Rubrique(key, spec["libelle"], spec["sens"], order)
        for order, (key, spec) in enumerate(rubriques.items())
    }
    result: list[Compte] = []
    seen_accounts: dict[str, str] = {}
    source = str(paths[-1])
    for code, spec in comptes.items():
        rub = rub_objs.get(str(spec["rubrique"]))
        if rub is None:
            raise ChartError(
                f"{source} : le compte {code} renvoie à une rubrique inconnue « {spec['rubrique']} »."
            )
        type_ = spec.get("type")
        if rub.sens == "tresorerie" and type_ not in TREASURY_TYPES:
            raise ChartError(
                f"{source} : le compte de trésorerie {code} doit avoir un type parmi "
                f"{', '.join(TREASURY_TYPES)}."
            )
        if rub.sens != "tresorerie" and type_ is not None:
            raise ChartError(f"{source} : seul un compte de trésorerie a un type ({code}).")
        compte = Compte(
            code=code,
            libelle=str(spec["libelle"]),
            nom=str(spec["nom"]),
            rubrique=rub,
            type=type_,
            sous_comptes=bool(spec.get("sous_comptes", False)),
        )
        if compte.account in seen_accounts:
            raise ChartError(
                f"{source} : les comptes {seen_accounts[compte.account]} et {code} "
                f"donnent le même nom {compte.account}."
            )
        seen_accounts[compte.account] = code
        result.append(compte)
    if not result:
        raise ChartError(f"{source} : le plan comptable ne contient aucun compte.")
    return Chart(rub_objs, result, source)


_CACHE: dict[tuple, Chart] = {}


def load_chart(ad_root: Path | None = None) -> Chart:
    """The chart of the AD repository at `ad_root` (default chart when None or no AD file).

    Cached on the files' modification times, so that plugins may call it on every load.
    """
    paths = [DEFAULT_CHART_PATH]
    if ad_root is not None:
        ad_file = Path(ad_root) / AD_CHART_FILENAME
        if ad_file.exists():
            paths.append(ad_file)
    key = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    chart = _CACHE.get(key)
    if chart is None:
        chart = _CACHE[key] = build_chart(paths)
    return chart
