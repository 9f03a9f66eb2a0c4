"""A save's history line and write policy, computed from the region the edit changed, are
exactly what the whole texts give: pinned messages, and random edits of the demo's books."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from retkoop_tools.history import diff
from retkoop_tools.history.diff import diff_entries, diff_texts, parse_entries
from retkoop_tools.ledger import region as region_module
from retkoop_tools.ledger.layout import insert_position
from retkoop_tools.ledger.region import changed_region
from retkoop_tools.policy import writes
from retkoop_tools.web.capture import Snapshot, commit_message

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "ledgers"
OPEN, CLOSED = "2025-2026.beancount", "2024-2025.beancount"


@pytest.fixture
def coop(tmp_path) -> Path:
    folder = tmp_path / "ledgers" / "0910002B"
    shutil.copytree(DEMO / "0910002B", folder)
    return folder


def _message(coop: Path, tmp_path: Path, changes: dict[str, bytes | None]) -> str:
    snapshot = Snapshot.take(coop, tmp_path / "scratch")
    try:
        return commit_message(snapshot, changes)
    finally:
        snapshot.discard()


def _reference_message(coop: Path, changes: dict[str, bytes | None]) -> list[str]:
    """The history line's changes as the whole texts give them (the function before regions)."""
    old, new = [], []
    for rel, content in sorted(changes.items()):
        if rel.endswith(".beancount"):
            old += parse_entries((coop / rel).read_text("utf-8") if (coop / rel).exists() else "", rel)
            new += parse_entries(content.decode("utf-8", "replace") if content is not None else "", rel)
    return [c.description for c in diff_entries(old, new)]


def _insert(text: str, body: str) -> str:
    at = insert_position(text)
    return text[:at] + body.strip("\n") + "\n\n" + text[at:]


ADDED = '''2026-06-15 * "Famille Test" "Don"
  piece: "W001"
  mode: "VIR"
  Actif:512-Banque    12.00 EUR
  Produits:771-Dons  -12.00 EUR'''


def test_commit_messages_pinned_for_an_added_a_modified_a_deleted_entry_a_document_a_reformatting(coop, tmp_path):
    text = (coop / OPEN).read_text("utf-8")
    entry = ('2025-09-09 * "Famille Traoré" "Participation volontaire des familles"\n  piece: "3"\n'
             '  mode: "ESP"\n  Actif:530-Caisse                       10.00 EUR\n'
             '  Produits:7562-Participation-familles  -10.00 EUR\n\n')
    assert entry in text, "the demo's books changed: pick another entry"
    cases = {
        "added": {OPEN: _insert(text, ADDED).encode()},
        "modified": {OPEN: text.replace(entry, entry.replace("10.00 EUR", "11.00 EUR")).encode()},
        "deleted": {OPEN: text.replace(entry, "").encode()},
        "document": {"documents/Charges/6247-Transports/2026-03-02.facture.pdf": b"%PDF-1.4 facture"},
        "reformatted": {OPEN: text.replace(entry, entry.replace("  Actif:530-Caisse      ", "    Actif:530-Caisse")
                                           .replace('familles"\n', 'familles"   \n')).encode()},
        "removed document": {"documents/Charges/6247-Transports/2026-03-02.facture.pdf": None},
    }
    # What the function gave before it compared regions (measured on this same demo).
    expected = {
        "added": "Saisie W001 du 15/06/2026 : Famille Test, 12,00\u00a0€",
        "modified": "Correction 3 du 09/09/2025 : Famille Traoré, 11,00\u00a0€",
        "deleted": "Suppression 3 du 09/09/2025 : Famille Traoré, 10,00\u00a0€",
        "document": "Ajout du document documents/Charges/6247-Transports/2026-03-02.facture.pdf",
        "reformatted": "Mise en forme des livres (aucune écriture changée)",
        "removed document": "Suppression du document documents/Charges/6247-Transports/2026-03-02.facture.pdf",
    }
    for name, changes in cases.items():
        assert _message(coop, tmp_path, changes) == expected[name], name
        if OPEN in changes:  # computed from the region, not from the whole texts
            assert changed_region(text, changes[OPEN].decode(), str(coop.resolve() / OPEN)) is not None, name
            assert diff._region_is_enough(changed_region(text, changes[OPEN].decode(), str(coop.resolve() / OPEN)))


