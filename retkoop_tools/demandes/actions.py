"""The steps of a request, each one commit through the store with its author.

The mandataire sends a request (`send`) and may add to it (`add_note`); the AD answers it
(`answer`, possibly closing it) or validates it (`validate`): a change of mandataire then
creates the successor's account with a one-time password and ends the other accesses to the
coop on the date asked, and `mandataires.yaml` names the successor from that date.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.demandes.model import (
    CLOSE,
    DEMANDES_FILENAME,
    ENVOYEE,
    MAX_ADDRESS,
    MAX_MESSAGE,
    MAX_NAME,
    REPONDUE,
    TYPES,
    VALIDEE,
    Demande,
    DemandeError,
    Etape,
    email_address,
    find,
    load_demandes,
    plain,
    render_demandes,
)
from retkoop_tools.documents.mandataires import (
    MANDATAIRES_FILENAME,
    with_new_mandataire,
)
from retkoop_tools.policy.writes import Scope
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, commit_result
from retkoop_tools.tresorier.parsing import parse_date

#: How far ahead a change of mandataire may be asked (the next school year, and a margin).
MAX_DAYS_AHEAD = 400


def _now() -> datetime.datetime:
    """Now, local time, on the project's clock (its day is the pinned day when RETKOOP_AUJOURDHUI is set)."""
    from retkoop_tools.ledger.exercice import today

    now = datetime.datetime.now().astimezone().replace(microsecond=0)
    return datetime.datetime.combine(today(), now.timetz())


def _coop_dir(store: Store, uai: str) -> Path:
    return store.root / LEDGERS_DIRNAME / uai


def parse_request(kind: str, form: Mapping[str, str], today: datetime.date) -> tuple[Demande | None, str, dict]:
    """The request a form describes, its message, and the French errors by field."""
    errors: dict[str, str] = {}
    if kind not in TYPES:
        return None, "", {"general": "Type de demande inconnu."}

    def field(name: str, read):
        try:
            return read()
        except (DemandeError, ValueError) as exc:
            errors[name] = str(exc)
            return None

    message = field("message", lambda: plain(form.get("message"), "le message", MAX_MESSAGE, lines=True)) or ""
    demande = Demande(numero=0, type=kind)
    if kind == "mandataire":
        demande.successeur = field("successeur", lambda: plain(form.get("successeur"), "le nom du nouveau mandataire",
                                                               MAX_NAME, required=True)) or ""
        if demande.successeur and len(demande.successeur) < 3 and "successeur" not in errors:
            errors["successeur"] = "Indiquez le nom du nouveau mandataire, par exemple « Mme Durand »."
        demande.email = field("email", lambda: email_address(form.get("email"), "l'adresse e-mail du nouveau "
                                                                                "mandataire")) or ""
        date = field("a_partir_du", lambda: parse_date(form.get("a_partir_du", "")))
        if date is not None:
            if date < today:
                errors["a_partir_du"] = (f"Le {date:%d/%m/%Y} est passé : indiquez le jour où le nouveau mandataire "
                                         "prend la coopérative (aujourd'hui ou plus tard).")
            elif (date - today).days > MAX_DAYS_AHEAD:
                errors["a_partir_du"] = f"Le {date:%d/%m/%Y} est trop loin : la demande vaut pour l'année qui vient."
            else:
                demande.a_partir_du = date
    else:
        email = (form.get("email_ecole") or "").strip()
        demande.email = field("email_ecole", lambda: email_address(email, "l'e-mail de l'école")) if email else ""
        demande.adresse = field("adresse", lambda: plain(form.get("adresse"), "l'adresse", MAX_ADDRESS,
                                                         lines=True)) or ""
        if not email and not demande.adresse and "adresse" not in errors:
            errors["email_ecole"] = "Indiquez le nouvel e-mail de l'école, sa nouvelle adresse, ou les deux."
    return (None if errors else demande), message, errors


def _message(demande: Demande) -> str:
    return f"Demande n° {demande.numero} à l'AD : {demande.objet}"


def send(store: Store, uai: str, kind: str, form: Mapping[str, str], author: Author,
         today: datetime.date) -> Result:
    """The mandataire's new request, committed; or the French errors by field (nothing written)."""
    demande, message, errors = parse_request(kind, form, today)
    if errors:
        return Result(errors=errors)
    with store.prepare(uai):
        demandes = load_demandes(_coop_dir(store, uai))
        pending = [d for d in demandes if d.type == kind and d.is_open]
        if pending:
            return Result(errors={"general": f"La demande n° {pending[0].numero} ({pending[0].type_libelle.lower()}) "
                                             "attend encore l'AD : complétez-la plutôt, ci-dessous."})
        demande.numero = max((d.numero for d in demandes), default=0) + 1
        demande.etapes.append(Etape(_now(), author.name, author.ident, "envoi", message))
        text = render_demandes(uai, [*demandes, demande])
        result = commit_result(store, uai, {DEMANDES_FILENAME: text}, author, _message(demande), Result(),
                               Scope.RECORDS)
    if result.ok:
        result.message = f"demande n° {demande.numero} envoyée à l'AD ({demande.type_libelle.lower()})."
    return result


