"""What the Inventaire page does, each action one commit of `inventaire.yaml` through the store
(our own record, `Scope.RECORDS`), or nothing with French errors by field."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping

from retkoop_tools.ad import LEDGERS_DIRNAME
from retkoop_tools.fr import fmt_date, fmt_eur
from retkoop_tools.inventaire.model import (
    INVENTAIRE_FILENAME,
    Bien,
    Ecartee,
    Inventaire,
    InventaireError,
    Proposition,
    load_inventaire,
    parse_bien,
    parse_sortie,
    propositions,
    purchases,
)
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.actions import Result, commit_result
from retkoop_tools.tresorier.books import Books


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


def _change(store: Store, uai: str, author: Author, change: Callable[[Inventaire, Result], str | None]) -> Result:
    """Read the cahier under the coop's lock, let `change` edit it (it returns the commit's
    message, or None after putting its errors in the result), commit it."""
    result = Result()
    with store.prepare(uai):
        try:
            inventaire = load_inventaire(store.root / LEDGERS_DIRNAME / uai)
        except InventaireError as exc:
            result.errors["general"] = f"{exc} Prévenez l'AD, qui le répare."
            return result
        message = change(inventaire, result)
        if message is None or not result.ok:
            return result
        return commit_result(store, uai, {INVENTAIRE_FILENAME: inventaire.dump(uai)}, author, message, result)


def _proposal(books: Books, inventaire: Inventaire, prop_id: str, result: Result) -> Proposition | None:
    exercices = {e for e in books.exercices}
    found = next((p for p in propositions(books, inventaire, list(exercices)) if p.id == prop_id), None)
    if found is None:
        done = any(p.id == prop_id for e in exercices for p in purchases(books, e))
        result.errors["general"] = ("Cet achat est déjà traité (inscrit au cahier ou écarté) : rechargez la page."
                                    if done else "Cet achat n'est plus dans les livres (corrigé ou supprimé ?) : "
                                                 "rechargez la page.")
    return found


def _bien(inventaire: Inventaire, numero: str, result: Result) -> Bien | None:
    try:
        bien = inventaire.get(int(numero))
    except (TypeError, ValueError):
        bien = None
    if bien is None:
        result.errors["general"] = f"Le bien n° {numero} n'est pas dans le cahier d'inventaire : rechargez la page."
    return bien


def confirm(store: Store, uai: str, books: Books, prop_id: str, form: Mapping[str, str], author: Author,
            today: datetime.date) -> Result:
    """Enter a proposed purchase in the cahier, with the désignation, lieu, date and value typed."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        prop = _proposal(books, inventaire, prop_id, result)
        champs, errors = parse_bien(form, today)
        result.errors.update(errors)
        if prop is None or errors:
            return None
        bien = Bien(inventaire.next_numero(), champs.date, champs.designation, champs.valeur, champs.lieu,
                    prop.origine, None, author.name, _now())
        inventaire.biens.append(bien)
        return (f"Inventaire : bien n° {bien.numero} « {bien.designation} » ({fmt_eur(bien.valeur)}), "
                f"achat de la pièce {prop.origine.piece or fmt_date(prop.origine.date)}")
    return _change(store, uai, author, change)


def dismiss(store: Store, uai: str, books: Books, prop_id: str, author: Author) -> Result:
    """A proposed purchase is not a durable good to enter (consumables booked on 606…)."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        prop = _proposal(books, inventaire, prop_id, result)
        if prop is None:
            return None
        inventaire.ecartees.append(Ecartee(prop.origine, author.name, _now()))
        return (f"Inventaire : achat de la pièce {prop.origine.piece or fmt_date(prop.origine.date)} "
                f"({fmt_eur(prop.origine.montant)}) écarté")
    return _change(store, uai, author, change)


def restore(store: Store, uai: str, prop_id: str, author: Author) -> Result:
    """A dismissed purchase is proposed again."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        kept = [e for e in inventaire.ecartees if e.origine.cle != prop_id]
        if len(kept) == len(inventaire.ecartees):
            result.errors["general"] = "Cet achat n'est pas parmi les achats écartés : rechargez la page."
            return None
        origine = next(e.origine for e in inventaire.ecartees if e.origine.cle == prop_id)
        inventaire.ecartees = kept
        return f"Inventaire : achat de la pièce {origine.piece or fmt_date(origine.date)} proposé de nouveau"
    return _change(store, uai, author, change)