def test_a_save_of_several_changes_is_told_in_one_line_as_before(coop, tmp_path):
    text = (coop / OPEN).read_text("utf-8")
    second = ADDED.replace("W001", "W002").replace("2026-06-15", "2026-06-16")
    changes = {OPEN: _insert(_insert(text, ADDED), second).encode(),
               "documents/Charges/6247-Transports/2026-03-02.facture.pdf": b"%PDF-1.4"}
    assert _message(coop, tmp_path, changes) == (
        "Saisie W001 du 15/06/2026 : Famille Test, 12,00\u00a0€ (et 2 autre(s) changement(s))")


# -- random edits ----------------------------------------------------------------------------
_BLOCK_START = re.compile(r"^\d{4}-\d{2}-\d{2} ", re.M)


def _blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each directive's text: its first line and the indented ones after."""
    starts = [m.start() for m in _BLOCK_START.finditer(text)]
    out = []
    for start in starts:
        end = start
        while True:
            nl = text.find("\n", end)
            if nl < 0:
                end = len(text)
                break
            end = nl + 1
            if not text.startswith("  ", end):
                break
        out.append((start, end))
    return out


def _transaction(rng: random.Random, ticked: bool = False, narration: str | None = None) -> str:
    day = f"2026-0{rng.randint(1, 8)}-{rng.randint(1, 28):02d}"
    amount = f"{rng.randint(1, 300)}.{rng.randint(0, 99):02d}"
    lines = [f'{day} * "Tiers {rng.randint(1, 9)}" "{narration or "Libellé " + str(rng.randint(1, 9))}"',
             f'  piece: "R{rng.randint(100, 999)}"', '  mode: "VIR"']
    if ticked:
        lines.append("  releve: 2026-08-31")
    lines += [f"  Actif:512-Banque   {amount} EUR", f"  Produits:771-Dons  -{amount} EUR"]
    return "\n".join(lines) + "\n"


def _edit(text: str, rng: random.Random) -> str:
    blocks = _blocks(text)
    start, end = blocks[rng.randrange(len(blocks))]
    block = text[start:end]
    kind = rng.choice(["insert_end", "insert", "delete", "amount", "payee", "tick", "untick", "spaces",
                       "blank", "comment", "move", "duplicate", "duplicate_untick", "multiline",
                       "unterminated", "declaration", "seal", "markup", "header", "open", "note",
                       "releve", "two", "swap_lines"])
    if kind == "insert_end":
        return _insert(text, _transaction(rng, rng.random() < 0.5))
    if kind == "insert":
        return text[:start] + _transaction(rng, rng.random() < 0.5) + "\n" + text[start:]
    if kind == "delete":
        return text[:start] + text[end:]
    if kind == "amount":
        return text[:start] + re.sub(r"\d+\.\d\d", lambda m: f"{float(m.group()) + 1:.2f}", block, count=2) + text[end:]
    if kind == "payee":
        return text[:start] + block.replace('"', '"Autre ', 1) + text[end:]
    if kind == "tick":
        first = block.find("\n") + 1
        return text[:start] + block[:first] + "  releve: 2026-03-31\n" + block[first:] + text[end:]
    if kind == "untick":
        return text[:start] + re.sub(r"  releve: .*\n", "", block, count=1) + text[end:]
    if kind == "spaces":
        return text[:start] + block.replace("  ", "    ", 2) + text[end:]
    if kind == "blank":
        return text[:start] + "\n\n" + text[start:]
    if kind == "comment":
        return text[:start] + "; une remarque\n" + text[start:]
    if kind == "move":
        rest = text[:start] + text[end:]
        other = _blocks(rest)[rng.randrange(len(_blocks(rest)))][0]
        return rest[:other] + block + rest[other:]
    if kind in ("duplicate", "duplicate_untick"):
        copy = re.sub(r"  releve: .*\n", "", block) if kind == "duplicate_untick" else block
        other = blocks[rng.randrange(len(blocks))][0]
        return text[:other] + copy + text[other:]
    if kind == "multiline":
        return _insert(text, _transaction(rng, narration='Sur deux lignes\n2026-01-01 * "pas une" "écriture"'))
    if kind == "unterminated":
        return text[:start] + '2026-01-01 * "Tiers ouvert\n' + text[start:]
    if kind == "declaration":
        line = rng.choice(['pushtag #essai', 'option "title" "Autre"', 'plugin "beancount.plugins.auto"',
                           'poptag #essai', 'include "autre.beancount"'])
        return text[:start] + line + "\n" + text[start:]
    if kind == "seal":
        return re.sub(r'(custom "cloture" "\d{4}-\d{4}" ")([0-9a-f])', lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"),
                      text, count=1) if 'custom "cloture"' in text else re.sub(r"(balance \S+\s+)(\d)", r"\g<1>9", text, count=1)
    if kind == "markup":
        return _insert(text, _transaction(rng, narration="Sortie <b>piscine</b>"))
    if kind == "header":
        return text.replace('option "name_assets" "Actif"', 'option "name_assets"  "Actif"', 1)
    if kind == "open":
        return text[:start] + "2026-01-01 open Actif:512-Autre\n" + text[start:]
    if kind == "note":
        return text[:start] + '2026-03-01 note Actif:512-Banque "Appel de la banque"\n' + text[start:]
    if kind == "releve":
        return _insert(text, f'2026-0{rng.randint(1, 8)}-28 custom "releve" Actif:512-Banque {rng.randint(1, 9999)}.00 EUR')
    if kind == "swap_lines":
        lines = block.split("\n")
        if len(lines) > 3:
            lines[1], lines[2] = lines[2], lines[1]
        return text[:start] + "\n".join(lines) + text[end:]
    return _edit(_edit(text, rng), rng)  # "two": two edits, far apart or not


