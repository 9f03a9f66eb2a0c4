"""The loads sort the entries after a plugin only when it changed them (standalone._InOrder):
the entries and errors are those of Beancount's loader, which sorts after every plugin, for
the demo's books and for plugins that add, swap or reorder entries."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from retkoop_tools.ledger import standalone
from retkoop_tools.ledger.standalone import load_full

ROOT = Path(__file__).resolve().parents[1]
DEMO = sorted(p for p in (ROOT / "ledgers").iterdir() if (p / "coop.beancount").is_file())

PLUGIN = '''
import datetime
from beancount.core import data

__plugins__ = ("changer",)

def changer(entries, options_map, config):
    if config == "ajoute":  # in place, dated before every other
        meta = data.new_metadata("<plugin>", 0)
        entries.append(data.Note(meta, datetime.date(2000, 1, 1), "Actif:512-Banque", "ajoutée", None, None))
        return entries, []
    if config == "echange":  # in place: the first and the last swapped
        entries[0], entries[-1] = entries[-1], entries[0]
        return entries, []
    if config == "inverse":  # a new list
        return list(reversed(entries)), []
    return entries, []
'''


def _same(ours, theirs):
    assert [(type(e), e.date, e.meta.get("filename"), e.meta.get("lineno")) for e in ours[0]] == \
        [(type(e), e.date, e.meta.get("filename"), e.meta.get("lineno")) for e in theirs[0]]
    assert ours[0] == theirs[0]
    assert [(type(e), e.message) for e in ours[1]] == [(type(e), e.message) for e in theirs[1]]
    assert type(ours[0]) is list  # a plain list, as Beancount gives


@pytest.mark.parametrize("coop_dir", DEMO, ids=[p.name for p in DEMO])
def test_demo_books_load_as_beancount_loads_them(coop_dir):
    _same(load_full(coop_dir), loader.load_file(str(coop_dir / "coop.beancount")))


@pytest.mark.parametrize("how", ["ajoute", "echange", "inverse", "rien"])
def test_a_plugin_that_changes_the_entries_gets_them_sorted_again(tmp_path, monkeypatch, how):
    """Run as the loads run them: the changing plugin first, then plugins that hand the list
    back as it is (raw mode: none of Beancount's own after, which would sort a new list)."""
    module = tmp_path / "modules" / "plugin_ordre_test.py"
    module.parent.mkdir()
    module.write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(module.parent))
    sys.modules.pop("plugin_ordre_test", None)
    entries, _errors, options = loader.load_file(str(DEMO[0] / "coop.beancount"))
    options = dict(options, plugin_processing_mode="raw",
                   plugin=[("plugin_ordre_test", how), ("plugin_ordre_test", "rien"), ("plugin_ordre_test", "rien")])
    theirs, their_errors = loader.run_transformations(list(entries), [], options, None)
    ours, our_errors = loader.run_transformations(standalone._InOrder(entries), [], options, None)
    assert our_errors == their_errors == []
    assert ours == theirs and [data.entry_sortkey(e) for e in ours] == [data.entry_sortkey(e) for e in theirs]
    if how == "ajoute":
        assert isinstance(ours[0], data.Note) and ours[0].comment == "ajoutée"


def test_with_the_rules_plugins_the_entries_keys_are_computed_a_few_times_not_after_each(monkeypatch):
    """The point: Beancount's loader computes every entry's key after each plugin (~17 times a
    load); the rules' plugins hand the entries back as they are, so ours sorts once, and again
    only after the plugins that add entries."""
    keys = []
    real = data.entry_sortkey

    def counting(entry):
        keys.append(1)
        return real(entry)

    monkeypatch.setattr(data, "entry_sortkey", counting)  # the loader and ours read it at the call
    entries, _errors, options = load_full(DEMO[0])
    ours = len(keys)
    keys.clear()
    theirs, _errors, _options = loader.load_file(str(DEMO[0] / "coop.beancount"))
    assert entries == theirs
    assert len(options["plugin"]) >= 10
    assert len(keys) > 10 * len(entries) and ours < 5 * len(entries)
