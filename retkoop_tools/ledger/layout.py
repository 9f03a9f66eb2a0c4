"""The files of one cooperative, as ARCHITECTURE.md lays them out.

    ledgers/<UAI>/
        coop.beancount        the only top-level file: options, plugins, Fava options, includes
        comptes.beancount     open directives generated from the AD's chart
        <2025-2026>.beancount one file per exercice
        documents/            pièces justificatives, statements, generated PDFs
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from beancount.core import data
from beancount.parser import parser
from retkoop_plugins import ALL_PLUGINS

from retkoop_tools.ad import COOP_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.chart import Chart, load_chart, sub_account_name
from retkoop_tools.fr import fmt_date
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.ledger.conventions import CUSTOM_COOPERATIVE
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.writer import quote_string
from retkoop_tools.tresorier.pages import DEFAULT_PAGE as TRESORIER_DEFAULT_PAGE
from retkoop_tools.tresorier.pages import MODULES as TRESORIER_PAGES

COMPTES_FILENAME = "comptes.beancount"
INSERT_MARKER = 'custom "fava-option" "insert-entry"'
DOCUMENTS_DIRNAME = "documents"
NUMBERING_STYLES = {
    "RD": "R01, R02… pour les recettes, D01, D02… pour les dépenses",
    "continue": "1, 2, 3… recettes et dépenses mêlées",
}

_UAI_RE = re.compile(r"^[0-9]{7}[A-Z]$")

#: Every file repeats these: account names are checked per file when it is parsed.
ROOT_OPTIONS = """\
option "name_assets" "Actif"
option "name_liabilities" "Passif"
option "name_equity" "Capitaux"
option "name_income" "Produits"
option "name_expenses" "Charges"
"""


class LayoutError(ValueError):
    """A coop cannot be created or changed as asked; the message says why, in French."""


def validate_uai(uai: str) -> str:
    """The UAI, upper-cased; LayoutError unless it is 7 digits and a letter (0910000A)."""
    value = (uai or "").strip().upper()
    if not _UAI_RE.match(value):
        raise LayoutError(
            f"« {uai} » n'est pas un numéro UAI : 7 chiffres puis une lettre, comme 0910000A."
        )
    return value


@dataclass(frozen=True)
class CoopIdentity:
    uai: str
    nom: str
    commune: str
    numerotation: str
    banques: str = ""  # chart codes of its bank accounts ("514"), when declared before they are used
    email: str = ""  # the school's address (ce.0910001a@ac-versailles.fr), where the AD writes too


_quote = quote_string
_EMAIL_RE = re.compile(r"^[^@\s\"<>']+@[^@\s\"<>']+\.[^@\s\"<>']+$")


def render_coop_file(identity: CoopIdentity, exercices: list[Exercice]) -> str:
    first = min(exercices)
    opening = first.start.isoformat()
    title = f"{identity.nom} ({identity.uai})"
    lines = [
        f"; Coopérative scolaire {identity.uai} – {identity.nom}",
        "; Fichier principal : options, règles OCCE, options de Fava et fichiers inclus.",
        "; Les opérations s'écrivent dans le fichier de leur exercice (2025-2026.beancount…).",
        "",
        f"option {_quote('title')} {_quote(title)}",
        'option "operating_currency" "EUR"',
        ROOT_OPTIONS.rstrip("\n"),
        'option "account_previous_balances" "Ouverture"',
        'option "account_previous_earnings" "Resultats-anterieurs"',
        'option "account_current_earnings" "Resultat-en-cours"',
        'option "account_previous_conversions" "Conversions-anterieures"',
        'option "account_current_conversions" "Conversions"',
        f'option "documents" "{DOCUMENTS_DIRNAME}"',
        "",
        "; Règles OCCE (retkoop-tools)",
        *(f'plugin "{p}"' for p in ALL_PLUGINS),
        "",
        f'{opening} custom "{CUSTOM_COOPERATIVE}" {_quote(identity.uai)}',
        f"  nom: {_quote(identity.nom)}",
        f"  commune: {_quote(identity.commune)}",
        f"  numerotation: {_quote(identity.numerotation)}",
        *([f"  banques: {_quote(identity.banques)}"] if identity.banques else []),
        *([f"  email: {_quote(identity.email)}"] if identity.email else []),
        "",
        f'{opening} custom "fava-option" "language" "fr"',
        f'{opening} custom "fava-option" "locale" "fr_FR"',
        f'{opening} custom "fava-option" "fiscal-year-end" "08-31"',
        f'{opening} custom "fava-option" "default-page" "{TRESORIER_DEFAULT_PAGE}"',
        "",
        "; Pages du trésorier dans Fava (saisie, cahier, pointage, arrêté de caisse)",
        *(f'{opening} custom "fava-extension" "{m}"' for m in TRESORIER_PAGES),
        "",
        f'include "{COMPTES_FILENAME}"',
        *(f'include "{e.filename}"' for e in sorted(exercices)),
        "",
    ]
    return "\n".join(lines)


def render_comptes_file(
    chart: Chart, opening: datetime.date, sub_accounts: list[tuple[str, datetime.date, str]]
) -> str:
    """Open directives for every account of the chart, then the coop's sub-accounts."""
    lines = [
        "; Comptes de la coopérative, générés depuis le plan comptable de l'AD.",
        "; Ne pas modifier à la main : retkoop coop comptes les régénère.",
        ROOT_OPTIONS,
    ]
    width = max(len(c.account) for c in chart.comptes) + 2
    for compte in sorted(chart.comptes, key=lambda c: (c.rubrique.order, c.code)):
        if compte.sous_comptes:
            continue
        lines.append(
            f"{opening.isoformat()} open {compte.account:<{width}} EUR ; {compte.code} {compte.libelle}"
        )
    if sub_accounts:
        lines.append("")
        lines.append("; Sous-comptes de la coopérative (régies d'avance…)")
        for account, date, label in sorted(sub_accounts):
            lines.append(f"{date.isoformat()} open {account:<{width}} EUR ; {label}")
    return "\n".join(lines) + "\n"


