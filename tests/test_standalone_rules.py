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
from beancount.core import data

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
ALPHA, BETA, GAMMA = "Actif:54-Regies:Alpha", "Actif:54-Regies:Beta", "Actif:54-Regies:Gamma"

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
         [(CAISSE, "1400.00"), ("Produits:708-Fetes-ventes", "-1400.00")]),
    _txn("2025-08-29", "Dépôt d'espèces", "Versement d'espèces à la banque", "XK19",
         {"nature": '"virement"', "mode": '"ESP"'}, [(BANK, "1100.00"), (CAISSE, "-1100.00")]),
    # arrêté de caisse: a gap of 2 € at the last count of K, the same in the open year.
    _txn("2025-08-30", "Boulangerie", "Goûter", "XK20", {"mode": '"ESP"'},
         [("Charges:6063-Fournitures-activites", "2.00"), (CAISSE, "-2.00")]),
    # arrêté de caisse: an operation of 31/08 written after K's last count (after it, then).
    _txn("2025-08-31", "Famille Lopez", "Participation", "XK27", {"mode": '"ESP"'},
         [(CAISSE, "3.00"), ("Produits:7562-Participation-familles", "-3.00")]),
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
    _txn("2025-09-07", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XO03",
         {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "120.00"), (CHQ, "-120.00")], "^chq-x5"),
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
    return [(e.file, e.line, e.message, e.level) for e in [*result.errors, *result.warnings]]  # as listed


def _books(loaded, coop_dir: Path) -> Books:
    return Books(loaded.entries, load_chart(coop_dir.parent.parent), coop_dir, today=TODAY)


def _facts(loaded, coop_dir: Path) -> dict:
    books = _books(loaded, coop_dir)
    accounts = sorted({e.account for e in loaded.entries if isinstance(e, data.Open)})
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


def _has(reports: list[tuple], file: str, *parts: str, level: str | None = None) -> bool:
    return any(r[0].endswith(file) and all(p in _plain(r[2]) for p in parts) and (level is None or r[3] == level)
               for r in reports)


def _plain(message: str) -> str:
    return message.replace("\u202f", " ").replace("\xa0", " ")


def test_every_rule_across_the_boundary(rich):
    from retkoop_tools.checks.commits import results_problems

    full, alone = _both(rich)
    reports = _assert_same(full, alone, rich)
    k, o = K.filename, OPEN.filename
    # Judged at K's closing, on entries the open exercice still carries (not judged again).
    assert _has(reports, k, "à découvert le 20/08/2025")
    assert _has(reports, k, "La caisse serait négative le 29/08/2025")
    assert _has(reports, k, "La caisse contient", "le 28/08/2025", level="avertissement")
    assert _has(reports, k, "La pièce D26 est déjà utilisée")
    assert _has(reports, k, "La remise du 02/07/2025 dépose 9 000,00")
    assert _has(reports, k, "seraient négatifs le 02/07/2025")
    assert _has(reports, k, "atteint 200,00 € le 20/06/2025", level="avertissement")
    # Rules on the whole closed exercice, computed again from its totals.
    assert _has(reports, k, "régie de Alpha n'est ni justifiée", "dernier versement le 20/06/2025",
                level="avertissement")
    assert _has(reports, k, "régie de Beta n'est ni justifiée", "-15,00")
    assert not _has(reports, k, "Ventes pour cession")  # bought in cash, sold by cheques carried
    # Found again on the carried entries.
    assert _has(reports, k, "n° 0000902", "toujours pas débité")
    assert _has(reports, k, "Subvention de 50,00 € du 22/08/2025", "sans financeur")
    assert _has(reports, k, "pas de relevé à cette date")
    # The open year's own, against what K left.
    assert _has(reports, o, "Le chèque n° 0000903 a déjà été émis", f"{k}:")
    assert _has(reports, o, "La remise du 06/09/2025 dépose 28,00")
    assert _has(reports, o, "à découvert le 15/10/2025")
    assert _has(reports, o, "pointée sur le relevé du 31/08/2025, antérieur")
    assert not [r for r in reports if r[0].endswith("coop.beancount")]
    # What the closing kept (from the books before its seal) is what CI computes after it.
    assert results_problems(rich.parent.parent, rich.name, [f"ledgers/{rich.name}/{results_filename(K)}"]) == []


