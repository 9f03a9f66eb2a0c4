"""The open exercices loaded on their own after the closed ones' à-nouveaux give what a full
load gives: the same errors, balances, pointage, cash counts, cheques to deposit and CRF, on
coops of 1, 2 and 10 exercices; a closed file changed otherwise than by a tick is loaded in
full again, so its broken seal is still reported."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest

from retkoop_tools.ad import load_ad
from retkoop_tools.chart import load_chart
from retkoop_tools.checks.runner import check_coop
from retkoop_tools.demo.generator import (
    DEMO_AD,
    close_books,
    generate_ad,
    synthetic_coops,
    synthetic_exercices,
)
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.source import CoopSource
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.ledger.standalone import forget, load_books, results_filename
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.calendrier import latest_pointage


@pytest.fixture(autouse=True)
def _no_shared_loads():
    """A portal of another test may have left its processes' shared loads on: not here."""
    from retkoop_tools.ledger.standalone import share_loads

    share_loads(None)


def _build(root: Path, years: int, operations: int, closed_years: int | None = None) -> Path:
    exercices = synthetic_exercices(years)
    closed = set(exercices[: years - 1 if closed_years is None else closed_years])
    generate_ad(root, synthetic_coops(1), dict(DEMO_AD), exercices=exercices, closed=closed,
                target_ops=operations, closing=True)
    return next((root / "ledgers").iterdir())


@pytest.fixture(scope="module")
def coops(tmp_path_factory) -> dict[int, Path]:
    """Coops of 1, 2 and 10 exercices (all closed but the last), and one at the rentrée: 3
    exercices, the first closed, the second still open."""
    built = {}
    for years, operations in ((1, 60), (2, 200), (10, 25)):
        built[years] = _build(tmp_path_factory.mktemp(f"ad{years}"), years, operations)
    built[0] = _build(tmp_path_factory.mktemp("rentree"), 3, 40, closed_years=1)
    return built


def _errors(result) -> list[tuple[str, int, str]]:
    return [(e.file, e.line, e.message) for e in result.errors]


def _both(coop_dir: Path, texts: dict | None = None):
    forget()
    full = load_books(coop_dir, coop_dir.name, full=True, texts=texts)
    alone = load_books(coop_dir, coop_dir.name, texts=texts)
    return full, alone


def _books(loaded, coop_dir: Path) -> Books:
    return Books(loaded.entries, load_chart(coop_dir.parent.parent), coop_dir, today=datetime.date(2026, 9, 15))


def _crf(loaded, coop_dir: Path, exercice: Exercice):
    source = CoopSource(load_ad(coop_dir.parent.parent), coop_dir.name, _books(loaded, coop_dir), [])
    crf = compute_crf(source, exercice, datetime.date(2026, 9, 15))
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


def _facts(loaded, coop_dir: Path) -> dict:
    books = _books(loaded, coop_dir)
    accounts = sorted({p.account for op in books.operations for p in op.entry.postings})
    return {
        "balances": {a: books.balance(a) for a in accounts if books.balance(a)},
        "closed": sorted(map(str, books.closed)),
        "exercices": [str(e) for e in books.exercices],
        "pointage": latest_pointage(books),
        "statements": [(s.account, s.date, s.balance) for s in books.statements()][-6:],
        "counts": [(c.date, c.total, c.book) for c in books.cash_counts()][-4:],
        "pending": sorted((op.date, op.piece) for op in books.pending_cheques()),
        "unticked": [(a, [(op.date, op.piece) for op in books.unticked(a)]) for a in books.bank_accounts],
        "ticked": [(a, books.ticked_total(a, datetime.date.max)) for a in books.bank_accounts],
        "regies": [(r.account, r.balance) for r in books.regies()],
        "operations": loaded.operations,
    }


def _assert_same(full, alone, coop_dir: Path) -> None:
    root = coop_dir.parent.parent
    from retkoop_tools.checks.runner import result_of_load

    assert _errors(result_of_load(root, coop_dir.name, alone.entries, alone.errors)) == \
        _errors(result_of_load(root, coop_dir.name, full.entries, full.errors))
    assert _facts(alone, coop_dir) == _facts(full, coop_dir)
    last = max(Exercice.from_filename(p.name) for p in coop_dir.glob("20*.beancount"))
    assert _crf(alone, coop_dir, last) == _crf(full, coop_dir, last)


