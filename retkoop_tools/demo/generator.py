"""Deterministic books of demo (and synthetic) cooperatives.

A school year is simulated in order of dates, so that the books obey every rule by
construction: receipts and expenses come from a calendar of school events (family
participation, photos, Christmas market, subsidy, outings, régie…), then a pass in date order
deposits cheques and cash, keeps the caisse positive, numbers the pièces, ticks monthly bank
statements (cheques clear days after they are issued) and counts the cash.
"""

from __future__ import annotations

import calendar
import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.core.account import TYPE as ACCOUNT_TYPE
from beancount.parser.grammar import ValueType

from retkoop_tools.chart import Chart, load_chart
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.ledger.closing import exercice_digest
from retkoop_tools.ledger.conventions import DENOMINATIONS
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import (
    COOP_FILENAME,
    CoopIdentity,
    add_regie,
    create_coop,
    exercices_of,
    insert_position,
    render_coop_file,
    render_exercice_file,
)
from retkoop_tools.ledger.writer import format_entry

CENT = Decimal("0.01")
D = Decimal


def money(value: float | str | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@dataclass(frozen=True)
class DemoCoop:
    uai: str
    nom: str
    commune: str
    classes: int
    numerotation: str = "RD"
    banque: str = "512"
    enseignants: tuple[str, ...] = ("Mme Martin", "M. Bernard")
    ouverture_banque: Decimal = D("1500.00")
    ouverture_caisse: Decimal = D("60.00")


DEMO_AD = {
    "numero": "91",
    "nom": "OCCE de l'Essonne (démonstration)",
    "adresse": "Maison départementale des associations, Évry-Courcouronnes",
    "email": "ad91@example.org",
    # A SIREN of demonstration (valid check digit, no real association), so that the FEC exports.
    "siren": "123456782",
    # 01 99 00 xx xx: numbers the ARCEP keeps for fiction (nobody's line).
    "contacts": [
        {"nom": "Secrétariat de l'AD", "pour": "identifiants et mots de passe, changement de mandataire, adhésion",
         "telephone": "01 99 00 12 34", "email": "ad91@example.org",
         "horaires": "du lundi au vendredi, de 9 h à 12 h et de 14 h à 17 h"},
        {"nom": "Comptabilité de l'AD", "pour": "questions sur les comptes et le compte rendu financier",
         "telephone": "01 99 00 12 35", "email": "compta.ad91@example.org", "horaires": "mardi et jeudi, de 14 h à 17 h"},
    ],
    "echeances": {"crf": "09-30", "adhesion": "10-15"},
    "quitus": {"verificateurs_min": 2, "parent_requis": True},
    "adhesion": {
        "2025-2026": {"eleve": 2.25, "adulte": 8.00, "assurance": 0.25, "revue": 6.50,
                      "seuil_biens": 2000, "coefficient_biens": 0.00688},
        "2026-2027": {"eleve": 2.30, "adulte": 8.20, "assurance": 0.26, "revue": 6.80,
                      "seuil_biens": 2000, "coefficient_biens": 0.00688},
    },
    "cra": {"questions": [
        {"cle": "conseils", "question": "Nombre de conseils de coopérative tenus avec les élèves",
         "type": "entier"},
        {"cle": "eleves", "question": "Nombre d'élèves ayant participé à un projet coopératif",
         "type": "entier"},
        {"cle": "domaine", "question": "Domaine principal des projets", "type": "choix",
         "choix": ["Arts et culture", "Sciences et environnement", "Sport", "Citoyenneté", "Lecture et écriture"]},
        {"cle": "sortie_nuitee", "question": "Une classe de découverte avec nuitées a-t-elle eu lieu ?",
         "type": "oui-non"},
        {"cle": "projets", "question": "Projets menés dans l'année (quelques lignes)", "type": "texte"},
    ]},
}

DEMO_COOPS = (
    DemoCoop("0910001A", "École élémentaire Jean Jaurès", "Évry-Courcouronnes", 10,
             enseignants=("Mme Martin", "M. Lefèvre"), ouverture_banque=D("2417.35"),
             ouverture_caisse=D("84.20")),
    DemoCoop("0910002B", "École maternelle Les Tilleuls", "Massy", 4, numerotation="continue",
             enseignants=("Mme Nguyen",), ouverture_banque=D("963.10"), ouverture_caisse=D("42.50")),
    DemoCoop("0910003C", "École primaire Paul Bert", "Étampes", 7, banque="514",
             enseignants=("M. Dubois", "Mme Garcia"), ouverture_banque=D("1788.64"),
             ouverture_caisse=D("37.80")),
    DemoCoop("0910004D", "École élémentaire Louise Michel", "Corbeil-Essonnes", 12,
             enseignants=("Mme Petit", "M. Roux", "Mme Fontaine"), ouverture_banque=D("3105.92"),
             ouverture_caisse=D("120.00")),
    DemoCoop("0910005E", "École maternelle Le Petit Prince", "Dourdan", 3, numerotation="continue",
             enseignants=("Mme Moreau",), ouverture_banque=D("512.47"), ouverture_caisse=D("25.00")),
)

FAMILLES = ("Famille Durand", "Famille Lambert", "Famille Benali", "Famille Rousseau",
            "Famille Mercier", "Famille Traoré", "Famille Lopez", "Famille Girard",
            "Famille Faure", "Famille Chevalier", "Famille Robin", "Famille Diallo",
            "Famille Morel", "Famille Gauthier", "Famille Perrin", "Famille Da Silva")
MAGASINS = ("Librairie La Plume", "Papeterie du Centre", "Cultura", "Leclerc", "Nature & Découvertes",
            "Jardinerie Truffaut", "Oxybul", "Decathlon")


@dataclass
class Op:
    date: datetime.date
    payee: str
    narration: str
    postings: list[tuple[str, Decimal]]
    mode: str | None = None
    kind: str = "D"  # R recette, D dépense (numbering series)
    nature: str | None = None
    cheque: str | None = None
    tags: frozenset[str] = frozenset()
    links: set[str] = field(default_factory=set)
    piece: str | None = None
    value_date: datetime.date | None = None  # when it shows on the bank statement
    releve: datetime.date | None = None
    deposits: list[Op] = field(default_factory=list)  # the cheques a remise deposits
    filler: bool = False  # a synthetic coop's extra operation (left out rather than overdraw)

    def cheque_link(self, exercice: Exercice) -> str:
        return f"chq-{exercice.start_year}-{self.piece}".lower()

    def amount_on(self, account: str) -> Decimal:
        return sum((a for acc, a in self.postings if acc == account), Decimal(0))


class Accounts:
    def __init__(self, chart: Chart, coop: DemoCoop):
        code = chart.by_code
        self.bank = code[coop.banque].account
        self.caisse = code["530"].account
        self.cheques = code["5112"].account
        self.report = code["110"].account
        self.c = {k: v.account for k, v in code.items()}


class YearSimulator:
    """Builds one exercice of a coop, carrying balances from the previous one."""

    def __init__(self, coop: DemoCoop, exercice: Exercice, acc: Accounts, regies: dict[str, str],
                 rng: random.Random, state: dict, target_ops: int = 0, adhesion: bool = True):
        self.coop, self.ex, self.acc, self.regies, self.rng = coop, exercice, acc, regies, rng
        self.state = state  # caisse, pending cheques, next cheque number, unticked bank ops
        self.target_ops = target_ops
        self.adhesion = adhesion  # False: the adhésion is paid through the product, not simulated
        self.ops: list[Op] = []

    # -- helpers -----------------------------------------------------------------------
    def day(self, month: int, lo: int = 1, hi: int = 28) -> datetime.date:
        year = self.ex.start_year if month >= 9 else self.ex.start_year + 1
        hi = min(hi, calendar.monthrange(year, month)[1])
        date = datetime.date(year, month, self.rng.randint(lo, hi))
        while date.weekday() >= 5:  # schools and banks work on weekdays
            date -= datetime.timedelta(days=1)
            if date < self.ex.start:
                date = self.ex.start
                break
        return date

    def amount(self, lo: float, hi: float, step: float = 0.01) -> Decimal:
        steps = int(round((hi - lo) / step))
        return money(lo + step * self.rng.randint(0, steps))

    def receipt(self, date, payee, narration, account, amount, mode, tags=(), filler=False):
        treasury = {"ESP": self.acc.caisse, "CHQ": self.acc.cheques}.get(mode, self.acc.bank)
        self.ops.append(Op(date, payee, narration, [(treasury, amount), (account, -amount)],
                           mode=mode, kind="R", tags=frozenset(tags), filler=filler,
                           cheque=str(self.rng.randint(1000000, 9999999)) if mode == "CHQ" else None))

    def expense(self, date, payee, narration, lines, mode, tags=(), filler=False):
        total = sum((a for _, a in lines), Decimal(0))
        treasury = self.acc.caisse if mode == "ESP" else self.acc.bank
        self.ops.append(Op(date, payee, narration, [*((a, v) for a, v in lines), (treasury, -total)],
                           mode=mode, kind="D", tags=frozenset(tags), filler=filler))

    # -- the calendar of a school year ---------------------------------------------------
    def build(self) -> list[Op]:
        c, k, rng = self.acc.c, self.coop.classes, self.rng
        pupils = k * 24
        # Participation volontaire des familles, September–October.
        for i in range(int(pupils * rng.uniform(0.25, 0.4))):
            mode = rng.choice(("CHQ", "CHQ", "ESP", "ESP", "VIR"))
            fam = rng.choice(FAMILLES)
            self.receipt(self.day(9, 8) if i % 3 else self.day(10, 1, 15), fam,
                         "Participation volontaire des familles", c["7562"],
                         money(rng.choice((10, 15, 15, 20, 20, 25, 30))), mode)
        # OCCE membership and insurance, October.
        members = pupils + k + 2
        if self.adhesion:
            self.expense(self.day(10, 10, 20), f"OCCE AD {DEMO_AD['numero']}",
                         f"Adhésion {self.ex} : {members} membres",
                         [(c["6281"], money(D("2.25") * members)), (c["6168"], money(D("0.25") * members))],
                         "PRLV")
        # School photos: sold to families, then the photographer is paid.
        sold = int(pupils * rng.uniform(0.5, 0.7))
        for _ in range(max(3, sold // 6)):
            n = rng.randint(4, 8)
            self.receipt(self.day(10, 14, 31), "Familles (vente de photos)",
                         f"Vente de {n} pochettes de photos", c["707"], money(12 * n),
                         rng.choice(("ESP", "CHQ")), tags=("photos",))
        self.expense(self.day(11, 5, 20), "Studio Photo Lumière", f"Photos de classe ({sold} pochettes)",
                     [(c["607"], money(D("7.90") * sold))], "CHQ", tags=("photos",))
        # Christmas market.
        for _ in range(rng.randint(4, 8)):
            self.receipt(self.day(12, 10, 19), "Marché de Noël", "Vente d'objets fabriqués par les élèves",
                         c["708"], self.amount(20, 140, 0.5), "ESP", tags=("noel",))
        self.expense(self.day(11, 20, 30), rng.choice(MAGASINS), "Fournitures pour le marché de Noël",
                     [(c["6063"], self.amount(40, 120))], "CB", tags=("noel",))
        # Commune subsidy, January; a small one from the département some years.
        self.receipt(self.day(1, 10, 31), f"Mairie de {self.coop.commune}", "Subvention de fonctionnement",
                     c["744"], money(150 * k), "VIR")
        if rng.random() < 0.5:
            self.receipt(self.day(3, 1, 31), "Conseil départemental de l'Essonne",
                         "Subvention projet jardin", c["743"], money(300), "VIR", tags=("jardin",))
        # Outing with a coach, spring: families pay, coach and museum are paid.
        outing_month = rng.choice((4, 5, 6))
        classes_out = max(1, k // 2)
        for _ in range(int(classes_out * 24 * 0.8)):
            self.receipt(self.day(outing_month - 1, 1, 28), rng.choice(FAMILLES),
                         "Participation à la sortie au musée", c["706"], money(8),
                         rng.choice(("CHQ", "ESP")), tags=("sortie-musee",))
        self.expense(self.day(outing_month, 5, 25), "Autocars Dupont", "Transport sortie au musée",
                     [(c["6247"], money(180 + 60 * classes_out))], "CHQ", tags=("sortie-musee",))
        self.expense(self.day(outing_month, 5, 25), "Muséum national d'histoire naturelle",
                     "Entrées et atelier", [(c["6251"], money(5 * 24 * classes_out))], "CB",
                     tags=("sortie-musee",))
        # An intervenant, books and magazines, bank fees.
        self.expense(self.day(2, 1, 28), "Compagnie Les Trois Pommes", "Spectacle de fin de trimestre",
                     [(c["604"], money(250 + 25 * k))], "CHQ")
        for month in (9, 1):
            self.expense(self.day(month, 10, 25), "Bayard Jeunesse", "Abonnements revues de classe",
                         [(c["6181"], self.amount(60, 180))], "CHQ")
        for month in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8):
            self.expense(self.day(month, 1, 5), "Banque", "Frais de tenue de compte",
                         [(c["627"], money("3.50"))], "PRLV")
        # Kermesse in June, USEP membership.
        for _ in range(rng.randint(6, 12)):
            self.receipt(self.day(6, 15, 30), "Kermesse", "Jeux et buvette", c["708"],
                         self.amount(30, 200, 0.5), "ESP", tags=("kermesse",))
        self.expense(self.day(6, 10, 25), rng.choice(MAGASINS), "Lots pour la kermesse",
                     [(c["6068"], self.amount(60, 200))], "CB", tags=("kermesse",))
        self.expense(self.day(10, 1, 20), "USEP Essonne", "Affiliation USEP",
                     [(c["6288"], money(20 + 3 * k))], "CHQ")
        if rng.random() < 0.4:
            self.expense(self.day(3, 1, 28), "Jeux Toulousains", "Jeux de cour (inventaire)",
                         [(c["606"], self.amount(150, 400))], "CHQ")
        # Régie d'avance to a teacher: handed out, justified, the rest returned.
        for teacher, account in list(self.regies.items())[:2]:
            month = rng.choice((11, 2, 3))
            handed = money(150)
            start = self.day(month, 1, 10)
            link = f"regie-{account.rsplit(':', 1)[-1].lower()}-{start:%Y%m%d}"
            spent = [self.amount(10, 35) for _ in range(rng.randint(2, 4))]
            spent_total = sum(spent, Decimal(0))
            self.ops.append(Op(start, teacher, "Versement de la régie d'avance",
                               [(account, handed), (self.acc.bank, -handed)],
                               mode="CHQ", kind="D", nature="regie", links={link}))
            back = start + datetime.timedelta(days=rng.randint(14, 30))
            self.ops.append(Op(back, teacher, "Justification de la régie : achats de la classe",
                               [(c["6068"], spent_total), (account, -spent_total)],
                               mode="ESP", kind="D", links={link}))
            rest = handed - spent_total
            self.ops.append(Op(back, teacher, "Restitution du reliquat de la régie",
                               [(self.acc.caisse, rest), (account, -rest)],
                               mode="ESP", kind="R", nature="regie", links={link}))
        # Filler for synthetic coops: small purchases and receipts all year round, up to
        # `target_ops` operations in the exercice (deposits and remises come on top).
        for i in range(max(0, self.target_ops - len(self.ops))):
            month = (9 + i % 12 - 1) % 12 + 1
            # One gift for two purchases, of about the same total: the coop's money lasts the
            # year, and ten years of books stay in credit.
            if i % 3 == 0:
                self.receipt(self.day(month), rng.choice(FAMILLES), "Don d'une famille", c["771"],
                             self.amount(5, 130, 1), rng.choice(("ESP", "CHQ")), filler=True)
            else:
                self.expense(self.day(month), rng.choice(MAGASINS), "Petit matériel pour la classe",
                             [(c[rng.choice(("6063", "6068", "6181"))], self.amount(5, 60))],
                             rng.choice(("CB", "CHQ", "ESP")), filler=True)
        return self.ops

    # -- the pass in date order -------------------------------------------------------------
    def settle(self) -> tuple[list[Op], list[tuple[datetime.date, Decimal]], list[tuple[datetime.date, Decimal]]]:
        """Deposit, number, tick; return ops, statements (date, balance), cash counts."""
        rng, acc = self.rng, self.acc
        ops = sorted(self.ops, key=lambda o: (o.date, o.kind != "R", o.narration))
        result: list[Op] = []
        caisse = self.state["caisse"]
        bank = self.state.get("bank", Decimal(0))
        pending: list[Op] = self.state["pending"]
        last_remise = self.ex.start
        for op in ops:
            # Deposit the cheques received once there are a few, or the oldest waits too long.
            if pending and (op.date - last_remise).days >= 5 and (
                len(pending) >= 4 or (op.date - pending[0].date).days >= 12
            ):
                result.append(self._remise(pending, op.date))
                bank += result[-1].amount_on(acc.bank)
                pending = []
                last_remise = op.date
            cash = op.amount_on(acc.caisse)
            if caisse + cash < 0:  # not enough cash: pay by card instead
                op.mode = "CB"
                op.postings = [(acc.bank if a == acc.caisse else a, v) for a, v in op.postings]
                cash = Decimal(0)
            if op.filler and bank + op.amount_on(acc.bank) < 0:
                continue  # a coop is never overdrawn: this purchase waits
            bank += op.amount_on(acc.bank)
            caisse += cash
            if op.mode == "CHQ" and op.amount_on(acc.cheques) > 0:
                pending.append(op)
            result.append(op)
            if caisse > 250 and op.kind == "R":  # take the cash to the bank, keep a float
                deposit = money((caisse - 60).quantize(D("1")))
                date = op.date + datetime.timedelta(days=1)
                if date > self.ex.end:
                    date = op.date
                result.append(Op(date, "Dépôt d'espèces", "Versement d'espèces à la banque",
                                 [(acc.bank, deposit), (acc.caisse, -deposit)], mode="ESP",
                                 kind="R", nature="virement"))
                caisse -= deposit
                bank += deposit
        if pending and rng.random() < 0.7:  # some cheques wait for September
            date = max(max(o.date for o in pending), self.ex.end - datetime.timedelta(days=10))
            result.append(self._remise(pending, date))
            bank += result[-1].amount_on(acc.bank)
            pending = []
        self.state["caisse"], self.state["pending"], self.state["bank"] = caisse, pending, bank

        result.sort(key=lambda o: o.date)
        self._number(result)
        statements = self._tick(result)
        counts = self._cash_counts(result)
        return result, statements, counts

    def _remise(self, cheques: list[Op], date: datetime.date) -> Op:
        total = sum((o.amount_on(self.acc.cheques) for o in cheques), Decimal(0))
        return Op(date, "Remise de chèques", f"Remise de {len(cheques)} chèque(s) à la banque",
                  [(self.acc.bank, total), (self.acc.cheques, -total)], mode="CHQ", kind="R",
                  nature="remise", deposits=list(cheques))

    def _number(self, ops: list[Op]) -> None:
        counters = {"R": 0, "D": 0, "": 0}
        for op in ops:
            if self.coop.numerotation == "continue":
                counters[""] += 1
                op.piece = str(counters[""])
            else:
                counters[op.kind] += 1
                op.piece = f"{op.kind}{counters[op.kind]:02d}"
            if op.mode == "CHQ" and op.amount_on(self.acc.bank) < 0:
                op.cheque = str(self.state["cheque"])
                self.state["cheque"] += 1

    def _tick(self, ops: list[Op]) -> list[tuple[datetime.date, Decimal]]:
        rng, bank = self.rng, self.acc.bank
        for op in ops:
            if op.amount_on(bank) == 0:
                continue
            lag = {"CHQ": rng.randint(2, 12), "CB": 1, "ESP": 1}.get(op.mode or "", 0)
            if op.nature == "remise":
                lag = rng.randint(1, 3)
            op.value_date = op.date + datetime.timedelta(days=lag)
        unticked: list[Op] = self.state["unticked"] + [o for o in ops if o.value_date]
        statements = []
        balance = self.state["statement_balance"]
        for month in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8):
            year = self.ex.start_year if month >= 9 else self.ex.start_year + 1
            end = datetime.date(year, month, calendar.monthrange(year, month)[1])
            still = []
            for op in unticked:
                if op.value_date <= end:
                    op.releve = end
                    balance += op.amount_on(bank)
                else:
                    still.append(op)
            unticked = still
            statements.append((end, balance))
        self.state["unticked"], self.state["statement_balance"] = unticked, balance
        return statements

    def _cash_counts(self, ops: list[Op]) -> list[tuple[datetime.date, Decimal]]:
        balance, counts = self.state["caisse_start"], []
        by_date: dict[datetime.date, Decimal] = {}
        for op in ops:
            balance += op.amount_on(self.acc.caisse)
            by_date[op.date] = balance
        days = sorted(by_date)
        for month in (12, 3, 6):
            year = self.ex.start_year if month >= 9 else self.ex.start_year + 1
            end = datetime.date(year, month, calendar.monthrange(year, month)[1])
            known = [d for d in days if d <= end]
            counts.append((end, by_date[known[-1]] if known else self.state["caisse_start"]))
        counts.append((self.ex.end, balance))
        self.state["caisse_start"] = balance
        return counts


def denominations(total: Decimal, rng: random.Random) -> dict[str, int]:
    """A plausible count of notes and coins for `total` (more small notes than big ones)."""
    rest, count = total, {}
    for key, value in DENOMINATIONS.items():
        if value > 50:
            continue
        n = int(rest // value)
        if value >= 10 and n > 1:
            n = rng.randint(n // 2, n)
        if n:
            count[key] = n
            rest -= value * n
    assert rest == 0, total
    return count


def _to_entries(ops, statements, counts, acc: Accounts, rng, exercice_of) -> list:
    """Beancount entries; `exercice_of(op)` names the exercice an op was numbered in."""
    entries = []
    for op in ops:
        links = set(op.links)
        if op.mode == "CHQ" and op.amount_on(acc.cheques) > 0:
            links.add(op.cheque_link(exercice_of(op)))
        links.update(o.cheque_link(exercice_of(o)) for o in op.deposits)
        meta = data.new_metadata("<demo>", 0)
        if op.piece:
            meta["piece"] = op.piece
        if op.nature:
            meta["nature"] = op.nature
        if op.mode:
            meta["mode"] = op.mode
        if op.cheque:
            meta["cheque"] = op.cheque
        if op.releve:
            meta["releve"] = op.releve
        postings = [data.Posting(a, data.Amount(v, "EUR"), None, None, None, None) for a, v in op.postings]
        entries.append(data.Transaction(meta, op.date, "*", op.payee, op.narration,
                                        op.tags, frozenset(links), postings))
    for date, balance in statements:
        entries.append(data.Custom(data.new_metadata("<demo>", 1), date, "releve",
                                   [ValueType(acc.bank, ACCOUNT_TYPE),
                                    ValueType(data.Amount(balance, "EUR"), data.Amount)]))
    for date, total in counts:
        meta = data.new_metadata("<demo>", 2)
        meta.update({k: D(v) for k, v in denominations(total, rng).items()})
        entries.append(data.Custom(meta, date, "arrete-caisse",
                                   [ValueType(acc.caisse, ACCOUNT_TYPE)]))
    entries.sort(key=lambda e: (e.date, 0 if isinstance(e, data.Transaction) else 1))
    return entries


def _opening(coop: DemoCoop, exercice: Exercice, acc: Accounts) -> Op:
    total = coop.ouverture_banque + coop.ouverture_caisse
    return Op(exercice.start, "Reprise des soldes", "Ouverture des comptes : report à nouveau",
              [(acc.bank, coop.ouverture_banque), (acc.caisse, coop.ouverture_caisse),
               (acc.report, -total)], nature="ouverture", kind="R")


@dataclass(frozen=True)
class Cutoff:
    """What a coop's books hold on a reference date: operations up to `day`, the bank
    statements ticked up to `statements_until`, the cash counted up to `counts_until`; the
    adhésion of the exercices in `adhesion_elsewhere` is left to the product (not simulated)."""

    day: datetime.date
    statements_until: datetime.date
    counts_until: datetime.date
    adhesion_elsewhere: frozenset[Exercice] = frozenset()


def _cut(years: list, cutoff: Cutoff) -> list:
    """The simulated years as they stand on `cutoff.day` (later items dropped, unticked)."""
    result = []
    for exercice, ops, statements, counts in years:
        result.append((exercice, [o for o in ops if o.date <= cutoff.day],
                       [s for s in statements if s[0] <= min(cutoff.statements_until, cutoff.day)],
                       [c for c in counts if c[0] <= min(cutoff.counts_until, cutoff.day)]))
    kept = {date for _, _, statements, _ in result for date, _ in statements}
    for _, ops, _, _ in result:
        for op in ops:
            if op.releve and op.releve not in kept:
                op.releve = None
    return result


def generate_coop(ad_root: Path, coop: DemoCoop, exercices: list[Exercice], closed: set[Exercice],
                  target_ops: int = 0, cutoff: Cutoff | None = None, closing: bool = False) -> Path:
    """Write the books of `coop` for `exercices` (in order); seal those in `closed`. With a
    `cutoff`, the books stop at its date (whole years are simulated, then cut). With
    `closing`, each closed exercice is closed as the product closes it (`close_books`: seal,
    report à nouveau, what the closing keeps), else only sealed (the committed snapshot)."""
    rng = random.Random(f"{coop.uai}-{exercices[0]}")
    chart = load_chart(ad_root)
    coop_dir = create_coop(ad_root, coop.uai, coop.nom, coop.commune, exercices[0], coop.numerotation)
    acc = Accounts(chart, coop)
    regies = {t: add_regie(ad_root, coop_dir, t, exercices[0].start) for t in coop.enseignants}
    identity = CoopIdentity(coop.uai, coop.nom, coop.commune, coop.numerotation)
    opening = _opening(coop, exercices[0], acc)
    state = {"caisse": coop.ouverture_caisse, "caisse_start": coop.ouverture_caisse, "pending": [],
             "bank": coop.ouverture_banque,
             "cheque": rng.randint(100, 900) * 10000 + 1, "unticked": [opening],
             "statement_balance": Decimal(0)}
    opening.value_date = exercices[0].start
    years = []
    numbered_in: dict[int, Exercice] = {}
    for i, exercice in enumerate(exercices):
        adhesion = cutoff is None or exercice not in cutoff.adhesion_elsewhere
        sim = YearSimulator(coop, exercice, acc, regies, rng, state, target_ops, adhesion)
        sim.build()
        ops, statements, counts = sim.settle()
        numbered_in.update((id(o), exercice) for o in ops)
        if i == 0:
            ops.insert(0, opening)
            # the opening balances were on the bank at the start: ticked on the first statement
            opening.releve = statements[0][0]
        years.append((exercice, ops, statements, counts))
    if cutoff is not None:
        years = _cut(years, cutoff)
    # Written once every year is simulated: a cheque of August is ticked in September.
    texts = {}
    for exercice, ops, statements, counts in years:
        entries = _to_entries(ops, statements, counts, acc, rng, lambda o: numbered_in[id(o)])
        texts[exercice] = render_exercice_file(identity, exercice, "".join(format_entry(e) for e in entries))
    if not closing:
        for exercice in exercices:
            atomic_write(coop_dir / exercice.filename, texts[exercice])
        atomic_write(coop_dir / COOP_FILENAME, render_coop_file(identity, exercices))
        for exercice in exercices:
            if exercice in closed:
                seal_exercice(coop_dir, exercice, "Démonstration", exercice.end + datetime.timedelta(days=25))
    else:
        # Year after year, as a coop lives them: each exercice closed before the next one's file
        # is written (its report à nouveau goes at the top of it); the next one's September
        # statement ticks August's cheques, which the closing carries into it.
        for i, exercice in enumerate(exercices):
            atomic_write(coop_dir / exercice.filename, texts[exercice])
            atomic_write(coop_dir / COOP_FILENAME, render_coop_file(identity, exercices[: i + 1]))
            if exercice in closed:
                following = exercices[i + 1] if i + 1 < len(exercices) else None
                texts[following] = close_books(ad_root, coop_dir, exercice, "Démonstration",
                                               exercice.end + datetime.timedelta(days=25), texts.get(following))
    assert exercices_of(coop_dir) == exercices
    return coop_dir


def close_books(ad_root: Path, coop_dir: Path, exercice: Exercice, by: str, on: datetime.date,
                following_text: str | None = None) -> str | None:
    """Close `exercice` as `retkoop exercice clore` does, without the CRF's PDF and git: its
    seal, the report à nouveau at the top of the next exercice, and `cloture-<exercice>.json`
    (what the closing keeps so that the next exercices load on their own). The books are
    loaded as every check loads them: after the previous closing, the exercice alone (the
    result is the same as from a full load; the hooks and CI compare them). With
    `following_text`, the next exercice's file is not written yet: its text with the report à
    nouveau is returned, to be written."""
    from retkoop_plugins.exercice import sealed_entries

    from retkoop_tools.cloture.actions import closing_text
    from retkoop_tools.cloture.report import report_block, with_report
    from retkoop_tools.cloture.resultats import (
        closing_results,
        results_filename,
        results_text,
    )
    from retkoop_tools.ledger.digest import entries_digest
    from retkoop_tools.ledger.layout import apply_changes
    from retkoop_tools.ledger.standalone import load_books
    from retkoop_tools.tresorier.books import Books

    before = load_books(coop_dir, coop_dir.name)
    if before.open_from is not None and before.open_from != exercice:  # not the next one to close
        before = load_books(coop_dir, coop_dir.name, full=True)
    entries = before.entries
    path = coop_dir.resolve() / exercice.filename
    digest = entries_digest(sealed_entries(entries, str(path)))
    text = path.read_text(encoding="utf-8")
    at = insert_position(text)
    texts = {exercice.filename: text[:at] + closing_text(exercice, digest, by, on) + text[at:]}
    following = coop_dir / exercice.next().filename
    if following_text is None and following.exists():
        following_text = following.read_text(encoding="utf-8")
    report = None
    if following_text is not None:
        books = Books(entries, load_chart(ad_root), coop_dir)
        report = with_report(following_text, report_block(books, exercice))
        if following.exists():
            texts[following.name] = report
    results = closing_results(ad_root, coop_dir.name, exercice, texts, before)
    texts[results_filename(exercice)] = results_text(results)
    apply_changes(coop_dir, texts)
    return report


def seal_exercice(coop_dir: Path, exercice: Exercice, by: str, on: datetime.date) -> None:
    """Append the closing directive (digest of the exercice's entries) to its file."""
    digest = exercice_digest(coop_dir, exercice)
    path = coop_dir / exercice.filename
    text = path.read_text(encoding="utf-8")
    marker = insert_position(text)
    closing = (
        f'{exercice.end.isoformat()} custom "cloture" "{exercice}" "{digest}"\n'
        f'  par: "{by}"\n'
        f"  le: {on.isoformat()}\n\n"
    )
    atomic_write(path, text[:marker] + closing + text[marker:])


def write_ad_file(ad_root: Path, config: dict) -> None:
    import yaml

    atomic_write(Path(ad_root) / "ad.yaml",
                 "# Identité et règles de l'AD (démonstration générée par retkoop demo).\n"
                 + yaml.safe_dump(config, allow_unicode=True, sort_keys=False))


#: The committed snapshot (`ledgers/`): the books as they stand on SNAPSHOT_DATE, 2024-2025
#: sealed (books only: no report à nouveau, CRF or adhésion, which the product writes).
SNAPSHOT_DATE = datetime.date(2026, 8, 31)
DEMO_EXERCICES = [Exercice(2024), Exercice(2025)]
DEMO_CLOSED = {Exercice(2024)}
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def synthetic_exercices(count: int, last: Exercice = Exercice(2025)) -> list[Exercice]:
    """The `count` exercices up to `last` of a synthetic coop (all but the last closed)."""
    return [Exercice(last.start_year - count + 1 + i) for i in range(count)]


def synthetic_coops(count: int) -> list[DemoCoop]:
    """`count` coops of varied sizes for benchmarks, deterministic."""
    rng = random.Random(count)
    coops = []
    for i in range(count):
        number = 9900000 + i
        coops.append(DemoCoop(
            uai=f"{number:07d}{_LETTERS[number % 23]}",
            nom=f"École synthétique n° {i + 1}",
            commune=rng.choice(("Évry", "Massy", "Étampes", "Dourdan", "Corbeil", "Palaiseau")),
            classes=rng.randint(2, 14),
            numerotation=rng.choice(("RD", "continue")),
            enseignants=("Mme Alpha", "M. Beta"),
            ouverture_banque=money(rng.randint(300, 4000)),
            ouverture_caisse=money(rng.randint(10, 120)),
        ))
    return coops


def _generate_one(args) -> str:
    ad_root, coop, exercices, closed, target_ops, cutoff, closing = args
    generate_coop(Path(ad_root), coop, exercices, closed, target_ops, cutoff, closing)
    return coop.uai


def generate_ad(ad_root: Path, coops: list[DemoCoop], ad_config: dict | None = None,
                exercices: list[Exercice] | None = None, closed: set[Exercice] | None = None,
                target_ops: int = 0, workers: int = 1, on_coop=None,
                cutoffs: dict[str, Cutoff] | None = None, closing: bool = False) -> None:
    """Write `ad.yaml` and the books of every coop into `ad_root` (cut at `cutoffs[uai]`);
    `closing`: close the closed exercices as the product does (see `generate_coop`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    exercices = exercices or DEMO_EXERCICES
    closed = DEMO_CLOSED if closed is None else closed
    Path(ad_root).mkdir(parents=True, exist_ok=True)
    write_ad_file(ad_root, ad_config or DEMO_AD)
    jobs = [(str(ad_root), c, exercices, closed, target_ops, (cutoffs or {}).get(c.uai), closing) for c in coops]
    if workers <= 1:
        for job in jobs:
            _generate_one(job)
            if on_coop:
                on_coop(job[1].uai)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for uai in pool.map(_generate_one, jobs, chunksize=4):
            if on_coop:
                on_coop(uai)