def test_an_open_remise_of_a_cheque_deposited_in_the_closed_exercice(rich):
    """A cheque of K deposited in K, named again by a remise of the open year: the open load
    does not hold its receipt, so the coop is loaded in full (« déjà dans la remise »)."""
    second = rich / OPEN.filename
    entry = _txn("2025-09-08", "Remise de chèques", "Remise de 1 chèque(s) à la banque", "XO20",
                 {"nature": '"remise"', "mode": '"CHQ"'}, [(BANK, "20.00"), (CHQ, "-20.00")], "^chq-x2")
    texts = {OPEN.filename: _insert(second.read_text(), entry)}
    full, alone = _both(rich, texts)
    assert alone.open_from is None and "deposited in a closed" in alone.why_full
    reports = _assert_same(full, alone, rich, standalone=False)
    assert _has(reports, OPEN.filename, "Le chèque de la pièce XK06", "est déjà dans la remise du 05/06/2025")


def test_cash_counts_across_the_boundary(rich):
    """The open year's first count with the gap K's last count left is not reported again; an
    operation of a count's day written after the count comes after it."""
    second = rich / OPEN.filename
    text = second.read_text()
    full, _alone = _both(rich)
    gaps = [r for r in _reports(full, rich) if "Arrêté de caisse du 31/08/2025" in r[2]]
    k_gap = Decimal(re.search(r"écart (-?[\d ,]+)", _plain(gaps[0][2]))
                    .group(1).replace(" ", "").replace(",", "."))
    open_gaps = [r for r in _reports(full, rich) if "Arrêté de caisse du 31/12/2025" in r[2]]
    o_gap = Decimal(re.search(r"écart (-?[\d ,]+)", _plain(open_gaps[0][2]))
                    .group(1).replace(" ", "").replace(",", "."))
    # An expense before the open year's first count brings its gap to K's.
    same = _txn("2025-12-01", "Boulangerie", "Goûter", "XO30", {"mode": '"ESP"'},
                [("Charges:6063-Fournitures-activites", f"{k_gap - o_gap:.2f}"), (CAISSE, f"{o_gap - k_gap:.2f}")])
    after = _txn("2025-12-31", "Famille Lopez", "Participation", "XO31", {"mode": '"ESP"'},
                 [(CAISSE, "7.00"), ("Produits:7562-Participation-familles", "-7.00")])
    text = _insert(text, same)
    count = re.search(r'^2025-12-31 custom "arrete-caisse" .*\n(?:  .*\n)*', text, re.M)
    text = text[:count.end()] + "\n" + after + text[count.end():]
    full, alone = _both(rich, {OPEN.filename: text})
    reports = _assert_same(full, alone, rich)
    assert not _has(reports, OPEN.filename, "Arrêté de caisse du 31/12/2025")  # same gap, reported once
    assert _has(reports, K.filename, "Arrêté de caisse du 31/08/2025")
    # The next count sees the operation written after the one of 31/12 (7 € more in the book).
    gap = f"(écart {k_gap - 7:.2f}".replace(".", ",")
    assert _has(reports, OPEN.filename, "Arrêté de caisse du 31/03/2026", gap), [r[2] for r in reports if "31/03/2026" in r[2]]