@pytest.mark.parametrize("years", [1, 2, 10, 0])
def test_the_open_exercices_alone_give_what_the_full_load_gives(coops, years):
    coop_dir = coops[years]
    full, alone = _both(coop_dir)
    if years == 1:
        assert alone.open_from is None  # nothing closed: loaded in full
    else:
        assert alone.open_from is not None, alone.why_full
        assert alone.results is not None  # the state the closing kept, not one computed here
        closed = {str(p.resolve()) for p in coop_dir.glob("20*.beancount")
                  if Exercice.from_filename(p.name) < alone.open_from}
        # Of the closed exercices, only the entries still in use and the seals are loaded.
        in_closed = [e for e in alone.entries if e.meta.get("filename") in closed]
        assert 0 < len(in_closed) < len([e for e in full.entries if e.meta.get("filename") in closed]) / 4
    assert not full.errors
    _assert_same(full, alone, coop_dir)


def _state(coop_dir: Path) -> dict:
    last_closed = max(Exercice.from_filename(p.name[len("cloture-"):-len(".json")] + ".beancount")
                      for p in coop_dir.glob("cloture-*.json"))
    return json.loads((coop_dir / results_filename(last_closed)).read_text())["etat"]


def _last_file(coop_dir: Path) -> Path:
    return max(coop_dir.glob("20*.beancount"), key=lambda p: p.name)


def _insert(text: str, entry: str) -> str:
    at = insert_position(text)
    return text[:at] + entry.strip("\n") + "\n\n" + text[at:]


def test_a_cheque_number_of_a_closed_exercice_cannot_be_issued_again(coops):
    coop_dir = coops[10]
    state = _state(coop_dir)
    account, number, date, rel, line, _fp = state["cheques"][0]
    last = _last_file(coop_dir)
    entry = (f'2025-10-02 * "Papeterie" "Cahiers"\n  piece: "D999"\n  mode: "CHQ"\n  cheque: "{number}"\n'
             f'  Charges:6063-Fournitures-activites  10.00 EUR\n  {account}  -10.00 EUR\n')
    texts = {last.name: _insert(last.read_text(), entry)}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is not None
    messages = [e.message for e in alone.errors]
    assert any(f"Le chèque n° {number} a déjà été émis" in m and f"{rel}:{line}" in m for m in messages), messages
    _assert_same(full, alone, coop_dir)


@pytest.fixture(scope="module")
def late(tmp_path_factory) -> Path:
    """A coop of 2 exercices whose closed one ends with a cheque of 28/08 debited in September
    (ticked on the open exercice's first statement)."""
    root = tmp_path_factory.mktemp("tardif")
    coop_dir = _build(root, 2, 60, closed_years=0)
    first, second = sorted(coop_dir.glob("20*.beancount"))
    first.write_text(_insert(first.read_text(), (
        '2025-08-28 * "Autocars Dupont" "Sortie de fin d\'année"\n  piece: "D900"\n  mode: "CHQ"\n'
        '  cheque: "0000042"\n  releve: 2025-09-30\n  Charges:6247-Transports  50.00 EUR\n'
        "  Actif:512-Banque  -50.00 EUR\n")))
    from decimal import Decimal

    # Every statement of the open exercice holds it (a statement's balance is cumulative).
    second.write_text(re.sub(r'^(\d{4}-\d{2}-\d{2} custom "releve" Actif:512-Banque )(-?[\d.]+)( EUR)$',
                             lambda m: f"{m.group(1)}{Decimal(m.group(2)) - 50}{m.group(3)}",
                             second.read_text(), flags=re.M))
    close_books(root, coop_dir, Exercice.from_filename(first.name), "Compta AD", datetime.date(2025, 9, 20))
    return coop_dir


def _carried_late(coop_dir: Path) -> tuple[dict, str]:
    """The carried cheque of 28/08, and its tick."""
    state = _state(coop_dir)
    for record in state["reports"]:
        if 'piece: "D900"' in record["texte"]:
            return record, "2025-09-30"
    raise AssertionError("the cheque of 28/08 is carried into the open exercice")


def test_the_late_cheque_is_carried(late):
    full, alone = _both(late)
    assert alone.open_from is not None and not full.errors
    _assert_same(full, alone, late)


def _retick(text: str, line: int, old: str, new: str | None) -> str:
    """The file with the tick of the entry at `line` changed (None: removed)."""
    lines = text.splitlines(keepends=True)
    for index in range(line, len(lines)):
        if lines[index].strip() == f"releve: {old}":
            if new is None:
                del lines[index]
            else:
                lines[index] = lines[index].replace(old, new)
            return "".join(lines)
    raise AssertionError("tick not found")


