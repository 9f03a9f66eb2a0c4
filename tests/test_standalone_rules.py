"""The standalone load (issue 21) gives what a full load gives when a *closed* exercice and the
open one interact, for every rule module: cheques across the boundary, remises of cheques
received before it, régies versed in the closed exercice, overdrafts and the caisse on the days
of each side, cash counts and their gaps, statements, pièces, cessions, the adhésion and the
quitus of the closed exercice, avertissements, the AD's settings changed after the closing, a
closed file changed, a reopening.

Each coop is built once per module, closed through the closing's code (`close_books`, which
computes `cloture-<K>.json` as `retkoop exercice clore` does), then loaded both ways; the
errors (file, line, message, level), the Books figures the pages use and the CRF of the open
year are compared field by field.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from retkoop_tools.ad import load_ad
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.runner import result_of_load
from retkoop_tools.demo.generator import DEMO_AD, close_books, generate_ad, synthetic_coops, synthetic_exercices
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.ledger.standalone import forget, load_books, results_filename
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.calendrier import latest_pointage

K, OPEN = Exercice(2024), Exercice(2025)
TODAY = datetime.date(2026, 9, 15)


@pytest.fixture(autouse=True)
def _no_shared_loads():
    from retkoop_tools.ledger.standalone import share_loads

    share_loads(None)


# -- building -----------------------------------------------------------------------------------
def _insert(text: str, entries: str) -> str:
    at = insert_position(text)
    return text[:at] + entries.strip("\n") + "\n\n" + text[at:]


def _shift_statements(text: str, account: str, delta: Decimal, since: str = "") -> str:
    """Every statement of `account` (from `since`) by `delta` (a statement's balance is cumulative)."""
    def shifted(m):
        if m.group(1) < since:
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{Decimal(m.group(3)) + delta}{m.group(4)}"
    return re.sub(rf'^(\d{{4}}-\d{{2}}-\d{{2}})( custom "releve" {re.escape(account)} )(-?[\d.]+)( EUR)$',
                  shifted, text, flags=re.M)


def _generate(root: Path) -> Path:
    generate_ad(root, synthetic_coops(1), dict(DEMO_AD), exercices=synthetic_exercices(2), closed=set(),
                target_ops=40, closing=True)
    return next((root / "ledgers").iterdir())


def _close(coop_dir: Path, exercice: Exercice = K, on: datetime.date = datetime.date(2025, 9, 20)) -> None:
    forget()
    close_books(coop_dir.parent.parent, coop_dir, exercice, "Compta AD", on)
    forget()


def _txn(date, payee, narration, piece, meta: dict, postings: list[tuple[str, str]], links: str = "") -> str:
    lines = [f'{date} * "{payee}" "{narration}"' + (f" {links}" if links else ""), f'  piece: "{piece}"']
    for key, value in meta.items():
        lines.append(f"  {key}: {value}")
    lines += [f"  {account}  {amount} EUR" for account, amount in postings]
    return "\n".join(lines) + "\n"


BANK, CAISSE, CHQ = "Actif:512-Banque", "Actif:530-Caisse", "Actif:5112-Cheques-a-encaisser"
ALPHA, BETA = "Actif:54-Regies:Alpha", "Actif:54-Regies:Beta"

#: What the closed exercice K holds besides the generated books (every rule touched).
K_ENTRIES = [
    # soldes: an overdraft on 20/08 of K, by a cheque ticked on the open year's first statement.
    _txn("2025-08-20", "Voyages Atlas", "Classe de découverte", "XK01",
         {"mode": '"CHQ"', "cheque": '"0000901"', "releve": "2025-09-30"},
         [("Charges:6251-Sorties-voyages", "5000.00"), (BANK, "-5000.00")]),
    _txn("2025-08-25", "Mairie de Massy", "Subvention classe de découverte", "XK02",
         {"mode": '"VIR"', "releve": "2025-09-30"},
         [(BANK, "5000.00"), ("Produits:744-Subvention-commune", "-5000.00")]),
    # cheques: a cheque of May never debited; one ticked in K, reused in the open year.
    _txn("2025-05-10", "Librairie du centre", "Albums", "XK03", {"mode": '"CHQ"', "cheque": '"0000902"'},
         [("Charges:6181-Livres-abonnements", "40.00"), (BANK, "-40.00")]),
    # remises: cheques received in K, deposited in the open year; one deposited in K and again later;
    # a remise of K that deposits more than received (5112 negative on a day of K).
    _txn("2025-08-28", "Famille Nguyen", "Participation sortie", "XK04", {"mode": '"CHQ"', "cheque": '"7700001"'},
         [(CHQ, "30.00"), ("Produits:706-Participation-activites", "-30.00")], "^chq-x1"),
    _txn("2025-08-29", "Famille Petit", "Participation sortie", "XK05", {"mode": '"CHQ"', "cheque": '"7700002"'},
         [(CHQ, "25.00"), ("Produits:706-Participation-activites", "-25.00")], "^chq-x3"),
    _txn("2025-06-03", "Famille Roux", "Participation sortie", "XK06", {"mode": '"CHQ"', "cheque": '"7700003"'},
         [(CHQ, "20.00"), ("Produits:706-Participation-activites", "-20.00")], "^chq-x2"),
    _txn("2025-06-05", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XK07",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "20.00"), (CHQ, "-20.00")], "^chq-x2"),
    _txn("2025-07-01", "Famille Blanc", "Participation sortie", "XK08", {"mode": '"CHQ"', "cheque": '"7700004"'},
         [(CHQ, "20.00"), ("Produits:706-Participation-activites", "-20.00")], "^chq-x4"),
    _txn("2025-07-02", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XK09",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "9000.00"), (CHQ, "-9000.00")], "^chq-x4"),
    _txn("2025-07-03", "Banque", "Remise annulée", "XK10",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(CHQ, "8980.00"), (BANK, "-8980.00")]),
    # régies: Alpha versed twice (200 €, above the 150 € cap), not returned by 31/08; Beta overspent.
    _txn("2025-06-02", "Mme Alpha", "Versement de la régie d'avance", "XK11",
         {"nature": '"regie"', "mode": '"CHQ"', "cheque": '"0000904"'}, [(ALPHA, "100.00"), (BANK, "-100.00")]),
    _txn("2025-06-20", "Mme Alpha", "Versement de la régie d'avance", "XK12",
         {"nature": '"regie"', "mode": '"ESP"'}, [(ALPHA, "100.00"), (CAISSE, "-100.00")]),
    _txn("2025-06-19", "Kermesse", "Recettes de la kermesse", "XK13", {"mode": '"ESP"'},
         [(CAISSE, "100.00"), ("Produits:708-Fetes-ventes", "-100.00")]),
    _txn("2025-07-01", "M. Beta", "Versement de la régie d'avance", "XK14",
         {"nature": '"regie"', "mode": '"ESP"'}, [(BETA, "30.00"), (CAISSE, "-30.00")]),
    _txn("2025-07-01", "Kermesse", "Buvette", "XK15", {"mode": '"ESP"'},
         [(CAISSE, "30.00"), ("Produits:708-Fetes-ventes", "-30.00")]),
    _txn("2025-07-03", "M. Beta", "Justification de la régie : achats de la classe", "XK16", {"mode": '"ESP"'},
         [("Charges:6068-Fournitures-projets", "45.00"), (BETA, "-45.00")]),
    # caisse: negative on 27/08 by a deposit at the bank (not ticked: carried), above the cap on 28/08.
    _txn("2025-08-27", "Dépôt d'espèces", "Versement d'espèces à la banque", "XK17",
         {"nature": '"virement"', "mode": '"ESP"'}, [(BANK, "300.00"), (CAISSE, "-300.00")]),
    _txn("2025-08-28", "Kermesse", "Fête de fin d'année", "XK18", {"mode": '"ESP"'},
         [(CAISSE, "1300.00"), ("Produits:708-Fetes-ventes", "-1300.00")]),
    _txn("2025-08-29", "Dépôt d'espèces", "Versement d'espèces à la banque", "XK19",
         {"nature": '"virement"', "mode": '"ESP"'}, [(BANK, "1000.00"), (CAISSE, "-1000.00")]),
    # arrêté de caisse: a gap of 2 € at the last count of K, the same in the open year.
    _txn("2025-08-30", "Boulangerie", "Goûter", "XK20", {"mode": '"ESP"'},
         [("Charges:6063-Fournitures-activites", "2.00"), (CAISSE, "-2.00")]),
    # tresorerie: a pièce used twice, the second time by an operation still carried (not ticked).
    _txn("2025-08-26", "Papeterie", "Cahiers", "D26", {"mode": '"CHQ"', "cheque": '"0000905"'},
         [("Charges:6063-Fournitures-activites", "12.00"), (BANK, "-12.00")]),
    # cessions: photos sold by cheques not yet deposited at 31/08, bought in cash.
    _txn("2025-06-15", "Familles", "Photos de classe", "XK21", {"mode": '"CHQ"', "cheque": '"7700005"'},
         [(CHQ, "120.00"), ("Produits:707-Ventes-pour-cession", "-120.00")], "^chq-x5"),
    _txn("2025-06-16", "Photographe", "Photos de classe", "XK22", {"mode": '"ESP"'},
         [("Charges:607-Achats-pour-cession", "80.00"), (CAISSE, "-80.00")]),
    # subventions, ventilation: on carried entries (not ticked).
    _txn("2025-08-22", "", "Subvention", "XK23", {"mode": '"VIR"'},
         [(BANK, "50.00"), ("Produits:744-Subvention-commune", "-50.00")]),
    _txn("2025-08-23", "Librairie du centre", "Albums", "XK24", {"mode": '"CB"'},
         [("Produits:708-Fetes-ventes", "15.00"), (BANK, "-15.00")]),
    # pointage: an operation of K ticked on a statement that does not exist (carried: not counted).
    _txn("2025-08-21", "Banque", "Frais", "XK25", {"mode": '"PRLV"', "releve": "2025-08-15"},
         [("Charges:627-Frais-bancaires", "1.00"), (BANK, "-1.00")]),
    _txn("2025-06-12", "Librairie du centre", "Dictionnaires", "XK26", {"mode": '"CHQ"', "cheque": '"0000903"'},
         [("Charges:6181-Livres-abonnements", "10.00"), (BANK, "-10.00")]),
]

OPEN_ENTRIES = [
    # remises of the cheques received in K: one right, one wrong, one already deposited in K.
    _txn("2025-09-05", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XO01",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "30.00"), (CHQ, "-30.00")], "^chq-x1"),
    _txn("2025-09-06", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XO02",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "28.00"), (CHQ, "-28.00")], "^chq-x3"),
    _txn("2025-09-07", "Remise de chèques", "Remise de 2 chèque(s) à la banque", "XO03",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "140.00"), (CHQ, "-140.00")], "^chq-x2 ^chq-x5"),
    # régie Alpha justified and returned in the open year.
    _txn("2025-09-15", "Mme Alpha", "Justification de la régie : achats de la classe", "XO04", {"mode": '"ESP"'},
         [("Charges:6068-Fournitures-projets", "150.00"), (ALPHA, "-150.00")]),
    _txn("2025-09-15", "Mme Alpha", "Restitution du reliquat de la régie", "XO05",
         {"nature": '"regie"', "mode": '"ESP"'}, [(CAISSE, "50.00"), (ALPHA, "-50.00")]),
    # an overdraft in the open year, and the cheque number of K issued again.
    _txn("2025-10-15", "Autocars Dupont", "Sortie", "XO06", {"mode": '"CHQ"', "cheque": '"0000903"'},
         [("Charges:6247-Transports", "9000.00"), (BANK, "-9000.00")]),
    _txn("2025-10-16", "Mairie de Massy", "Subvention sortie", "XO07", {"mode": '"VIR"'},
         [(BANK, "9000.00"), ("Produits:744-Subvention-commune", "-9000.00")]),
    # an operation of the open year ticked on K's last statement (before the operation).
    _txn("2025-09-02", "Banque", "Frais", "XO08", {"mode": '"PRLV"', "releve": "2025-08-31"},
         [("Charges:627-Frais-bancaires", "1.00"), (BANK, "-1.00")]),
]


def _rich(root: Path) -> Path:
    coop_dir = _generate(root)
    first, second = (coop_dir / K.filename), (coop_dir / OPEN.filename)
    first.write_text(_insert(first.read_text(), "\n".join(K_ENTRIES)))
    text = _insert(second.read_text(), "\n".join(OPEN_ENTRIES))
    second.write_text(text)
    return coop_dir


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Path:
    coop_dir = _rich(tmp_path_factory.mktemp("riche"))
    _close(coop_dir)
    return coop_dir


# -- comparing ----------------------------------------------------------------------------------
def _both(coop_dir: Path, texts: dict | None = None):
    forget()
    full = load_books(coop_dir, coop_dir.name, full=True, texts=texts)
    alone = load_books(coop_dir, coop_dir.name, texts=texts)
    return full, alone


def _reports(loaded, coop_dir: Path) -> list[tuple]:
    result = result_of_load(coop_dir.parent.parent, coop_dir.name, loaded.entries, loaded.errors)
    return sorted((e.file, e.line, e.message, e.level) for e in [*result.errors, *result.warnings])


def _books(loaded, coop_dir: Path) -> Books:
    return Books(loaded.entries, load_chart(coop_dir.parent.parent), coop_dir, today=TODAY)


def _facts(loaded, coop_dir: Path) -> dict:
    books = _books(loaded, coop_dir)
    accounts = sorted({p.account for op in books.operations for p in op.entry.postings})
    days = sorted({op.date for op in books.operations if OPEN.contains(op.date)})
    return {
        "balances": {a: [(d, books.balance(a, d)) for d in days] for a in accounts},
        "pointage": latest_pointage(books),
        "statements": [(s.account, s.date, s.balance) for s in books.statements() if OPEN.contains(s.date)],
        "counts": [(c.date, c.total, c.book) for c in books.cash_counts() if OPEN.contains(c.date)],
        "pending": sorted((op.date, op.piece) for op in books.pending_cheques()),
        "unticked": [(a, [(op.date, op.piece) for op in books.unticked(a)]) for a in books.bank_accounts],
        "ticked": [(a, [(d, books.ticked_total(a, d)) for d in days]) for a in books.bank_accounts],
        "regies": [(r.account, r.balance) for r in books.regies()],
        "operations": loaded.operations,
    }


def _crf(loaded, coop_dir: Path, exercice: Exercice = OPEN):
    source = CoopSource(load_ad(coop_dir.parent.parent), coop_dir.name, _books(loaded, coop_dir), [])
    crf = compute_crf(source, exercice, TODAY)
    return {
        "charges": [(l.rubrique.key, [(c.compte.code, c.montant) for c in l.comptes]) for l in crf.charges],
        "produits": [(l.rubrique.key, [(c.compte.code, c.montant) for c in l.comptes]) for l in crf.produits],
        "actif": [(p.libelle, p.montant) for p in crf.actif],
        "report": crf.report_a_nouveau, "resultat": crf.resultat, "equilibre": crf.equilibre,
        "rapprochements": [(r.compte, r.date_releve, r.solde_releve, r.solde_comptable, r.solde_fin,
                            [op.piece for op in r.non_pointees], [op.piece for op in r.non_couvertes])
                           for r in crf.rapprochements],
        "caisse": (crf.caisse.date, crf.caisse.total, crf.caisse.solde_comptable, crf.caisse.solde_fin)
        if crf.caisse else None,
        "subventions": [(s.date, s.financeur, s.montant) for s in crf.subventions],
    }


def _assert_same(full, alone, coop_dir: Path, *, standalone: bool = True) -> list[tuple]:
    if standalone:
        assert alone.open_from is not None, alone.why_full
    ours, theirs = _reports(alone, coop_dir), _reports(full, coop_dir)
    assert [r for r in ours if r not in theirs] == [] and [r for r in theirs if r not in ours] == []
    assert ours == theirs
    assert _facts(alone, coop_dir) == _facts(full, coop_dir)
    assert _crf(alone, coop_dir) == _crf(full, coop_dir)
    return theirs


def test_every_rule_across_the_boundary(rich):
    full, alone = _both(rich)
    reports = _assert_same(full, alone, rich)
    messages = "\n".join(r[2] for r in reports)
    print(messages)