def render_exercice_file(identity: CoopIdentity, exercice: Exercice, body: str = "") -> str:
    """An exercice file: header, entries (`body`), then the marker where Fava inserts."""
    return (
        f"; Exercice {exercice} ({fmt_date(exercice.start)} – {fmt_date(exercice.end)}) "
        f"de la coopérative {identity.uai}\n"
        + ROOT_OPTIONS
        + "\n"
        + body
        + exercice_footer(exercice)
    )


def exercice_footer(exercice: Exercice) -> str:
    # Fava inserts a new entry before the latest insert-entry option dated *before* the
    # entry: dated the day before the exercice starts, this one catches all of its dates.
    marker_date = exercice.start - datetime.timedelta(days=1)
    return (
        f'{marker_date.isoformat()} {INSERT_MARKER} ".*"  '
        f"; les nouvelles saisies de {exercice} s'insèrent avant cette ligne\n"
    )


def insert_position(text: str) -> int:
    """Where new entries go in an exercice file's text: the start of its marker line."""
    at = text.rindex(INSERT_MARKER)
    return text.rindex("\n", 0, at) + 1


def read_identity(coop_dir: Path) -> CoopIdentity:
    """The identity of a coop, from the `custom "cooperative"` directive of coop.beancount."""
    entries, _errors, _options = parser.parse_file(str(coop_dir / COOP_FILENAME))
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type == CUSTOM_COOPERATIVE:
            return CoopIdentity(
                uai=str(entry.values[0].value),
                nom=str(entry.meta.get("nom", "")),
                commune=str(entry.meta.get("commune", "")),
                numerotation=str(entry.meta.get("numerotation", "RD")),
                banques=str(entry.meta.get("banques", "") or ""),
                email=str(entry.meta.get("email", "") or ""),
            )
    raise LayoutError(f"{coop_dir / COOP_FILENAME} : identité de la coopérative introuvable.")


def exercices_of(coop_dir: Path) -> list[Exercice]:
    """The exercices a coop has a file for, in order."""
    found = (Exercice.from_filename(p.name) for p in coop_dir.glob("*.beancount"))
    return sorted(e for e in found if e is not None)


def create_coop(
    ad_root: Path,
    uai: str,
    nom: str,
    commune: str = "",
    exercice: Exercice | None = None,
    numerotation: str = "RD",
    banques: str = "",
    email: str = "",
) -> Path:
    """Create the folder and files of a new coop; return its folder. `banques` declares its bank
    accounts by their chart codes ("514" for La Banque Postale), the chart's first by default;
    `email` is the school's address."""
    uai = validate_uai(uai)
    nom = (nom or "").strip()
    if not nom:
        raise LayoutError("Donnez le nom de l'école (--nom \"École …\").")
    if numerotation not in NUMBERING_STYLES:
        raise LayoutError(
            f"Numérotation « {numerotation} » inconnue : RD ({NUMBERING_STYLES['RD']}) "
            f"ou continue ({NUMBERING_STYLES['continue']})."
        )
    coop_dir = Path(ad_root) / LEDGERS_DIRNAME / uai
    if (coop_dir / COOP_FILENAME).exists():
        raise LayoutError(f"La coopérative {uai} existe déjà ({coop_dir}).")
    exercice = exercice or Exercice.current()
    chart = load_chart(ad_root)
    codes = (banques or "").replace(",", " ").split()
    allowed = [c.code for c in chart.accounts_of_type("banque")]
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise LayoutError(f"Compte bancaire « {unknown[0]} » inconnu : le plan comptable de l'AD a "
                          + " et ".join(allowed) + ".")
    email = (email or "").strip()
    if email and not _EMAIL_RE.match(email):
        raise LayoutError(f"« {email} » n'est pas une adresse e-mail.")
    identity = CoopIdentity(uai, nom, (commune or "").strip(), numerotation, " ".join(codes), email)

    (coop_dir / DOCUMENTS_DIRNAME).mkdir(parents=True, exist_ok=True)
    (coop_dir / DOCUMENTS_DIRNAME / ".gitkeep").touch()
    atomic_write(coop_dir / COMPTES_FILENAME, render_comptes_file(chart, exercice.start, []))
    atomic_write(coop_dir / exercice.filename, render_exercice_file(identity, exercice))
    atomic_write(coop_dir / COOP_FILENAME, render_coop_file(identity, [exercice]))
    return coop_dir