def test_an_operation_of_a_closed_exercice_ticked_later_then_unticked(late):
    """Ticks of carried entries live in the closed file (the seal ignores them): changing one
    keeps the load standalone, and the statement's total changes the same way."""
    coop_dir = late
    record, tick = _carried_late(coop_dir)
    closed_file = coop_dir / record["fichier"]
    texts = {closed_file.name: _retick(closed_file.read_text(), record["ligne"], tick, None)}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is not None, alone.why_full
    assert any("opérations pointées" in e.message for e in alone.errors)  # the statement no longer adds up
    _assert_same(full, alone, coop_dir)
    # Ticked again, on another statement of the open exercice.
    later = re.findall(r"^(\d{4}-\d{2}-\d{2}) custom \"releve\"", _last_file(coop_dir).read_text(), re.M)[-1]
    texts = {closed_file.name: _retick(closed_file.read_text(), record["ligne"], tick, later)}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is not None, alone.why_full
    moved = [e for e in alone.entries if e.meta.get("filename") == str(closed_file.resolve())
             and e.meta.get("lineno") == record["ligne"]]
    assert moved and str(moved[0].meta.get("releve")) == later
    _assert_same(full, alone, coop_dir)


def test_a_tick_on_a_statement_that_does_not_exist(late):
    coop_dir = late
    record, tick = _carried_late(coop_dir)
    closed_file = coop_dir / record["fichier"]
    texts = {closed_file.name: _retick(closed_file.read_text(), record["ligne"], tick, "2025-10-17")}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is not None
    assert any("il n'y a pas de relevé à cette date" in e.message for e in alone.errors)
    _assert_same(full, alone, coop_dir)


def test_a_changed_closed_entry_is_still_caught(coops):
    coop_dir = coops[10]
    closed_file = sorted(coop_dir.glob("20*.beancount"))[3]
    text = closed_file.read_text()
    changed = re.sub(r"(Charges:\S+\s+)(\d+)\.(\d\d) EUR", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}.{m.group(3)} EUR",
                     text, count=1)
    assert changed != text
    texts = {closed_file.name: changed}
    full, alone = _both(coop_dir, texts)
    assert alone.open_from is None or alone.open_from <= Exercice.from_filename(closed_file.name)
    messages = [e.message for e in alone.errors]
    assert any(f"L'exercice {closed_file.stem} est clos" in m for m in messages), messages
    _assert_same(full, alone, coop_dir)
    result = check_coop(coop_dir.parent.parent, coop_dir.name, texts=texts)
    assert any("ses écritures ont été modifiées" in e.message for e in result.errors)


def test_a_closed_exercice_with_an_error_keeps_it(tmp_path):
    """A forced closing keeps the exercice's errors: the standalone load reports them."""
    coop_dir = _build(tmp_path, 3, 30, closed_years=1)
    second = sorted(coop_dir.glob("20*.beancount"))[1]
    text = second.read_text()
    piece = re.search(r'piece: "([^"]+)"', text).group(1)
    entry = (f'2024-10-03 * "Famille X" "Don"\n  piece: "{piece}"\n  mode: "ESP"\n'
             "  Actif:530-Caisse  5.00 EUR\n  Produits:771-Dons  -5.00 EUR\n")
    second.write_text(_insert(text, entry))
    close_books(tmp_path, coop_dir, Exercice.from_filename(second.name), "Compta AD", datetime.date(2025, 9, 20))
    full, alone = _both(coop_dir)
    assert alone.open_from == Exercice.from_filename(second.name).next()
    assert any(f"La pièce {piece} est déjà utilisée" in e.message for e in alone.errors)
    _assert_same(full, alone, coop_dir)


def test_without_the_closing_s_file_the_state_is_computed_once(coops, tmp_path):
    """A coop closed before this version (no cloture-*.json): loaded in full once, its state
    kept in the local cache, then standalone."""
    coop_dir = tmp_path / "ledgers" / coops[2].name
    shutil.copytree(coops[2].parent.parent, tmp_path, dirs_exist_ok=True)
    for path in coop_dir.glob("cloture-*.json"):
        path.unlink()
    forget()
    first = load_books(coop_dir, coop_dir.name)
    assert first.open_from is None
    forget()
    second = load_books(coop_dir, coop_dir.name)
    assert second.open_from is not None and second.results is None
    full = load_books(coop_dir, coop_dir.name, full=True)
    _assert_same(full, second, coop_dir)


