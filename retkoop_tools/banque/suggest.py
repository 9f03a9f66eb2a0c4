"""The account to prefill for a bank line: what this coop used most for a similar label.

Labels are compared as sets of significant words (the bank's noise — PRLV, SEPA, CB, dates,
numbers — left out). Each past operation of the same direction votes for its accounts with
its similarity to the line; the account with the most votes wins. A coop with no history yet
gets a few obvious defaults (bank fees, insurance, OCCE, the town's subsidy).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from retkoop_tools.banque.statement import normalize
from retkoop_tools.chart import Compte
from retkoop_tools.ledger.conventions import META_LIBELLE_BANQUE
from retkoop_tools.tresorier.books import Books

_NOISE = frozenset("""
PRLV SEPA CB CARTE VIR VIREMENT VIRT RECU EMIS DE DU LA LE LES DES ET POUR PAR AU AUX EN SUR
EUR EUROS FACTURE PAIEMENT CHEQUE CHEQUES CHQ REF MOTIF ECH ECHEANCE MANDAT ICS RUM NO NUM
PRELEVEMENT OPERATION DATE CONTRAT
""".split())
MIN_SCORE = 0.2

#: When the coop's history says nothing: a word of the label → a chart code, per direction.
DEFAULTS = {
    "charge": (("FRAIS", "627"), ("COTISATION CARTE", "627"), ("COMMISSION", "627"), ("AGIOS", "627"),
               ("ASSURANCE", "6168"), ("MAIF", "6168"), ("MAE", "6168"), ("OCCE", "6281"),
               ("USEP", "6288"), ("LIBRAIRIE", "6181"), ("AUTOCARS", "6247"), ("TRANSPORTS", "6247"),
               ("POSTE", "626"), ("TIMBRES", "626")),
    "produit": (("MAIRIE", "744"), ("COMMUNE", "744"), ("DEPARTEMENT", "743"), ("REGION", "742"),
                ("INTERETS", "768"), ("DON", "771"), ("APE", "771"), ("KERMESSE", "708")),
}


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[A-Z]{2,}", normalize(text)) if w not in _NOISE)


@dataclass(frozen=True)
class Suggestion:
    compte: Compte
    narration: str  # the label the coop wrote for the most similar operation
    payee: str
    score: float


class Suggester:
    """Built once per import from the coop's books."""

    def __init__(self, books: Books):
        self.chart = books.chart
        self._history: list[tuple[frozenset[str], str, list[Compte], str, str]] = []
        for op in books.operations:
            if not op.ventilation:
                continue
            bank_label = str(op.entry.meta.get(META_LIBELLE_BANQUE, "") or "")
            text = " ".join((op.payee, op.narration, bank_label))
            sens = op.ventilation[0][0].sens
            self._history.append((words(text), sens, [c for c, _ in op.ventilation], op.narration, op.payee))

    def suggest(self, label: str, receipt: bool) -> Suggestion | None:
        sens = "produit" if receipt else "charge"
        wanted = words(label)
        votes: dict[str, float] = defaultdict(float)
        best_op: dict[str, tuple[float, str, str]] = {}
        comptes: dict[str, Compte] = {}
        for known, op_sens, op_comptes, narration, payee in self._history:
            if op_sens != sens or not known or not wanted:
                continue
            common = wanted & known
            if not common:
                continue
            score = len(common) / len(wanted | known)
            for compte in op_comptes:
                votes[compte.code] += score
                comptes[compte.code] = compte
                if score > best_op.get(compte.code, (0.0, "", ""))[0]:
                    best_op[compte.code] = (score, narration, payee)
        if votes:
            code = max(votes, key=lambda c: (votes[c], c))
            top, narration, payee = best_op[code]
            if top >= MIN_SCORE:
                return Suggestion(comptes[code], narration, payee, top)
        text = normalize(label)
        for word, code in DEFAULTS[sens]:
            if re.search(rf"\b{word}\b", text):
                compte = self.chart.by_code.get(code)
                if compte is not None and compte.is_ventilation and compte.sens == sens:
                    return Suggestion(compte, "", "", 0.0)
        return None
