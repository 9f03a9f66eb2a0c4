"""The compte rendu d'activités (CRA): a questionnaire the AD defines in `ad.yaml`.

    cra:
      questions:                      # for every year, unless a year has its own list
        - {cle: conseils, question: "Conseils de coopérative tenus", type: entier}
        - {cle: projets, question: "Projets menés avec les élèves", type: texte}
        - {cle: sortie, question: "Une sortie avec nuitée ?", type: oui-non}
        - {cle: domaine, question: "Domaine principal", type: choix, choix: [Arts, Sciences]}
      "2026-2027": [ ... ]

Answers are stored in `ledgers/<UAI>/cra-2025-2026.yaml`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from retkoop_tools.fr import now_paris
from retkoop_tools.ledger.exercice import Exercice

TYPES = {"entier": "nombre entier", "texte": "texte", "oui-non": "oui ou non", "choix": "choix"}


class CRAError(ValueError):
    """The questionnaire or the answers are wrong; the message is in French."""


@dataclass(frozen=True)
class Question:
    cle: str
    question: str
    type: str
    choix: tuple[str, ...] = ()
    obligatoire: bool = True


def cra_filename(exercice: Exercice) -> str:
    return f"cra-{exercice}.yaml"


def questionnaire(ad_config: dict, exercice: Exercice) -> list[Question]:
    raw = (ad_config or {}).get("cra") or {}
    items = raw.get(str(exercice)) or raw.get("questions") or []
    if not items:
        raise CRAError(f"L'AD n'a pas encore publié le questionnaire du compte rendu d'activités {exercice} "
                       "(ad.yaml, rubrique cra).")
    result, keys = [], set()
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("cle") or not item.get("question"):
            raise CRAError(f"ad.yaml, cra : la question n° {i} doit avoir une clé et un intitulé.")
        kind = str(item.get("type", "texte"))
        if kind not in TYPES:
            raise CRAError(f"ad.yaml, cra : la question « {item['cle']} » a un type inconnu « {kind} » "
                           f"(attendu : {', '.join(TYPES)}).")
        choices = tuple(str(c) for c in item.get("choix") or ())
        if kind == "choix" and not choices:
            raise CRAError(f"ad.yaml, cra : la question « {item['cle']} » doit lister ses choix.")
        if item["cle"] in keys:
            raise CRAError(f"ad.yaml, cra : la clé « {item['cle']} » apparaît deux fois.")
        keys.add(item["cle"])
        result.append(Question(str(item["cle"]), str(item["question"]), kind, choices,
                               bool(item.get("obligatoire", True))))
    return result


@dataclass
class Reponses:
    exercice: Exercice
    valeurs: dict = field(default_factory=dict)
    par: str = ""
    le: str = ""

    def dump(self) -> str:
        content = {"exercice": str(self.exercice), "reponses": self.valeurs, "par": self.par, "le": self.le}
        return (f"# Compte rendu d'activités {self.exercice} de la coopérative.\n"
                "# Écrit par retkoop (page « Fin d'exercice »).\n"
                + yaml.safe_dump(content, allow_unicode=True, sort_keys=False))


def load_answers(coop_dir: Path, exercice: Exercice) -> Reponses | None:
    path = Path(coop_dir) / cra_filename(exercice)
    if not path.exists():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CRAError(f"{path.name} : YAML invalide ({exc}).") from exc
    return Reponses(exercice, dict(raw.get("reponses") or {}), str(raw.get("par", "")), str(raw.get("le", "")))


def parse_answers(questions: list[Question], form: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Typed answers from the form's texts, and French errors by question key."""
    values, errors = {}, {}
    for q in questions:
        text = (form.get(q.cle) or "").strip()
        if not text:
            if q.type == "oui-non":
                values[q.cle] = False
            elif q.obligatoire:
                errors[q.cle] = "Répondez à cette question."
            continue
        if q.type == "entier":
            if not text.isdigit():
                errors[q.cle] = f"« {text} » : écrivez un nombre entier, par exemple 3."
            else:
                values[q.cle] = int(text)
        elif q.type == "oui-non":
            values[q.cle] = text.lower() in ("oui", "on", "true", "1")
        elif q.type == "choix":
            if text not in q.choix:
                errors[q.cle] = "Choisissez une des réponses proposées."
            else:
                values[q.cle] = text
        else:
            if len(text) > 2000:
                errors[q.cle] = "Réponse trop longue : 2 000 caractères au plus."
            values[q.cle] = text
    return values, errors


def display(question: Question, value) -> str:
    if value is None or value == "":
        return ""
    if question.type == "oui-non":
        return "Oui" if value else "Non"
    return str(value)


def new_answers(exercice: Exercice, values: dict, par: str) -> Reponses:
    return Reponses(exercice, values, par, now_paris().isoformat())


def cra_pdf(ad_config: dict, coop: dict, exercice: Exercice, reponses: Reponses | None, *,
            html: bool = False) -> str | bytes:
    from retkoop_tools.documents.render import html_to_pdf, render_html
    from retkoop_tools.documents.source import ad_identity

    questions = questionnaire(ad_config, exercice)
    values = reponses.valeurs if reponses else {}
    page = render_html("cra.html", ad=ad_identity(ad_config), coop=coop, exercice=exercice, reponses=reponses,
                       lignes=[(q, display(q, values.get(q.cle))) for q in questions],
                       genere_le=datetime.date.today())
    return page if html else html_to_pdf(page)


def save_answers(store, uai: str, exercice: Exercice, author, form: dict[str, str]):
    """Check the answers and commit them (a tresorier Result: errors by question key)."""
    from retkoop_tools.ad import load_ad
    from retkoop_tools.tresorier.actions import Result, commit_result

    result = Result()
    try:
        questions = questionnaire(load_ad(store.root).config, exercice)
    except CRAError as exc:
        result.errors["general"] = str(exc)
        return result
    values, errors = parse_answers(questions, form)
    if errors:
        result.errors.update(errors)
        return result
    answers = new_answers(exercice, values, author.name)
    commit_result(store, uai, {cra_filename(exercice): answers.dump()}, author,
                  f"Compte rendu d'activités {exercice}", result)
    if result.ok:
        result.message = f"Compte rendu d'activités {exercice} enregistré."
    return result