def _write_kept_again(coop_dir, kept):
    """The closing's file as the closing writes it (after a test changed it)."""
    from retkoop_tools.cloture.resultats import closing_results, results_text

    exercice = Exercice.from_filename(kept.name[len("cloture-"):-len(".json")] + ".beancount")
    kept.write_text(results_text(closing_results(coop_dir.parent.parent, coop_dir.name, exercice)))


@pytest.mark.parametrize("years", [2, 10, 0])
def test_what_each_closing_kept_is_what_a_full_load_gives(coops, years):
    """The generator closes year after year from standalone loads, as cheap as the open
    exercices; the hooks and CI compute each kept file again from a full load: the same."""
    from retkoop_tools.checks.commits import results_problems

    coop_dir = coops[years]
    kept = sorted(coop_dir.glob("cloture-*.json"))
    assert len(kept) == (1 if years == 0 else years - 1)
    changed = [f"ledgers/{coop_dir.name}/{p.name}" for p in kept]
    assert results_problems(coop_dir.parent.parent, coop_dir.name, changed) == []
    # A kept figure changed by hand is seen.
    data = json.loads(kept[-1].read_text())
    data["etat"]["a_nouveaux"][-1]["postings"][0][1] = "0.01"
    kept[-1].write_text(json.dumps(data))
    try:
        problems = results_problems(coop_dir.parent.parent, coop_dir.name, changed)
        assert [p.message.split(" ")[0] for p in problems] == [kept[-1].name]
    finally:
        _write_kept_again(coop_dir, kept[-1])


def test_each_part_of_a_kept_file_is_judged_on_its_own(coops):
    """A part of an older version is not judged, but it never spares the other part: forged
    figures beside a state marked of an older version are still caught (the console shows them)."""
    from retkoop_tools.checks.commits import results_problems
    from retkoop_tools.console.summary import FIGURES_VERSION, summary_code

    def older(data: dict, part: str) -> None:
        data[part]["code"] = "une-version-passee"
        if part == "etat":
            data["etat"]["format"] -= 1
        else:
            data["resume"]["code"] = summary_code(FIGURES_VERSION - 1)

    coop_dir = coops[2]
    kept = sorted(coop_dir.glob("cloture-*.json"))[-1]
    changed = [f"ledgers/{coop_dir.name}/{kept.name}"]
    original = kept.read_text()
    try:
        for forged, other in (("resume", "etat"), ("etat", "resume")):
            data = json.loads(original)
            older(data, other)
            if forged == "resume":
                data["resume"]["operations"] += 1
            else:
                data["etat"]["a_nouveaux"][-1]["postings"][0][1] = "0.01"
            kept.write_text(json.dumps(data))
            problems = results_problems(coop_dir.parent.parent, coop_dir.name, changed)
            assert [p.message.split(" ")[0] for p in problems] == [kept.name], forged
            # The part of an older version alone, the other one true: not judged.
            data = json.loads(original)
            older(data, other)
            data[other]["ajout"] = "ce que cette version ne lit pas"
            kept.write_text(json.dumps(data))
            assert results_problems(coop_dir.parent.parent, coop_dir.name, changed) == [], other
        data = json.loads(original)
        older(data, "etat")
        older(data, "resume")
        data["resume"]["operations"] += 1
        kept.write_text(json.dumps(data))
        assert results_problems(coop_dir.parent.parent, coop_dir.name, changed) == []
    finally:
        _write_kept_again(coop_dir, kept)


@pytest.mark.parametrize("years", [1, 2, 10, 0])
def test_the_console_s_summary_is_the_same(coops, years, monkeypatch):
    """The AD's console shows the same of a coop: the open exercices from their own load, the
    closed ones from what their closing kept (every year's CRF figures)."""
    from retkoop_tools.console.summary import summarize
    from retkoop_tools.ledger.standalone import FULL_MODE, MODE_ENV

    coop_dir = coops[years]
    forget()
    ours = summarize(coop_dir.parent.parent, coop_dir.name)
    monkeypatch.setenv(MODE_ENV, FULL_MODE)
    forget()
    full = summarize(coop_dir.parent.parent, coop_dir.name)
    assert ours == full
    assert len(ours["exercices"]) == (years or 3) and all(e.get("crf") for e in ours["exercices"].values())


