"""Closing, reopening and the CRF's submission, on a real git repository."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import sys

import pypdf
import pytest

from retkoop_tools.cloture.actions import (
    close_exercice,
    closing_tag,
    crf_document_path,
    lock_crf,
    reopen_exercice,
    save_quitus,
    send_back_crf,
    submit_crf,
)
from retkoop_tools.documents.dossier import (
    RENVOYE,
    SOUMIS,
    VERROUILLE,
    Verificateur,
    load_dossier,
)
from retkoop_tools.store.store import RuleViolationError
from tests.documents.conftest import AFTER_YEAR, BOOKS, EXERCICE, write_books
from tests.gitrepo import ADMIN, TEACHER, run_git
from tests.tresorier.conftest import UAI

NEXT = "2026-2027.beancount"


def head(repo) -> str:
    return run_git(repo.root, "rev-parse", "HEAD").stdout.strip()


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def close(repo, **kw):
    return close_exercice(repo.store, UAI, EXERCICE, kw.pop("author", TEACHER), today=AFTER_YEAR, **kw)


def test_closing_seals_reports_stores_the_crf_and_tags(hand):
    result = close(hand)
    assert result.ok, result.errors
    assert result.commit == head(hand)
    assert hand.log()[0] == "Mme Martin|Clôture de l'exercice 2025-2026"
    assert run_git(hand.root, "rev-parse", closing_tag(UAI, EXERCICE) + "^{commit}").stdout.strip() == result.commit
    assert not run_git(hand.root, "status", "--porcelain").stdout.strip()
    # The report à nouveau: what the coop owned at 31/08, asserted on 1 September.
    following = hand.text(NEXT)
    assert re.search(r"^2026-09-01 balance Actif:512-Banque\s+1111\.30 EUR$", following, re.M)
    assert re.search(r"^2026-09-01 balance Actif:530-Caisse\s+60\.00 EUR$", following, re.M)
    assert re.search(r"^2026-09-01 balance Actif:5112-Cheques-a-encaisser\s+15\.00 EUR$", following, re.M)
    assert f'include "{NEXT}"' in hand.text("coop.beancount")
    assert 'custom "cloture" "2025-2026"' in hand.text()
    text = pdf_text((hand.coop_dir / crf_document_path(EXERCICE)).read_bytes())
    assert "exercice clôturé" in text and "136,30" in text
    books = hand.books(AFTER_YEAR)
    assert EXERCICE in books.closed


def test_a_closed_exercice_refuses_changes(hand):
    assert close(hand).ok
    before = head(hand)
    changed = hand.text().replace("250.00 EUR", "205.00 EUR").replace("-250.00 EUR", "-205.00 EUR")
    with pytest.raises(RuleViolationError, match="est clos"):
        hand.store.write(UAI, {"2025-2026.beancount": changed}, TEACHER, "Correction")
    assert head(hand) == before


def test_closing_refused_with_french_reasons_and_nothing_written(tmp_path):
    from tests.gitrepo import make_ad_repo
    from tests.tresorier.conftest import Repo

    repo = Repo(tmp_path / "ad", make_ad_repo(tmp_path / "ad"))
    without_count = BOOKS.split('2026-08-31 custom "arrete-caisse"')[0]
    unticked = without_count.replace('2026-08-31 custom "releve" Actif:512-Banque 1156.50 EUR\n', "")
    write_books(repo, unticked.replace("  releve: 2026-08-31\n", ""))
    before = head(repo)
    early = close_exercice(repo.store, UAI, EXERCICE, TEACHER, today=datetime.date(2026, 6, 30))
    assert "L'exercice se termine le 31/08/2026" in early.errors["general"]
    result = close_exercice(repo.store, UAI, EXERCICE, TEACHER, today=AFTER_YEAR)
    message = result.errors["general"]
    assert "Relevé bancaire au 31/08 pointé" in message and "Caisse comptée au 31/08" in message
    assert head(repo) == before and not (repo.coop_dir / NEXT).exists()
    # The AD may force it; the skipped conditions stay in the CRF's history.
    forced = close_exercice(repo.store, UAI, EXERCICE, ADMIN, today=AFTER_YEAR, force=True)
    assert forced.ok, forced.errors
    assert repo.log()[0] == "Compta AD|Clôture de l'exercice 2025-2026 (forcée par l'AD)"
    (event,) = load_dossier(repo.coop_dir, EXERCICE).historique
    assert event.action == "cloture-forcee" and "Caisse comptée" in event.motif


def test_reopening_needs_a_reason_and_leaves_a_trace(hand):
    assert close(hand).ok
    closed = head(hand)
    refused = reopen_exercice(hand.store, UAI, EXERCICE, ADMIN, "  ")
    assert "motif" in refused.errors and head(hand) == closed
    result = reopen_exercice(hand.store, UAI, EXERCICE, ADMIN, "Subvention mal ventilée")
    assert result.ok, result.errors
    assert hand.log()[0] == "Compta AD|Exercice 2025-2026 rouvert par Compta AD : Subvention mal ventilée"
    assert 'custom "cloture"' not in hand.text()
    assert "balance" not in hand.text(NEXT)
    assert not run_git(hand.root, "tag", "-l", closing_tag(UAI, EXERCICE)).stdout.strip()
    events = load_dossier(hand.coop_dir, EXERCICE).historique
    assert [(e.action, e.par, e.motif) for e in events][-1] == ("reouverture", "Compta AD", "Subvention mal ventilée")
    # Corrections are possible again, then the exercice is closed once more.
    fixed = hand.text().replace("Subvention classe de découverte", "Subvention classe découverte")
    hand.store.write(UAI, {"2025-2026.beancount": fixed}, TEACHER, "Correction")
    assert close(hand).ok
    assert run_git(hand.root, "tag", "-l", closing_tag(UAI, EXERCICE)).stdout.strip()


def test_submission_lock_and_send_back(hand):
    assert close(hand).ok
    refused = submit_crf(hand.store, UAI, EXERCICE, TEACHER, today=AFTER_YEAR)
    assert "Il faut au moins 2 vérificateurs" in refused.errors["general"]
    assert "parent d'élève" in refused.errors["general"]
    early = save_quitus(hand.store, UAI, EXERCICE, TEACHER, [], datetime.date(2026, 8, 1))
    assert "après la fin de l'exercice" in early.errors["date"]
    saved = save_quitus(hand.store, UAI, EXERCICE, TEACHER,
                        [Verificateur("M. Durand", "Parent d'élève"), Verificateur("Mme Leroy", "Enseignant")],
                        datetime.date(2026, 9, 18))
    assert saved.ok, saved.errors
    submitted = submit_crf(hand.store, UAI, EXERCICE, TEACHER, today=AFTER_YEAR)
    assert submitted.ok, submitted.errors
    assert load_dossier(hand.coop_dir, EXERCICE).statut == SOUMIS
    text = pdf_text((hand.coop_dir / crf_document_path(EXERCICE)).read_bytes())
    assert "M. Durand" in text and "Parent d'élève" in text and "18/09/2026" in text
    assert "déjà" in submit_crf(hand.store, UAI, EXERCICE, TEACHER, today=AFTER_YEAR).errors["general"]

    assert lock_crf(hand.store, UAI, EXERCICE, ADMIN).ok
    assert load_dossier(hand.coop_dir, EXERCICE).statut == VERROUILLE
    locked = head(hand)
    assert "verrouillé" in reopen_exercice(hand.store, UAI, EXERCICE, ADMIN, "Pour voir").errors["general"]
    assert "verrouillé" in save_quitus(hand.store, UAI, EXERCICE, TEACHER, [], None).errors["general"].lower()
    assert head(hand) == locked

    sent_back = send_back_crf(hand.store, UAI, EXERCICE, ADMIN, "Joindre le relevé d'août")
    assert sent_back.ok, sent_back.errors
    dossier = load_dossier(hand.coop_dir, EXERCICE)
    assert dossier.statut == RENVOYE
    assert [e.action for e in dossier.historique] == ["cloture", "soumission", "verrouillage", "renvoi"]
    assert 'custom "cloture"' not in hand.text()


def test_cli_crf_and_closing(hand, tmp_path):
    out = tmp_path / "crf.pdf"
    cmd = [sys.executable, "-m", "retkoop_tools", "crf", UAI, "2025-2026", "-o", str(out), "--repo", str(hand.root)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "bilan équilibré" in proc.stdout
    assert re.search(r"résultat -?[\d\u202f\u00a0]+,\d\d\u00a0€", proc.stdout), proc.stdout
    assert "Compte rendu financier 2025-2026" in pdf_text(out.read_bytes())
    html = subprocess.run([*cmd[:-4], "--html", "-o", "-", "--repo", str(hand.root)], capture_output=True, text=True)
    assert html.returncode == 0 and "<h1>Compte rendu financier 2025-2026</h1>" in html.stdout
    before = head(hand)
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "exercice", "clore", UAI, "2026-2027",
                           "--repo", str(hand.root)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Clôture de l'exercice 2026-2027 impossible" in proc.stderr
    assert head(hand) == before


def test_cli_all_crfs_of_the_ad(hand, tmp_path):
    out = tmp_path / "crfs"
    proc = subprocess.run([sys.executable, "-m", "retkoop_tools", "crf-tous", "2025-2026", "-o", str(out),
                           "--jobs", "2", "--repo", str(hand.root)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "1 CRF écrits" in proc.stdout
    assert "136,30" in pdf_text((out / f"crf-{UAI}-2025-2026.pdf").read_bytes())
