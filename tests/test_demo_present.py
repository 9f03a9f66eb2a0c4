"""The demo AD built for a reference date: what an AD sees on that day, written by the product.

Each date's demo is built once (the product's own closing, CRF, CRA and adhésion actions in a
real git repository), then read back through the real CLI: `retkoop check --all --json` and
`retkoop ad etat --json --date`.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from click.testing import CliRunner

from retkoop_tools.cli import main
from retkoop_tools.demo.generator import DEMO_COOPS
from retkoop_tools.demo.portal import demo_logins, prepare_demo_ad, prepare_present_demo
from retkoop_tools.demo.present import build_demo, built_for
from retkoop_tools.documents.dossier import load_dossier
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.gitcmd import git

REPO = Path(__file__).resolve().parent.parent
A, B, C, D, E = (c.uai for c in DEMO_COOPS)
SEPT, DEC, JULY = datetime.date(2026, 9, 15), datetime.date(2026, 12, 1), datetime.date(2027, 7, 1)

#: (CRF of the previous exercice, adhésion of the current one) per coop, as the console codes them.
EXPECTED = {
    SEPT: {A: ("soumis", "declaree"), B: ("ouvert", None), C: ("ouvert", None), D: ("ouvert", None),
           E: ("ouvert", None)},
    DEC: {A: ("verrouille", "payee"), B: ("verrouille", "payee"), C: ("soumis", "declaree"),
          D: ("soumis", "payee"), E: ("ouvert", None)},
    JULY: {A: ("verrouille", "payee"), B: ("verrouille", "payee"), C: ("verrouille", "validee"),
           D: ("verrouille", "payee"), E: ("verrouille", "validee")},
}


@pytest.fixture(scope="module", params=[SEPT, DEC, JULY], ids=str)
def demo(request, tmp_path_factory) -> tuple[datetime.date, Path]:
    day = request.param
    root = tmp_path_factory.mktemp(f"demo-{day}") / "ad"
    build_demo(root, day)
    return day, root


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _etat(root: Path, day: datetime.date) -> dict[str, dict]:
    code, output = _cli("ad", "etat", "--json", "--date", f"{day:%d/%m/%Y}", "--repo", str(root))
    assert code == 0, output
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {row["uai"]: row for row in rows}


def test_only_the_intended_error(demo):
    """`retkoop check --all`: one error, the pièce typed twice in the current exercice of D; and
    the mistakes of B, C and E, as avertissements of the rules."""
    day, root = demo
    code, output = _cli("check", "--all", "--json", "--repo", str(root))
    assert code == 1
    reports = json.loads(output[output.index("["):])
    errors = [e for e in reports if e["level"] == "erreur"]
    assert [(e["uai"], Path(e["file"]).name) for e in errors] == [(D, f"{Exercice.of_date(day)}.beancount")]
    assert re.search(r"La pièce \S+ est déjà utilisée dans l'exercice", errors[0]["message"])
    warnings = {e["uai"]: e["message"] for e in reports if e["level"] == "avertissement"}
    assert sorted(warnings) == [B, C, E]
    assert "une subvention se ventile sur un compte de subventions, ici 744" in warnings[B]
    assert "ventilée sur 6251 (Sorties, voyages, entrées, hébergement), un compte de charges" in warnings[C]
    assert "sur 743 sans financeur" in warnings[E]


def test_current_exercice_holds_operations_up_to_the_date(demo):
    day, root = demo
    current = Exercice.of_date(day)
    for coop in DEMO_COOPS:
        folder = root / "ledgers" / coop.uai
        assert sorted(p.name for p in folder.glob("*.beancount")) == sorted(
            [f"{current.previous()}.beancount", f"{current}.beancount", "comptes.beancount", "coop.beancount"])
        entries, _, _ = loader.load_file(str(folder / "coop.beancount"))
        dates = [e.date for e in entries if isinstance(e, data.Transaction)]
        assert max(dates) <= day
        assert any(current.contains(d) for d in dates)
        # no statement or cash count dated after the reference date either
        customs = [e for e in entries if isinstance(e, data.Custom) and e.type in ("releve", "arrete-caisse")]
        assert max(e.date for e in customs) <= day


def test_previous_exercice_closed_with_its_report_a_nouveau(demo):
    """Closed by `close_exercice`: directive dated on the story's day, report à nouveau as
    `balance` assertions on 1 September, CRF PDF, git tag; the late coop has none of them."""
    day, root = demo
    current = Exercice.of_date(day)
    previous = current.previous()
    closed = {uai for uai, (crf, _) in EXPECTED[day].items() if crf != "ouvert"}
    tags = set(git(root, "tag", "--list").split())
    for coop in DEMO_COOPS:
        folder = root / "ledgers" / coop.uai
        entries, errors, _ = loader.load_file(str(folder / "coop.beancount"))
        closings = [e for e in entries if isinstance(e, data.Custom) and e.type == "cloture"]
        balances = [e for e in entries if isinstance(e, data.Balance)]
        if coop.uai in closed:
            assert [e.values[0].value for e in closings] == [str(previous)]
            assert previous.end < closings[0].meta["le"] <= day
            bank = "Actif:514-CCP" if coop.banque == "514" else "Actif:512-Banque"
            assert {b.account for b in balances} >= {bank, "Actif:530-Caisse"}
            assert {b.date for b in balances} == {current.start}
            assert "; Report à nouveau" in (folder / current.filename).read_text(encoding="utf-8")
            assert (folder / "documents" / "crf" / f"crf-{previous}.pdf").read_bytes().startswith(b"%PDF")
            assert f"{coop.uai}/{previous}" in tags
        else:
            assert closings == [] and balances == []
            assert f"{coop.uai}/{previous}" not in tags
        # Beancount checked the report à nouveau: no balance failure anywhere
        assert not [e for e in errors if "balance" in type(e).__name__.lower()]


def test_console_shows_the_mix_of_the_day(demo):
    day, root = demo
    rows = _etat(root, day)
    assert sorted(rows) == [c.uai for c in DEMO_COOPS]
    previous, current = Exercice.of_date(day).previous(), Exercice.of_date(day)
    assert {(r["exercice"], r["annee"]) for r in rows.values()} == {(str(previous), str(current))}
    assert {uai: (r["etat_code"], r["adhesion_code"]) for uai, r in rows.items()} == EXPECTED[day]
    assert rows[D]["erreurs"] == 1 and all(rows[u]["erreurs"] == 0 for u in (A, B, C, E))
    if day == SEPT:  # nothing late yet (CRF due 30/09, adhésion 15/10), A ahead of everyone
        assert all(not r["retards_liste"] for r in rows.values())
        assert "Adhésion 2026-2027 à valider" in rows[A]["alertes"]
    if day == DEC:
        assert rows[E]["retards_liste"] == ["CRF 2025-2026 attendu le 30/09/2026",
                                            "Adhésion 2026-2027 attendue le 15/10/2026"]
        # C handed its CRF in a month late: it stays late, with the delay (the console's rule).
        assert [u for u, r in rows.items() if r["retards_liste"]] == [C, E]
        assert rows[C]["retards_liste"] == ["CRF 2025-2026 remis le 30/10/2026, 30 jours après l'échéance du 30/09/2026"]
        assert (rows[C]["crf_remis_le"], rows[C]["crf_retard"]) == ("2026-10-30", 30)
        assert (rows[A]["crf_remis_le"], rows[A]["crf_verrouille_le"], rows[A]["crf_retard"]) == (
            "2026-09-12", "2026-09-24", None)
        assert "CRA 2025-2026 non rempli" in rows[C]["alertes"]
        assert "Adhésion 2026-2027 à valider" in rows[C]["alertes"]
        # statements: A and B up to date, D too, E four months behind
        assert {u: rows[u]["dernier_releve"] for u in (A, B, D, E)} == {
            A: "2026-10-31", B: "2026-10-31", D: "2026-10-31", E: "2026-07-31"}
        assert "Relevé non pointé depuis le 31/07/2026" in rows[E]["alertes"]
    if day == JULY:  # everyone has caught up; the error is still there, and so are the CRFs handed in late
        assert {u: r["retards_liste"] for u, r in rows.items() if r["retards_liste"]} == {
            C: ["CRF 2025-2026 remis le 30/10/2026, 30 jours après l'échéance du 30/09/2026"],
            E: ["CRF 2025-2026 remis le 21/01/2027, 113 jours après l'échéance du 30/09/2026"]}


@pytest.mark.parametrize("demo", [DEC], indirect=True, ids=str)
def test_late_and_behind_coops_in_their_books(demo):
    """Statements two months behind in C (CCP), none of the summer ticked in E until January."""
    day, root = demo

    def last_statement(uai: str) -> datetime.date:
        entries, _, _ = loader.load_file(str(root / "ledgers" / uai / "coop.beancount"))
        return max(e.date for e in entries if isinstance(e, data.Custom) and e.type == "releve")
    assert last_statement(C) == datetime.date(2026, 9, 30)
    assert last_statement(E) == datetime.date(2026, 7, 31)
    dossier = load_dossier(root / "ledgers" / C, Exercice(2025))
    assert dossier.statut == "soumis" and len(dossier.verificateurs) == 2
    assert not (root / "ledgers" / C / "cra-2025-2026.yaml").exists()
    assert not (root / "ledgers" / E / "adhesion-2026-2027.yaml").exists()


@pytest.mark.parametrize("demo", [DEC], indirect=True, ids=str)
def test_demo_books_are_deterministic_for_a_date(demo, tmp_path):
    """The same date gives the same books (here coop A alone, built again)."""
    day, root = demo
    build_demo(tmp_path / "again", day, coops=(DEMO_COOPS[0],))
    for path in sorted((root / "ledgers" / A).glob("*.beancount")):
        assert (tmp_path / "again" / "ledgers" / A / path.name).read_bytes() == path.read_bytes(), path.name


def test_demo_sh_builds_for_today_and_reuses_it(tmp_path):
    """What `./demo.sh` (retkoop serve-demo) prepares: the demo for today in its own git
    repository, replacing an older copy; the next start reuses it; logins name the exercice."""
    today = datetime.date.today()
    target, instance = tmp_path / "demo-ad", tmp_path / "demo-instance"
    prepare_demo_ad(REPO, target)  # what an older demo.sh left there
    instance.mkdir()
    (instance / "identifiants-demo.txt").write_text("anciens comptes\n", encoding="utf-8")

    root, built = prepare_present_demo(target, instance, today)
    assert built and root == target and built_for(target) == today
    assert not (instance / "identifiants-demo.txt").exists()
    current = Exercice.of_date(today)
    for coop in DEMO_COOPS:
        assert (target / "ledgers" / coop.uai / current.filename).exists()
    assert git(target, "status", "--porcelain") == ""
    assert git(REPO, "rev-parse", "--show-toplevel").strip() != git(target, "rev-parse", "--show-toplevel").strip()
    rows = _etat(target, today)
    assert {r["annee"] for r in rows.values()} == {str(current)}

    logins = demo_logins(target, instance)
    assert f"exercice {current.previous()}" in logins
    head = git(target, "rev-parse", "HEAD")
    assert prepare_present_demo(target, instance, today) == (target, False)
    assert git(target, "rev-parse", "HEAD") == head


def test_demo_command_never_replaces_a_folder_that_is_not_a_demo(tmp_path):
    folder = tmp_path / "projet"
    shutil.copytree(REPO / "ledgers" / A, folder / "ledgers" / A)
    code, output = _cli("demo", str(folder), "--date", "01/12/2026", "--remplacer")
    assert code == 1 and "n'est pas une démonstration" in output
    assert (folder / "ledgers" / A / "coop.beancount").exists()
    code, output = _cli("demo", str(folder), "--date", "01/12/2026", "--instantane")
    assert code == 1 and "ne va pas" in output