def add(store: Store, uai: str, form: Mapping[str, str], author: Author, today: datetime.date) -> Result:
    """Enter a good by hand (a gift, a good bought before the books were kept here…)."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        champs, errors = parse_bien(form, today)
        result.errors.update(errors)
        if errors:
            return None
        bien = Bien(inventaire.next_numero(), champs.date, champs.designation, champs.valeur, champs.lieu,
                    None, None, author.name, _now())
        inventaire.biens.append(bien)
        return f"Inventaire : bien n° {bien.numero} « {bien.designation} » ({fmt_eur(bien.valeur)}) ajouté"
    return _change(store, uai, author, change)


def edit(store: Store, uai: str, numero: str, form: Mapping[str, str], author: Author,
         today: datetime.date) -> Result:
    """Correct a good's date, désignation, value or lieu."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        bien = _bien(inventaire, numero, result)
        champs, errors = parse_bien(form, today)
        if bien is not None and champs.date and bien.sortie is not None and champs.date > bien.sortie.date:
            errors.setdefault("date", f"Le bien est sorti du cahier le {fmt_date(bien.sortie.date)} : "
                                      "il n'a pas pu y entrer après.")
        result.errors.update(errors)
        if bien is None or errors:
            return None
        bien.date, bien.designation, bien.valeur, bien.lieu = (champs.date, champs.designation, champs.valeur,
                                                              champs.lieu)
        return f"Inventaire : bien n° {bien.numero} « {bien.designation} » corrigé"
    return _change(store, uai, author, change)


def dispose(store: Store, uai: str, books: Books, numero: str, form: Mapping[str, str], author: Author,
            today: datetime.date) -> Result:
    """The good leaves the cahier (broken, given, sold, lost…) on a date, for a reason."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        bien = _bien(inventaire, numero, result)
        if bien is None:
            return None
        if bien.sortie is not None:
            result.errors["general"] = f"Le bien n° {bien.numero} est déjà sorti du cahier le {fmt_date(bien.sortie.date)}."
            return None
        sortie, errors = parse_sortie(form, bien, today, set(books.closed))
        result.errors.update(errors)
        if sortie is None:
            return None
        bien.sortie = sortie
        return f"Inventaire : bien n° {bien.numero} « {bien.designation} » sorti le {fmt_date(sortie.date)} ({sortie.motif})"
    return _change(store, uai, author, change)


def cancel_disposal(store: Store, uai: str, books: Books, numero: str, author: Author) -> Result:
    """The disposal was written by mistake: the good is in the cahier again."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        bien = _bien(inventaire, numero, result)
        if bien is None:
            return None
        if bien.sortie is None:
            result.errors["general"] = f"Le bien n° {bien.numero} n'est pas sorti du cahier."
            return None
        from retkoop_tools.ledger.exercice import Exercice

        if Exercice.of_date(bien.sortie.date) in books.closed:
            result.errors["general"] = (f"La sortie du {fmt_date(bien.sortie.date)} appartient à l'exercice "
                                        f"{Exercice.of_date(bien.sortie.date)}, clôturé : elle ne s'annule plus.")
            return None
        bien.sortie = None
        return f"Inventaire : sortie du bien n° {bien.numero} « {bien.designation} » annulée"
    return _change(store, uai, author, change)


def remove(store: Store, uai: str, numero: str, author: Author) -> Result:
    """A good entered by mistake (twice, or not a durable good) leaves the cahier; the purchase
    it came from is proposed again. The history keeps it."""
    def change(inventaire: Inventaire, result: Result) -> str | None:
        bien = _bien(inventaire, numero, result)
        if bien is None:
            return None
        inventaire.biens.remove(bien)
        return f"Inventaire : bien n° {bien.numero} « {bien.designation} » retiré (inscrit par erreur)"
    return _change(store, uai, author, change)