def exercice_changes(coop_dir: Path, exercice: Exercice) -> dict[str, str]:
    """The files that open `exercice` (the one after the last): its file and coop.beancount."""
    existing = exercices_of(coop_dir)
    if exercice in existing:
        raise LayoutError(f"L'exercice {exercice} existe déjà.")
    if existing and exercice != existing[-1].next():
        raise LayoutError(
            f"L'exercice qui suit {existing[-1]} est {existing[-1].next()}, pas {exercice}."
        )
    identity = read_identity(coop_dir)
    return {
        exercice.filename: render_exercice_file(identity, exercice),
        COOP_FILENAME: render_coop_file(identity, [*existing, exercice]),
    }


def coop_file_changes(coop_dir: Path) -> dict[str, str]:
    """coop.beancount as this version writes it (options, rules, Fava pages), same identity."""
    return {COOP_FILENAME: render_coop_file(read_identity(coop_dir), exercices_of(coop_dir))}


def apply_changes(coop_dir: Path, changes: dict[str, str]) -> None:
    """Write changes directly (outside an AD repository's store): new files first."""
    for rel in sorted(changes, key=lambda r: (r == COOP_FILENAME, r)):
        atomic_write(coop_dir / rel, changes[rel])


def add_exercice(coop_dir: Path, exercice: Exercice) -> Path:
    """Create the file of a new exercice and include it (the following one only)."""
    apply_changes(coop_dir, exercice_changes(coop_dir, exercice))
    return coop_dir / exercice.filename


_OPEN_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}) open (\S+)\s+EUR(?:\s*;\s*(.*))?$")


def sub_accounts_of(coop_dir: Path, chart: Chart) -> list[tuple[str, datetime.date, str]]:
    """The sub-accounts (régies…) opened in a coop's comptes.beancount."""
    path = coop_dir / COMPTES_FILENAME
    if not path.exists():
        return []
    return sub_accounts_in(path.read_text(encoding="utf-8"), chart)


def sub_accounts_in(text: str, chart: Chart) -> list[tuple[str, datetime.date, str]]:
    """The sub-accounts (régies…) that the text of a comptes.beancount opens."""
    result = []
    for line in text.splitlines():
        match = _OPEN_RE.match(line)
        if match and chart.lookup(match.group(2))[1]:
            result.append(
                (match.group(2), datetime.date.fromisoformat(match.group(1)), match.group(3) or "")
            )
    return result


def comptes_changes(ad_root: Path, coop_dir: Path) -> dict[str, str]:
    """comptes.beancount from the AD's current chart, keeping the sub-accounts."""
    chart = load_chart(ad_root)
    return {COMPTES_FILENAME: render_comptes_file(chart, _opening(coop_dir), sub_accounts_of(coop_dir, chart))}


def _opening(coop_dir: Path) -> datetime.date:
    exercices = exercices_of(coop_dir)
    return exercices[0].start if exercices else Exercice.current().start


def is_generated_comptes(ad_root: Path, coop_dir: Path, text: str) -> bool:
    """Whether `text` is the comptes.beancount retkoop generates, with the coop's sub-accounts
    kept and only new régies added (what the Saisie page writes when it opens a régie)."""
    chart = load_chart(ad_root)
    subs = sub_accounts_in(text, chart)
    old = set(sub_accounts_of(coop_dir, chart))
    regie_parents = tuple(c.account + ":" for c in chart.accounts_of_type("regie") if c.sous_comptes)
    if not old <= set(subs) or any(not a.startswith(regie_parents) for a, _, _ in set(subs) - old):
        return False
    return text == render_comptes_file(chart, _opening(coop_dir), subs)


def regie_changes(ad_root: Path, coop_dir: Path, teacher: str,
                  date: datetime.date) -> tuple[str, dict[str, str]]:
    """The régie sub-account of a teacher, and the comptes.beancount that opens it."""
    chart = load_chart(ad_root)
    parents = [c for c in chart.accounts_of_type("regie") if c.sous_comptes]
    if not parents:
        raise LayoutError("Le plan comptable de l'AD n'a pas de compte de régies d'avance.")
    account = f"{parents[0].account}:{sub_account_name(teacher)}"
    subs = sub_accounts_of(coop_dir, chart)
    if any(a == account for a, _, _ in subs):
        raise LayoutError(f"La régie {account} existe déjà.")
    exercices = exercices_of(coop_dir)
    opening = exercices[0].start if exercices else date
    subs.append((account, max(date, opening), f"Régie d'avance de {teacher.strip()}"))
    return account, {COMPTES_FILENAME: render_comptes_file(chart, opening, subs)}


def add_regie(ad_root: Path, coop_dir: Path, teacher: str, date: datetime.date) -> str:
    """Open the régie sub-account of a teacher; return the account name."""
    account, changes = regie_changes(ad_root, coop_dir, teacher, date)
    apply_changes(coop_dir, changes)
    return account