def test_a_closed_file_is_scanned_whenever_it_is_read(coops, tmp_path):
    """A standalone load only hashes the closed files, so it leaves their scan (no plugin, no
    Fava extension… in an included file) to the moment one is read: a closed file that changed,
    or any full load, is scanned first, and a forbidden line in it refuses the load."""
    from retkoop_tools.policy.files import UnsafeLedgerError

    shutil.copytree(coops[10].parent.parent, tmp_path, dirs_exist_ok=True)
    coop_dir = tmp_path / "ledgers" / coops[10].name
    closed_file = sorted(coop_dir.glob("20*.beancount"))[2]
    text = closed_file.read_text()
    forged = text + '\n2023-06-01 custom "fava-extension" "os"\n'
    for full in (False, True):
        forget()
        with pytest.raises(UnsafeLedgerError) as caught:
            load_books(coop_dir, coop_dir.name, texts={closed_file.name: forged}, full=full)
        assert "fava-extension" in str(caught.value) and closed_file.name in str(caught.value)
    forget()
    assert load_books(coop_dir, coop_dir.name).open_from is not None  # the real files: standalone


def test_kept_entries_that_no_book_may_hold_are_not_used(coops, tmp_path):
    """A `cloture-*.json` is written by the closing only, and the hooks refuse one that is not
    the books'; still, kept entries that hold what no book may (a Fava extension) are not
    loaded: the coop is loaded in full, from its real files."""
    shutil.copytree(coops[2].parent.parent, tmp_path, dirs_exist_ok=True)
    coop_dir = tmp_path / "ledgers" / coops[2].name
    path = sorted(coop_dir.glob("cloture-*.json"))[-1]
    kept = json.loads(path.read_text())
    record = next(r for r in kept["etat"]["clotures"])
    record["texte"] = '2025-08-31 custom "fava-extension" "os"\n'
    path.write_text(json.dumps(kept))
    forget()
    loaded = load_books(coop_dir, coop_dir.name)
    assert loaded.open_from is None and loaded.why_full
    extensions = [e.values[0].value for e in loaded.entries if getattr(e, "type", None) == "fava-extension"]
    assert extensions and "os" not in extensions  # coop.beancount's own, not the forged one


def test_a_load_shared_by_another_version_of_the_code_is_not_read(coops, tmp_path, monkeypatch):
    """The loads shared between the portal's processes outlive them, in the instance folder:
    after an upgrade (a rule changed), a load a process of the old code left there is not read,
    the books are loaded again by the new code."""
    import retkoop_tools.checks.cache as cache
    import retkoop_tools.ledger.standalone as standalone
    from retkoop_tools.ledger.standalone import share_loads, wait_shared

    coop_dir = coops[2]
    shared = tmp_path / "chargements"
    try:
        share_loads(shared)
        share_loads(shared)  # a second portal reads the folder: loads are shared
        forget()
        load_books(coop_dir, coop_dir.name)
        wait_shared()
        assert list(shared.glob("*.pickle"))
        share_loads(None)
        fingerprint = cache._code_fingerprint()
        monkeypatch.setattr(cache, "_code_fingerprint", lambda extra=(): fingerprint + "-mise-a-jour")
        share_loads(shared)  # the portal started again, on the new code
        share_loads(shared)
        forget()
        loads = []
        finish = standalone._finish
        monkeypatch.setattr(standalone, "_finish", lambda *a, **kw: loads.append(1) or finish(*a, **kw))
        load_books(coop_dir, coop_dir.name)
        assert loads == [1]
    finally:
        share_loads(None)
        forget()