# -- the records of the closed exercice: adhésion, quitus ---------------------------------------
def _declaration(eleves: int, statut: str) -> str:
    return yaml.safe_dump({
        "exercice": str(K), "classes": [{"niveau": "CP", "enseignant": "Mme Alpha", "eleves": eleves, "adultes": 2}],
        "options": {"revue": False, "biens_declares": "0", "participation_volontaire": "0"},
        "mandataire": {"nom": "Mme Durand", "engagement": True}, "statut": statut, "paiement": "",
        "historique": []}, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    """The rich coop, its adhésion of K declared and paid (and K's rates in ad.yaml) before the closing."""
    root = tmp_path_factory.mktemp("dossiers")
    coop_dir = _rich(root)
    ad_yaml = root / "ad.yaml"
    config = yaml.safe_load(ad_yaml.read_text())
    config["adhesion"][str(K)] = dict(config["adhesion"][str(OPEN)])
    ad_yaml.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    (coop_dir / f"adhesion-{K}.yaml").write_text(_declaration(250, "payee"))
    _close(coop_dir)
    return coop_dir


def test_the_adhesion_and_the_quitus_of_the_closed_exercice(records):
    coop_dir = records
    full, alone = _both(coop_dir)
    reports = _assert_same(full, alone, coop_dir)
    assert _has(reports, K.filename, "L'adhésion 2024-2025 déclarée (252 membres)", "623,25")
    # Both records change after the closing (they are not sealed): the AD corrects the
    # declaration, the vérificateurs sign the quitus, one of them the mandataire.
    declaration = coop_dir / f"adhesion-{K}.yaml"
    dossier = coop_dir / f"crf-{K}.yaml"
    try:
        declaration.write_text(_declaration(40, "payee"))
        dossier.write_text(f"exercice: {K}\nverification:\n  date: 2025-10-02\n  verificateurs:\n"
                           "  - {nom: M. Parent, qualite: \"Parent d'élève\"}\n"
                           "  - {nom: Mme DURAND, qualite: \"Enseignante\"}\nstatut: brouillon\n")
        full, alone = _both(coop_dir)
        reports = _assert_same(full, alone, coop_dir)
        assert _has(reports, K.filename, "L'adhésion 2024-2025 déclarée (42 membres)", "623,25")
        assert _has(reports, f"crf-{K}.yaml", "Mme DURAND, vérificateur aux comptes de l'exercice 2024-2025")
    finally:
        declaration.write_text(_declaration(250, "payee"))
        dossier.unlink(missing_ok=True)
        forget()


# -- the AD's settings ---------------------------------------------------------------------------
def _set_rules(root: Path, regles: dict | None) -> None:
    ad_yaml = root / "ad.yaml"
    config = yaml.safe_load(ad_yaml.read_text())
    if regles is None:
        config.pop("regles", None)
    else:
        config["regles"] = regles
    ad_yaml.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    from retkoop_tools.ad import ad_config_cached

    getattr(ad_config_cached, "cache_clear", lambda: None)()
    forget()


@pytest.fixture(scope="module")
def warned(tmp_path_factory) -> Path:
    """The rich coop of an AD that makes the overdraft and the caisse négative avertissements,
    closed under those settings."""
    root = tmp_path_factory.mktemp("avertie")
    coop_dir = _rich(root)
    _set_rules(root, {"banque-negative": "avertissement", "caisse-negative": "avertissement",
                      "regie-plafond": {"niveau": "erreur", "plafond": 180}})
    _close(coop_dir)
    return coop_dir


def test_avertissements_of_the_closed_exercice_stay_avertissements(warned):
    full, alone = _both(warned)
    assert alone.results is not None  # the closing's state, kept under these settings
    reports = _assert_same(full, alone, warned)
    assert _has(reports, K.filename, "à découvert le 20/08/2025", level="avertissement")
    assert _has(reports, K.filename, "La caisse serait négative le 29/08/2025", level="avertissement")
    assert _has(reports, K.filename, "atteint 200,00 € le 20/06/2025", "180,00", level="erreur")


@pytest.mark.parametrize("regles", [
    {"banque-negative": "ignorer", "caisse-negative": "erreur", "regie-non-soldee": "erreur",
     "remise-cheques": "avertissement", "vente-sans-achat": "ignorer"},
    {"regie-plafond": {"plafond": 250}, "cheque-non-debite": {"mois": 14}, "caisse-plafond": "erreur"},
    None,
])
def test_settings_changed_after_the_closing(warned, regles):
    """The state is keyed on ad.yaml's settings: changed after the closing, the closed
    exercice's errors are those of the new settings, as in a full load."""
    root = warned.parent.parent
    before = (root / "ad.yaml").read_text()
    try:
        _set_rules(root, regles)
        full, first = _both(warned)
        assert first.open_from is None  # the closing's state is of other settings
        _assert_same(full, first, warned, standalone=False)
        forget()
        again = load_books(warned, warned.name)  # the state computed then, kept locally
        reports = _assert_same(full, again, warned)
        overdraft = [r for r in reports if "à découvert le 20/08/2025" in r[2]]
        if regles and regles.get("banque-negative") == "ignorer":
            assert overdraft == []
        elif regles is None:
            assert [r[3] for r in overdraft] == ["erreur"]
    finally:
        (root / "ad.yaml").write_text(before)
        _set_rules(root, yaml.safe_load(before).get("regles"))


# -- a closed file changed, through the store, a commit, CI; a reopening ---------------------------
@pytest.fixture
def repo(rich, tmp_path) -> tuple[Path, Path]:
    """The rich coop's AD as a git repository (a copy: the tests below change it)."""
    from tests.gitrepo import run_git

    root = tmp_path / "ad"
    shutil.copytree(rich.parent.parent, root)
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "config", "user.name", "Compta AD")
    run_git(root, "config", "user.email", "compta@ad91.fr")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "Livres", "--no-verify")
    forget()
    return root, root / "ledgers" / rich.name


