"""The parse in pieces (`ledger/parsed.py`) gives what Beancount's parse of the whole text
gives, edit after edit: entries, errors, options, display context."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from beancount.parser import parser

from retkoop_tools.ledger import parsed
from retkoop_tools.ledger.layout import ROOT_OPTIONS

ROOT = Path(__file__).resolve().parents[1]
BOOKS = sorted((ROOT / "ledgers").glob("*/2025-2026.beancount"))


def _dcontext(options):
    return [(currency, context.has_sign, context.integer_max, list(context.fractional_dist.hist.items()))
            for currency, context in options["dcontext"].ccontexts.items()]


def _same(text: str, filename: str) -> None:
    ours = parsed.parse_text(text, filename)
    theirs = parser.parse_string(text.encode("utf-8"), report_filename=filename)
    assert ours[0] == theirs[0]
    assert [(type(e), e.message, (e.source or {}).get("lineno")) for e in ours[1]] == \
        [(type(e), e.message, (e.source or {}).get("lineno")) for e in theirs[1]]
    assert {k: v for k, v in ours[2].items() if k != "dcontext"} == \
        {k: v for k, v in theirs[2].items() if k != "dcontext"}
    assert _dcontext(ours[2]) == _dcontext(theirs[2])
    assert str(ours[2]["dcontext"]) == str(theirs[2]["dcontext"])


def _entry(rng: random.Random, n: int) -> str:
    cents = rng.choice(["", ".5", f".{rng.randint(0, 99):02d}"])
    amount = f"{rng.randint(1, 300)}{cents}"
    return (f'2026-0{rng.randint(1, 6)}-1{rng.randint(0, 9)} * "Fournisseur {n}" "Achat {n}"\n'
            f'  piece: "T{n:03d}"\n  mode: "CB"\n'
            f"  Actif:512-Banque  -{amount} EUR\n  Charges:6068-Fournitures  {amount} EUR\n")


def _blocks(text: str) -> list[tuple[int, int]]:
    """The spans of the dated entries of a text (a blank line before each)."""
    return [(m.start(1), m.end(1)) for m in re.finditer(r"(?:^|\n\n)(\d{4}-\d\d-\d\d [^\n]*(?:\n[ \t]+[^\n]*)*\n)", text)]


@pytest.mark.parametrize("book", BOOKS, ids=[p.parent.name for p in BOOKS])
def test_edit_after_edit_the_pieces_parse_as_the_whole(book):
    rng = random.Random(book.parent.name)
    filename = str(book)
    text = book.read_text(encoding="utf-8")
    parsed._latest.clear()
    _same(text, filename)
    most = 1
    for n in range(60):
        blocks = _blocks(text)
        kind = rng.choice(["append", "append", "insert", "delete", "amount", "error", "first", "push",
                           "option", "string", "lineno"])
        at = blocks[rng.randrange(len(blocks))] if blocks else (len(text), len(text))
        if kind == "append":
            marker = text.rfind("\n; ")  # before Fava's marker, where entries are inserted
            cut = marker + 1 if marker > len(text) // 2 else len(text)
            text = text[:cut] + "\n" + _entry(rng, n) + text[cut:]
        elif kind == "insert":
            text = text[:at[0]] + _entry(rng, n) + "\n" + text[at[0]:]
        elif kind == "delete":
            text = text[:at[0]] + text[at[1]:]
        elif kind == "amount":
            block = text[at[0]:at[1]]
            text = text[:at[0]] + re.sub(r"(\d+)(\.\d+)? EUR", lambda m: f"{int(m.group(1)) + 1}{m.group(2) or ''} EUR",
                                         block) + text[at[1]:]
        elif kind == "error":
            broken = text[:at[0]] + "2026-13-45 * oops\n\n" + text[at[0]:]
            _same(broken, filename)  # an error: parsed whole, as Beancount does
            continue
        elif kind == "option":  # an option further down changes what follows it: parsed whole
            _same(text[:at[0]] + 'option "name_assets" "Biens"\n' + text[at[0]:], filename)
            continue
        elif kind == "string":  # a narration on several lines, one looking like an entry
            text = (text[:at[0]] + f'2026-02-0{n % 9 + 1} * "Note {n}" "ligne 1\n\n2026-01-01 open Actif:Truc\n"\n'
                    f'  piece: "S{n:03d}"\n  Actif:512-Banque  -1.00 EUR\n  Charges:6068-Fournitures  1.00 EUR\n\n'
                    + text[at[0]:])
        elif kind == "lineno":  # metadata naming a line (refused by the policy): parsed whole
            _same(text[:at[0]] + '2026-02-01 * "X" "Y"\n  lineno: 3\n  Actif:512-Banque  -1.00 EUR\n'
                  '  Charges:6068-Fournitures  1.00 EUR\n\n' + text[at[0]:], filename)
            continue
        elif kind == "first":
            text = "; en-tête\n" + text
        elif kind == "push":
            _same(text[:at[0]] + "pushtag #sortie\n" + text[at[0]:at[1]] + "poptag #sortie\n" + text[at[1]:], filename)
            continue
        _same(text, filename)
        most = max(most, len(parsed._latest[filename].pieces))
    assert most >= 3  # the edits were parsed in pieces


def test_a_save_at_the_end_parses_only_the_end(monkeypatch):
    book = BOOKS[0]
    filename = str(book) + ".fin"
    text = book.read_text(encoding="utf-8")
    parsed._latest.clear()
    parsed.parse_text(text, filename)
    sizes = []
    real = parser.parse_string
    monkeypatch.setattr(parser, "parse_string", lambda t, **k: sizes.append(len(t.strip(b"\n"))) or real(t, **k))
    rng = random.Random(1)
    for n in range(12):
        text = text + "\n" + _entry(rng, n)
        sizes.clear()
        _same(text, filename)
        assert sizes and max(sizes[:-1] or [0]) < len(text) // 2  # ours: a small piece, then Beancount's whole
    assert 3 <= len(parsed._latest[filename].pieces) <= parsed._PIECES  # put together as they come


def test_a_text_seen_first_is_parsed_in_two_and_its_first_save_parses_the_end(monkeypatch):
    """A process that never parsed the file (Fava's load came from another process): the text
    is parsed in two pieces at an entry, and the first save at its end parses that end only."""
    book = BOOKS[0]
    filename = str(book) + ".premier"
    text = book.read_text(encoding="utf-8") + "\n; premier passage\n"
    parsed._latest.clear()
    _same(text, filename)
    first = parsed._latest[filename].pieces
    assert len(first) == 2 and first[1].start > len(text) // 2
    sizes = []
    real = parser.parse_string
    monkeypatch.setattr(parser, "parse_string", lambda t, **k: sizes.append(len(t.strip(b"\n"))) or real(t, **k))
    text = text + "\n" + _entry(random.Random(2), 1)
    _same(text, filename)
    assert sizes and max(sizes[:-1]) < len(text) // 4  # ours: the end; then Beancount's whole


@pytest.mark.parametrize("where", [0.80, 0.84, 0.86])
def test_a_string_across_the_first_split_is_not_cut(where):
    """A narration on several lines, one of them looking like the start of an entry, where the
    first parse would split: parsed as Beancount parses it."""
    book = BOOKS[0]
    text = book.read_text(encoding="utf-8")
    at = text.rfind("\n\n", 0, int(len(text) * where)) + 2
    text = (text[:at] + '2026-02-03 * "Note" "ligne 1\n\n2026-01-01 open Actif:Truc\n\n2026-01-02 * \"x\"\n"\n'
            '  piece: "S999"\n  Actif:512-Banque  -1.00 EUR\n  Charges:6068-Fournitures  1.00 EUR\n\n' + text[at:])
    filename = f"{book}.chaine-{where}"
    parsed._latest.clear()
    _same(text, filename)


@pytest.mark.parametrize("head", [
    'option "title" "Coopérative\nde l\'école"\n',  # an option's string on two lines
    'option "title" "Coop \\"A\\" ; \nsuite"\n',
])
def test_an_option_on_two_lines_is_not_cut_in_half(head):
    filename = f"/virtuel/deux-lignes-{len(head)}.beancount"
    rng = random.Random(3)
    text = ROOT_OPTIONS + head + "\n2025-09-01 open Actif:512-Banque\n2025-09-01 open Charges:6068-Fournitures\n"
    parsed._latest.clear()
    for n in range(6):
        if n == 3:  # a piece parsed after half the option would lose this account to its string
            text += '\n2026-01-02 open Actif:5121-Banque\n; remarque "\n'
        text = text + "\n" + _entry(rng, n)
        _same(text, filename)
    assert len(parsed._latest[filename].pieces) == 1  # parsed whole: the option is not in the header
    assert parsed.parse_text(text, filename)[2]["title"] == parser.parse_string(text)[2]["title"]


def test_include_and_plugin_lines_further_down_are_kept():
    """`include` and `plugin` lines add to their lists wherever they are: a save after them
    parses only its end, and the lists are still the whole text's (the policy reads them)."""
    filename = "/virtuel/plugin-plus-bas.beancount"
    rng = random.Random(4)
    text = ROOT_OPTIONS + "2025-09-01 open Actif:512-Banque\n2025-09-01 open Charges:6068-Fournitures\n"
    parsed._latest.clear()
    for n in range(8):
        if n == 2:
            text += '\nplugin "beancount.plugins.auto_accounts"\n'
        if n == 4:
            text += '\ninclude "autre.beancount"\nplugin "beancount.plugins.noduplicates" "x"\n'
        text = text + "\n" + _entry(rng, n)
        _same(text, filename)
    options = parsed.parse_text(text, filename)[2]
    assert [name for name, _ in options["plugin"]] == ["beancount.plugins.auto_accounts", "beancount.plugins.noduplicates"]
    assert options["include"] == ["autre.beancount"]
    assert len(parsed._latest[filename].pieces) > 1  # parsed in pieces all along


def test_a_load_leaves_the_shared_parse_as_beancount_gives_it(coop):
    """The parse of a text is shared by its readers, who must not change it: Beancount's
    booking, which fills in an amount left out, writes `__automatic__` into the posting's
    metadata — of a copy, so that the next reader of the text (the write policy, the history,
    the next load) gets Beancount's parse, not the last load's booking."""
    from retkoop_tools.ledger.standalone import forget, load_books

    from tests.conftest import OPENING

    coop.add(OPENING)
    coop.add('''
        2025-10-01 * "Papeterie" "Cahiers"
          piece: "A001"
          mode: "CB"
          Charges:6068-Fournitures-projets  12.00 EUR
          Actif:512-Banque
        ''')
    path = coop.exercice_file()
    forget()
    loaded = load_books(coop.dir, coop.uai)
    booked = next(e for e in loaded.entries if getattr(e, "narration", "") == "Cahiers")
    assert booked.postings[1].units.number == -12 and booked.postings[1].meta["__automatic__"]
    ours = parsed.parse_text(path.read_bytes(), str(path))
    theirs = parser.parse_string(path.read_bytes(), report_filename=str(path))
    assert ours[0] == theirs[0]
