"""A new La Banque Postale coop declares its CCP (`retkoop coop add --banque 514`) before using it."""

from __future__ import annotations

import datetime

import pytest
from beancount import loader
from click.testing import CliRunner

from retkoop_tools.chart import load_chart
from retkoop_tools.cli import main
from retkoop_tools.tresorier.books import Books
from retkoop_tools.tresorier.operations import Form, build_operation
from tests.gitrepo import make_ad_repo

TODAY = datetime.date(2026, 3, 31)


@pytest.mark.parametrize("declared, banks", [
    ([], ["Actif:512-Banque"]),
    (["--banque", "514"], ["Actif:514-CCP"]),
    (["--banque", "512 514"], ["Actif:512-Banque", "Actif:514-CCP"]),
])
def test_a_new_coop_uses_the_bank_accounts_it_declares(tmp_path, monkeypatch, declared, banks):
    root = tmp_path / "ad"
    make_ad_repo(root, ())
    monkeypatch.chdir(root)
    created = CliRunner().invoke(main, ["coop", "add", "0910009J", "--nom", "École de la Poste",
                                        "--exercice", "2025-2026", *declared])
    assert created.exit_code == 0, created.output
    checked = CliRunner().invoke(main, ["check", "0910009J"])
    assert checked.exit_code == 0, checked.output  # coop.beancount is the one retkoop writes
    entries, errors, _ = loader.load_file(str(root / "ledgers" / "0910009J" / "coop.beancount"))
    books = Books(entries, load_chart(root), root / "ledgers" / "0910009J", TODAY)
    assert books.bank_accounts == banks
    draft = build_operation(books, Form(type="depense", date="10/03/2026", piece="D01", libelle="Timbres",
                                        mode="CB", montant="12,40", comptes=["626"], montants=["12,40"]))
    assert draft.ok, draft.errors
    assert [p.account for p in draft.entry.postings if p.account.startswith("Actif:51")] == banks[:1]


def test_an_unknown_bank_account_is_refused_in_french(tmp_path, monkeypatch):
    root = tmp_path / "ad"
    make_ad_repo(root, ())
    monkeypatch.chdir(root)
    refused = CliRunner().invoke(main, ["coop", "add", "0910009J", "--nom", "École", "--banque", "515"])
    assert refused.exit_code != 0
    assert "Compte bancaire « 515 » inconnu : le plan comptable de l'AD a 512 et 514." in refused.output