def _one_more_euro(text: str) -> str:
    changed = re.sub(r"(Charges:6181-Livres-abonnements\s+)40\.00 EUR\n(  Actif:512-Banque\s+)-40\.00 EUR",
                     r"\g<1>41.00 EUR\n\g<2>-41.00 EUR", text, count=1)
    assert changed != text
    return changed


def test_a_closed_file_changed_is_still_caught(repo):
    from retkoop_tools.checks.commits import check_commit, check_index
    from retkoop_tools.checks.runner import check_coop
    from retkoop_tools.store.store import RuleViolationError, Store
    from tests.gitrepo import ADMIN, run_git

    root, coop_dir = repo
    uai = coop_dir.name
    closed = coop_dir / K.filename
    texts = {K.filename: _one_more_euro(closed.read_text())}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is None  # loaded in full: the seal is judged
    reports = _assert_same(full, alone, coop_dir, standalone=False)
    assert _has(reports, K.filename, f"L'exercice {K} est clos", "ses écritures ont été modifiées")
    assert any("est clos" in e.message for e in check_coop(root, uai, texts=texts).errors)
    # The portal's store refuses it, even to the AD's own commands.
    with pytest.raises(RuleViolationError, match="est clos"):
        Store(root).write(uai, texts, ADMIN, "Correction", scope=__import__(
            "retkoop_tools.policy.writes", fromlist=["Scope"]).Scope.SYSTEM)
    assert closed.read_text() != texts[K.filename]
    # A commit that does it: CI (retkoop check --commits) and the hooks report it.
    closed.write_text(texts[K.filename])
    run_git(root, "add", "-A")
    staged = [e.message for coop in check_index(root) for e in coop.errors]  # the pre-commit hook
    assert any(f"L'exercice {K} est clos" in m for m in staged), staged
    run_git(root, "commit", "-qm", "Correction d'un exercice clos", "--no-verify")
    commit = run_git(root, "rev-parse", "HEAD").stdout.strip()
    errors = [e.message for coop in check_commit(root, commit).results for e in coop.errors]
    assert any(f"L'exercice {K} est clos" in m for m in errors), errors