def test_a_kept_part_marked_of_a_version_to_come_is_refused(coops, monkeypatch):
    """A part of another version is not judged, as this version does not use it; but a part
    marked of the next version (its fingerprint is public: Beancount's version, the state's
    format, the national chart) would be trusted by the next version, once installed, without
    any hook having judged it. Only a part of an older version goes unjudged."""
    from retkoop_tools.checks.commits import results_problems
    from retkoop_tools.console.summary import FIGURES_VERSION, summary_code
    from retkoop_tools.ledger import anouveaux, standalone

    coop_dir = coops[2]
    kept = sorted(coop_dir.glob("cloture-*.json"))[-1]
    changed = [f"ledgers/{coop_dir.name}/{kept.name}"]
    original = kept.read_text()

    def next_version() -> str:
        standalone.code_fingerprint.cache_clear()
        monkeypatch.setattr(anouveaux, "STATE_FORMAT", anouveaux.STATE_FORMAT + 1)
        try:
            return standalone.code_fingerprint()
        finally:
            monkeypatch.undo()
            standalone.code_fingerprint.cache_clear()

    try:
        data = json.loads(original)
        data["etat"]["format"] += 1
        data["etat"]["code"] = next_version()
        data["etat"]["a_nouveaux"][-1]["postings"][0][1] = "0.01"
        kept.write_text(json.dumps(data))
        problems = results_problems(coop_dir.parent.parent, coop_dir.name, changed)
        assert [p.message.split(" ")[0] for p in problems] == [kept.name]
        assert "autre version" in problems[0].message
        data = json.loads(original)
        data["resume"]["code"] = summary_code(FIGURES_VERSION + 1)
        data["resume"]["operations"] += 1
        kept.write_text(json.dumps(data))
        assert results_problems(coop_dir.parent.parent, coop_dir.name, changed)
        # Parts of older versions, never to be used again: not judged.
        data = json.loads(original)
        data["etat"]["format"] -= 1
        data["etat"]["code"] = "une-version-passee"
        data["etat"]["a_nouveaux"][-1]["postings"][0][1] = "0.01"
        data["resume"]["code"] = summary_code(FIGURES_VERSION - 1)
        data["resume"]["operations"] += 1
        kept.write_text(json.dumps(data))
        assert results_problems(coop_dir.parent.parent, coop_dir.name, changed) == []
    finally:
        _write_kept_again(coop_dir, kept)


@pytest.mark.parametrize("change", ["ouvert plus tard", "fermé", "autre coopérative"])
def test_the_accounts_of_the_closed_exercices_changed_are_judged_as_in_a_full_load(coops, tmp_path, change):
    """The closed files' errors kept in a state depend on comptes.beancount too: an account
    opened only after an operation of a closed exercice uses it, or closed during one. Such a
    change — in a write, or in a coop whose closed files are another's byte for byte (its state
    computed from the other's books, kept in the local cache) — is judged as a full load does."""
    shutil.copytree(coops[2].parent.parent, tmp_path, dirs_exist_ok=True)
    coop_dir = tmp_path / "ledgers" / coops[2].name
    closed = min(Exercice.from_filename(p.name) for p in coop_dir.glob("20*.beancount"))
    comptes = (coop_dir / "comptes.beancount").read_text()
    later = re.sub(r"^\d{4}-\d{2}-\d{2} (open Charges:627-Frais-bancaires)", rf"{closed.end} \1", comptes, flags=re.M)
    texts = None
    if change == "ouvert plus tard":
        texts = {"comptes.beancount": later}
    elif change == "fermé":
        closing = f"\n{closed.end.replace(month=3, day=1)} close Charges:627-Frais-bancaires\n"
        texts = {"comptes.beancount": comptes + closing}
    else:
        other = tmp_path / "ledgers" / "0919999X"
        shutil.copytree(coop_dir, other)
        (other / "coop.beancount").write_text((other / "coop.beancount").read_text().replace(coop_dir.name, other.name))
        (other / "comptes.beancount").write_text(later)
        for path in [*coop_dir.glob("cloture-*.json"), *other.glob("cloture-*.json")]:
            path.unlink()  # closed before this version: each state computed, kept locally
        forget()
        load_books(coop_dir, coop_dir.name)
        forget()
        assert load_books(coop_dir, coop_dir.name).open_from is not None  # the first coop's state, kept
        coop_dir = other
    full, alone = _both(coop_dir, texts)
    assert any("Charges:627-Frais-bancaires" in e.message for e in full.errors)
    _assert_same(full, alone, coop_dir)


def test_an_open_exercice_that_closes_an_account_in_a_closed_one_is_loaded_in_full(coops):
    """An exercice file holds no `close` (the write policy refuses it, but a push is not
    written by it): dated in a closed exercice, it changes what a full load says of the closed
    files (their operations after the account's closing), so the coop is loaded in full."""
    coop_dir = coops[2]
    closed = min(Exercice.from_filename(p.name) for p in coop_dir.glob("20*.beancount"))
    last = max(coop_dir.glob("20*.beancount"))
    text = last.read_text() + f"\n{closed.end.replace(month=3, day=1)} close Charges:627-Frais-bancaires\n"
    full, alone = _both(coop_dir, {last.name: text})
    _assert_same(full, alone, coop_dir)
    assert alone.open_from is None and "closed exercice" in alone.why_full