@pytest.mark.parametrize("source", [f"0910002B/{OPEN}", f"0910005E/{OPEN}", f"0910005E/{CLOSED}"])
def test_random_edits_give_the_same_changes_and_refusals_as_the_whole_texts(source, tmp_path, monkeypatch):
    rng = random.Random(source)
    folder = tmp_path / "coop"
    folder.mkdir()
    name = source.split("/")[1]
    filename = str(folder.resolve() / name)
    base = (DEMO / source).read_text("utf-8")
    regions = 0
    edits = 45
    for n in range(edits):
        old = _edit(base, rng) if n % 3 == 0 else base  # sometimes from an already edited text
        new = _edit(old, rng)
        found = changed_region(old, new, filename)
        regions += found is not None
        changes = [c.as_dict() for c in diff_texts(old, new, filename)]
        reference = [c.as_dict() for c in diff_entries(parse_entries(old, filename), parse_entries(new, filename))]
        assert changes == reference, (n, old, new)
        (folder / name).write_text(old, encoding="utf-8")
        problems = writes._exercice_problems(folder, name, new)
        with monkeypatch.context() as m:
            m.setattr(writes, "changed_region", lambda *args: None)
            assert problems == writes._exercice_problems(folder, name, new), (n, new)
    assert regions >= edits // 2  # most edits are compared in their region (not a test of nothing)


def test_a_region_is_refused_where_the_parser_s_state_may_differ(tmp_path):
    base = (DEMO / "0910005E" / OPEN).read_text("utf-8")
    filename = str(tmp_path / OPEN)
    start = _blocks(base)[5][0]
    # A string left open in the old text's region would swallow what follows it.
    broken_old = base[:start] + '2026-01-01 * "ouvert\n' + base[start:]
    assert changed_region(broken_old, base, filename) is None
    # Tags pushed before the region, a declaration inside it, the header changed.
    assert changed_region(base, base[:start] + "pushtag #x\n" + base[start:], filename) is None
    tagged = base[:start] + "pushtag #x\n" + base[start:]
    assert changed_region(tagged, tagged.replace('"Produits', '"Autres produits', 1) if '"Produits' in tagged
                          else _insert(tagged, ADDED), filename) is None
    assert changed_region(base, base.replace('option "name_assets" "Actif"', 'option "name_assets"  "Actif"'),
                          filename) is None
    # An entry of the region with the content of one around it (a duplicate).
    block = base[_blocks(base)[5][0]:_blocks(base)[5][1]]
    duplicated = _insert(base, block)
    found = changed_region(base, duplicated, filename)
    assert found is not None and not diff._region_is_enough(found)
    assert [c.as_dict() for c in diff_texts(base, duplicated, filename)] == [
        c.as_dict() for c in diff_entries(parse_entries(base, filename), parse_entries(duplicated, filename))]


def test_the_region_s_new_entries_are_the_new_text_s_own_parse(tmp_path):
    base = (DEMO / "0910005E" / OPEN).read_text("utf-8")
    filename = str(tmp_path / OPEN)
    new = _insert(base, ADDED)
    found = changed_region(base, new, filename)
    assert found is not None
    parsed = region_module.parse_text(new, filename)[0]
    assert [e for e in parsed if e in found.new] == found.new and len(found.new) + len(found.outside) == len(parsed)
    assert any(getattr(e, "payee", None) == "Famille Test" for e in found.new)
    assert not any(getattr(e, "payee", None) == "Famille Test" for e in found.old)