def test_a_forged_closing_file_is_refused(repo):
    from retkoop_tools.checks.commits import check_commit
    from tests.gitrepo import run_git

    root, coop_dir = repo
    kept = coop_dir / results_filename(K)
    data = json.loads(kept.read_text())
    data["etat"]["erreurs"] = [e for e in data["etat"]["erreurs"] if "découvert" not in e["message"]]
    assert len(data["etat"]["erreurs"]) < len(json.loads(kept.read_text())["etat"]["erreurs"])
    kept.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    run_git(root, "commit", "-qam", "Découvert oublié", "--no-verify")
    commit = run_git(root, "rev-parse", "HEAD").stdout.strip()
    errors = [e.message for coop in check_commit(root, commit).results for e in coop.errors]
    assert any(f"{kept.name} ne correspond pas aux livres" in m for m in errors), errors


def test_reopened_written_and_closed_again(repo):
    from retkoop_tools.cloture.actions import reopen_exercice
    from retkoop_tools.store.store import Store
    from tests.gitrepo import ADMIN

    root, coop_dir = repo
    store = Store(root)
    result = reopen_exercice(store, coop_dir.name, K, ADMIN, "Régie d'Alpha justifiée en août")
    assert result.ok, result.errors
    assert not (coop_dir / results_filename(K)).exists()
    full, alone = _both(coop_dir)
    assert alone.open_from is None  # reopened: loaded in full until the next closing
    entry = _txn("2025-08-30", "Mme Alpha", "Justification de la régie : achats de la classe", "XK40",
                 {"mode": '"ESP"'}, [("Charges:6068-Fournitures-projets", "60.00"), (ALPHA, "-60.00")])
    (coop_dir / K.filename).write_text(_insert((coop_dir / K.filename).read_text(), entry))
    _close(coop_dir, on=datetime.date(2025, 10, 1))
    full, alone = _both(coop_dir)
    assert alone.results is not None
    reports = _assert_same(full, alone, coop_dir)
    assert _has(reports, K.filename, "régie de Alpha n'est ni justifiée", "(140,00 € en cours")
    assert _has(reports, K.filename, "à découvert le 20/08/2025")


# -- two closed exercices: the second closing computed on the first one's state -----------------
@pytest.fixture(scope="module")
def two_closed(tmp_path_factory) -> Path:
    """Three exercices: 2023-2024 and 2024-2025 closed one after the other (the second from a
    standalone load on the first one's state, as every closing after the first), 2025-2026 open.
    Régies and a cheque left pending across both closed exercices, photos sold without purchase."""
    root = tmp_path_factory.mktemp("deux")
    generate_ad(root, synthetic_coops(1), dict(DEMO_AD), exercices=synthetic_exercices(3), closed=set(),
                target_ops=30, closing=True)
    coop_dir = next((root / "ledgers").iterdir())
    first, second, third = (coop_dir / e.filename for e in (Exercice(2023), K, OPEN))
    comptes = coop_dir / "comptes.beancount"  # a régie untouched in 2024-2025
    comptes.write_text(comptes.read_text() + f"2023-09-01 open {GAMMA}  EUR\n")
    first.write_text(_insert(first.read_text(), "\n".join([
        _txn("2024-06-02", "Mme Alpha", "Versement de la régie d'avance", "XA01",
             {"nature": '"regie"', "mode": '"ESP"'}, [(ALPHA, "100.00"), (CAISSE, "-100.00")]),
        _txn("2024-06-01", "Kermesse", "Buvette", "XA02", {"mode": '"ESP"'},
             [(CAISSE, "160.00"), ("Produits:708-Fetes-ventes", "-160.00")]),
        _txn("2024-06-03", "M. Beta", "Versement de la régie d'avance", "XA03",
             {"nature": '"regie"', "mode": '"ESP"'}, [(BETA, "60.00"), (CAISSE, "-60.00")]),
        _txn("2024-05-10", "Librairie du centre", "Albums", "XA04", {"mode": '"CHQ"', "cheque": '"0000801"'},
             [("Charges:6181-Livres-abonnements", "40.00"), (BANK, "-40.00")]),
        _txn("2024-06-15", "Familles", "Photos de classe", "XA05", {"mode": '"ESP"'},
             [(CAISSE, "90.00"), ("Produits:707-Ventes-pour-cession", "-90.00")]),
        _txn("2024-06-04", "M. Gamma", "Versement de la régie d'avance", "XA07",
             {"nature": '"regie"', "mode": '"ESP"'}, [(GAMMA, "20.00"), (CAISSE, "-20.00")]),
        _txn("2024-08-20", "Dépôt d'espèces", "Versement d'espèces à la banque", "XA06",
             {"nature": '"virement"', "mode": '"ESP"'}, [(BANK, "90.00"), (CAISSE, "-90.00")]),
    ])))
    second.write_text(_insert(second.read_text(), "\n".join([
        _txn("2025-03-01", "Mme Alpha", "Versement de la régie d'avance", "XB01",
             {"nature": '"regie"', "mode": '"ESP"'}, [(ALPHA, "30.00"), (CAISSE, "-30.00")]),
        _txn("2025-02-28", "Kermesse", "Buvette", "XB02", {"mode": '"ESP"'},
             [(CAISSE, "30.00"), ("Produits:708-Fetes-ventes", "-30.00")]),
        _txn("2025-08-30", "Papeterie", "Cahiers", "XB03", {"mode": '"CHQ"', "cheque": '"0000802"'},
             [("Charges:6063-Fournitures-activites", "5000.00"), (BANK, "-5000.00")]),
    ])))
    third.write_text(_insert(third.read_text(), _txn(
        "2025-09-03", "Mairie de Massy", "Subvention", "XC01", {"mode": '"VIR"'},
        [(BANK, "5000.00"), ("Produits:744-Subvention-commune", "-5000.00")])))
    _close(coop_dir, Exercice(2023), datetime.date(2024, 9, 20))
    _close(coop_dir, K)
    return coop_dir


