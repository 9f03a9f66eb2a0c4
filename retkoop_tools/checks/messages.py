"""Beancount's own messages, in French for a teacher.

Our plugins already speak French; Beancount's parser and validations do not. Each known
message gets a sentence that says what to fix; an unknown one keeps its text, marked as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retkoop_tools.fr import fmt_number

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

#: Shared with the plan comptable plugin, so that both reports of one posting merge into one.
CURRENCY_MESSAGE = (
    "Montant en {currency} sur {account} : la coopérative tient ses comptes en euros, "
    "écrivez « EUR »."
)


def _amount(text: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        return fmt_number(Decimal(text)) + "\u00a0€"
    except InvalidOperation:
        return text


_RULES: list[_Rule] = [
    (
        re.compile(r"Invalid number format: '([^']*)'"),
        lambda m: f"Montant illisible « {m.group(1)} » : écrivez-le avec un point pour les "
        "centimes et sans espace, par exemple 1234.56 EUR.",
    ),
    (
        re.compile(r"day is out of range for month|month must be in 1\.\.12|"
                   r"year \d+ is out of range|Invalid date"),
        lambda m: "Date impossible : ce jour n'existe pas. Les dates s'écrivent AAAA-MM-JJ, "
        "par exemple 2026-02-28.",
    ),
    (
        re.compile(r"Duplicate metadata field on entry: KeyValue\(key='([^']*)'"),
        lambda m: f"L'information « {m.group(1)} » est écrite deux fois sur la même opération : "
        "n'en gardez qu'une.",
    ),
    (
        re.compile(r"Invalid token: '([^']*)'"),
        lambda m: f"Texte non reconnu « {m.group(1)} » : les étiquettes (#projet), les noms de "
        "comptes et les clés s'écrivent sans accent ni espace ; le texte libre va entre "
        "guillemets.",
    ),
    (
        re.compile(r"Invalid reference to unknown account '([^']*)'"),
        lambda m: f"Compte inconnu {m.group(1)} : il n'est ni ouvert dans comptes.beancount ni "
        "dans le plan comptable de l'AD (faute de frappe ?).",
    ),
    (
        re.compile(r"Invalid currency (\S+) for account '([^']*)'"),
        lambda m: CURRENCY_MESSAGE.format(currency=m.group(1), account=m.group(2)),
    ),
    (
        re.compile(r"Invalid reference to inactive account '([^']*)'"),
        lambda m: f"Le compte {m.group(1)} n'est pas ouvert à cette date.",
    ),
    (
        re.compile(r"Transaction does not balance: \((-?[0-9.]+) ?([A-Z]*)\)"),
        lambda m: f"L'opération n'est pas équilibrée : il manque {_amount(m.group(1))} entre le "
        "montant et sa ventilation (la somme des lignes doit faire zéro).",
    ),
    (
        re.compile(r"syntax error, unexpected (.*)"),
        lambda m: "Ligne illisible : vérifiez la date (AAAA-MM-JJ, par exemple 2026-03-14), les "
        "guillemets autour des textes et le retrait de deux espaces des lignes de l'opération.",
    ),
    (
        re.compile(r"Account '([^']*)' is opened twice|Duplicate open directive for (\S+)"),
        lambda m: f"Le compte {m.group(1) or m.group(2)} est ouvert deux fois.",
    ),
    (
        re.compile(r"Error importing plugin '([^']*)'|Invalid plugin"),
        lambda m: f"Règle introuvable ({m.group(1) if m.lastindex else 'plugin'}) : "
        "retkoop-tools est-il installé dans cet environnement ?",
    ),
    (
        re.compile(r"Error (?:calling|applying) plugin [\"']([^\"']*)[\"']"),
        lambda m: f"La règle {m.group(1)} n'a pas pu lire ce livre : une directive est "
        "probablement incomplète (custom sans compte ?). Détail :",
    ),
    (
        re.compile(r"File \"?'?([^\"']*)'?\"? does not exist|No such file"),
        lambda m: "Fichier inclus introuvable : vérifiez les lignes include de coop.beancount.",
    ),
    (
        re.compile(r"Balance failed for '([^']*)'"),
        lambda m: f"Le solde déclaré de {m.group(1)} ne correspond pas aux opérations.",
    ),
]


def to_french(message: str) -> str:
    """A French message for one of Beancount's messages."""
    first_line = message.strip().splitlines()[0] if message.strip() else message
    for pattern, render in _RULES:
        match = pattern.search(first_line)
        if match:
            return render(match)
    return f"Erreur Beancount : {first_line}"


def is_ours(error: object) -> bool:
    """True for the errors of our plugins (and of closed exercices, as their closing kept
    them), which are French already."""
    module = type(error).__module__
    return module.startswith("retkoop_plugins") or module == "retkoop_tools.ledger.sealed_errors"