def _step(store: Store, uai: str, numero: int, author: Author, action: str, texte: str, statut: str,
          message: str, allowed: tuple[str, ...], extra: Mapping[str, str] | None = None,
          before_write=None) -> tuple[Result, Demande | None]:
    with store.prepare(uai):
        coop_dir = _coop_dir(store, uai)
        demandes = load_demandes(coop_dir)
        try:
            demande = find(demandes, numero)
        except DemandeError as exc:
            return Result(errors={"general": str(exc)}), None
        if demande.statut not in allowed:
            return Result(errors={"general": f"La demande n° {numero} est {demande.statut_libelle.lower()} : "
                                             "elle ne peut plus changer."}), demande
        if before_write is not None:
            try:
                texte = before_write(demande) or texte
            except (DemandeError, ValueError) as exc:
                return Result(errors={"general": str(exc)}), demande
        demande.statut = statut
        demande.etapes.append(Etape(_now(), author.name, author.ident, action, texte))
        changes = {DEMANDES_FILENAME: render_demandes(uai, demandes), **(extra or {})}
        return commit_result(store, uai, changes, author, f"Demande n° {numero} : {message}", Result(),
                             Scope.RECORDS), demande


def add_note(store: Store, uai: str, numero: int, texte: str, author: Author) -> Result:
    """The mandataire adds to an open request (after an answer of the AD, for instance)."""
    try:
        texte = plain(texte, "votre message", MAX_MESSAGE, required=True, lines=True)
    except DemandeError as exc:
        return Result(errors={"texte": str(exc)})
    result, _ = _step(store, uai, numero, author, "complement", texte, ENVOYEE, "complément du mandataire",
                      (ENVOYEE, REPONDUE))
    if result.ok:
        result.message = f"message ajouté à la demande n° {numero}."
    return result


def answer(store: Store, uai: str, numero: int, texte: str, author: Author, close: bool = False) -> Result:
    """The AD's answer, which the mandataire reads on the page; `close` ends the request."""
    try:
        texte = plain(texte, "la réponse", MAX_MESSAGE, required=True, lines=True)
    except DemandeError as exc:
        return Result(errors={"texte": str(exc)})
    result, _ = _step(store, uai, numero, author, "cloture" if close else "reponse", texte,
                      CLOSE if close else REPONDUE, "close par l'AD" if close else "réponse de l'AD",
                      (ENVOYEE, REPONDUE))
    if result.ok:
        result.message = f"demande n° {numero} {'close' if close else 'répondue'}."
    return result


def validate(store: Store, accounts, uai: str, numero: int, author: Author, today: datetime.date,
             texte: str = "") -> tuple[Result, list[tuple[str, str]]]:
    """The AD validates. A change of mandataire: the successor's account is created (one-time
    password returned, to show once), the other accesses end on the date asked (today if it has
    passed), and mandataires.yaml names the successor from then. Returns the result and the
    (login, one-time password) pairs to hand over."""
    from retkoop_tools.web.accounts import AccountError

    try:
        texte = plain(texte, "le message", MAX_MESSAGE, lines=True)
    except DemandeError as exc:
        return Result(errors={"texte": str(exc)}), []
    handed: list[tuple[str, str]] = []
    extra: dict[str, str] = {}

    def apply(demande: Demande) -> str:
        if demande.type != "mandataire":
            return texte or "Coordonnées de l'école enregistrées par l'AD."
        start = max(demande.a_partir_du or today, today)
        try:
            accounts.check_successor(demande.email)
            handed.extend(accounts.hand_over(uai, demande.successeur, demande.email, start, actor=author.ident))
        except AccountError as exc:
            raise DemandeError(str(exc)) from None
        extra[MANDATAIRES_FILENAME] = with_new_mandataire(_coop_dir(store, uai), demande.successeur, start)
        done = (f"Compte de {demande.successeur} ouvert ({demande.email}) ; l'accès de l'ancien mandataire "
                f"{'est fermé' if start <= today else 'se ferme le ' + start.strftime('%d/%m/%Y')}.")
        return f"{done} {texte}".strip()

    result, demande = _step(store, uai, numero, author, "validation", texte, VALIDEE, "validée par l'AD",
                            (ENVOYEE, REPONDUE), extra=extra, before_write=apply)
    if result.ok and demande is not None:
        result.message = f"demande n° {numero} validée : {demande.derniere.texte}"
    return result, handed