def test_two_closed_exercices(two_closed):
    from retkoop_tools.checks.commits import results_problems

    coop_dir = two_closed
    full, alone = _both(coop_dir)
    assert alone.open_from == OPEN and alone.results is not None
    reports = _assert_same(full, alone, coop_dir)
    old = Exercice(2023).filename
    assert _has(reports, old, "régie de Alpha n'est ni justifiée ni restituée au 31/08/2024", "le 02/06/2024")
    assert _has(reports, K.filename, "régie de Alpha n'est ni justifiée ni restituée au 31/08/2025", "le 01/03/2025")
    assert _has(reports, old, "régie de Beta n'est ni justifiée ni restituée au 31/08/2024", "le 03/06/2024"), [r[2] for r in reports if "Beta" in r[2]]
    # Untouched in 2024-2025: still not settled at its end, versed in 2023-2024.
    assert _has(reports, old, "régie de Gamma n'est ni justifiée ni restituée au 31/08/2025", "le 04/06/2024")
    assert _has(reports, old, "n° 0000801", "toujours pas débité")
    # Each closing's file, the second computed on the first one's state, is what CI computes.
    changed = [f"ledgers/{coop_dir.name}/{results_filename(e)}" for e in (Exercice(2023), K)]
    assert results_problems(coop_dir.parent.parent, coop_dir.name, changed) == []


def test_a_record_saved_after_a_load_is_seen_by_the_next(rich):
    """The loads remembered in the process are keyed on the records the rules read too: the
    quitus signed after a load is judged by the next one, without anything else changing."""
    dossier = rich / f"crf-{K}.yaml"
    declaration = rich / f"adhesion-{K}.yaml"
    forget()
    before = load_books(rich, rich.name)
    try:
        declaration.write_text(_declaration(20, "declaree"))
        dossier.write_text(f"exercice: {K}\nverification:\n  date: 2025-10-02\n  verificateurs:\n"
                           "  - {nom: Mme Durand, qualite: \"Enseignante\"}\nstatut: brouillon\n")
        after = load_books(rich, rich.name)
        assert after is not before
        assert _has(_reports(after, rich), f"crf-{K}.yaml", "Mme Durand, vérificateur aux comptes")
    finally:
        dossier.unlink(missing_ok=True)
        declaration.unlink(missing_ok=True)
        forget()


@pytest.mark.parametrize("coop", ["rich", "two_closed", "records"])
def test_the_console_s_summary_is_the_same(coop, request, monkeypatch):
    """The console lists the same errors and avertissements in the same order, and the same
    figures of each exercice, from a standalone load as from a full one."""
    from retkoop_tools.console.summary import summarize
    from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV

    coop_dir = request.getfixturevalue(coop)
    forget()
    ours = summarize(coop_dir.parent.parent, coop_dir.name)
    monkeypatch.setenv(MODE_ENV, FULL_MODE)
    forget()
    full = summarize(coop_dir.parent.parent, coop_dir.name)
    assert ours["erreurs"] == full["erreurs"] and ours["avertissements"] == full["avertissements"]
    assert ours == full


def test_a_first_exercice_closed_without_opening_balances(tmp_path):
    """Books started without their opening balances: K's overdrafts are avertissements while
    the balances may still be given, erreurs once K is closed. What the closing keeps is what
    the books say once closed — as a full load, and CI, say."""
    from retkoop_tools.checks.commits import results_problems

    coop_dir = _generate(tmp_path)
    first = coop_dir / K.filename
    text = first.read_text()
    without = re.sub(r'2024-09-01 \* "Reprise des soldes".*?\n\n', "", text, count=1, flags=re.S)
    assert without != text
    first.write_text(without)
    forget()
    before = _reports(load_books(coop_dir, coop_dir.name), coop_dir)
    assert _has(before, K.filename, "à découvert le 03/09/2024", "soldes de départ", level="avertissement")
    _close(coop_dir)
    full, alone = _both(coop_dir)
    reports = _assert_same(full, alone, coop_dir)
    assert _has(reports, K.filename, "à découvert le 03/09/2024", level="erreur")
    assert results_problems(tmp_path, coop_dir.name, [f"ledgers/{coop_dir.name}/{results_filename(K)}"]) == []


@pytest.fixture(scope="module")
def rentree(tmp_path_factory) -> Path:
    """Three exercices, the first closed, the second over (the third begun): a régie versed
    twice in the closed one is still not settled at the end of the second."""
    root = tmp_path_factory.mktemp("rentree")
    generate_ad(root, synthetic_coops(1), dict(DEMO_AD), exercices=synthetic_exercices(3), closed=set(),
                target_ops=30, closing=True)
    coop_dir = next((root / "ledgers").iterdir())
    comptes = coop_dir / "comptes.beancount"
    comptes.write_text(comptes.read_text() + f"2023-09-01 open {GAMMA}  EUR\n")
    first = coop_dir / Exercice(2023).filename
    first.write_text(_insert(first.read_text(), "\n".join([
        _txn("2024-06-01", "Kermesse", "Buvette", "XR01", {"mode": '"ESP"'},
             [(CAISSE, "100.00"), ("Produits:708-Fetes-ventes", "-100.00")]),
        _txn("2024-06-02", "M. Gamma", "Versement de la régie d'avance", "XR02",
             {"nature": '"regie"', "mode": '"ESP"'}, [(GAMMA, "40.00"), (CAISSE, "-40.00")]),
        _txn("2024-06-20", "M. Gamma", "Versement de la régie d'avance", "XR03",
             {"nature": '"regie"', "mode": '"ESP"'}, [(GAMMA, "30.00"), (CAISSE, "-30.00")]),
    ])))
    _close(coop_dir, Exercice(2023), datetime.date(2024, 9, 20))
    return coop_dir


def test_a_regie_of_the_closed_exercice_not_settled_in_the_next(rentree):
    full, alone = _both(rentree)
    reports = _assert_same(full, alone, rentree)
    old = Exercice(2023).filename
    assert _has(reports, old, "régie de Gamma n'est ni justifiée ni restituée au 31/08/2024", "(70,00 €", "le 20/06/2024")
    assert _has(reports, old, "régie de Gamma n'est ni justifiée ni restituée au 31/08/2025", "(70,00 €", "le 20/06/2024")
