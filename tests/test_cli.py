"""The `retkoop` command as a user runs it: French messages, exit status, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OPENING, UAI, make_ad


def retkoop(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "retkoop_tools", *args],
        capture_output=True, text=True, cwd=cwd, check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_coop_add_creates_a_coop_that_passes_bean_check(ad_root):
    proc = retkoop("coop", "add", "0910042z", "--nom", "École du Parc", "--commune", "Massy",
                   "--exercice", "2025-2026", "--repo", str(ad_root))
    assert proc.returncode == 0, proc.stderr
    assert "Coopérative créée : ledgers/0910042Z (exercice 2025-2026)" in proc.stdout
    coop_dir = ad_root / "ledgers" / "0910042Z"
    assert sorted(p.name for p in coop_dir.iterdir()) == [
        "2025-2026.beancount", "comptes.beancount", "coop.beancount", "documents"]
    bean_check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run([str(bean_check), str(coop_dir / "coop.beancount")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (coop_dir / "coop.beancount").read_text()
    assert 'custom "fava-option" "fiscal-year-end" "08-31"' in text
    assert 'custom "fava-option" "language" "fr"' in text
    assert 'plugin "retkoop_plugins.tresorerie"' in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["coop", "add", "091042A", "--nom", "X"], "« 091042A » n'est pas un numéro UAI : 7 chiffres puis une lettre"),
        (["coop", "add", "0910042A", "--nom", "X", "--exercice", "2025-2027"], "« 2025-2027 » n'est pas un exercice"),
        (["coop", "add", "0910042A", "--nom", "  "], "Donnez le nom de l'école"),
        (["check", "0910099X"], "La coopérative 0910099X n'existe pas"),
        (["check"], "Indiquez des UAI, --all ou --since REV."),
    ],
)
def test_bad_arguments_get_a_french_message(ad_root, args, message):
    proc = retkoop(*args, "--repo", str(ad_root))
    assert proc.returncode == 1
    assert proc.stderr.startswith("Erreur : ")
    assert message in proc.stderr


def test_outside_an_ad_repository(tmp_path):
    proc = retkoop("check", "--all", "--repo", str(tmp_path))
    assert proc.returncode == 1
    assert "Aucun dépôt d'AD trouvé" in proc.stderr


def test_existing_coop_is_not_overwritten(coop):
    before = (coop.dir / "coop.beancount").read_text()
    proc = retkoop("coop", "add", UAI, "--nom", "Autre", "--repo", str(coop.root))
    assert proc.returncode == 1 and "existe déjà" in proc.stderr
    assert (coop.dir / "coop.beancount").read_text() == before


BAD_INPUTS = {
    "montant": ("  Actif:530-Caisse   45,2.0 EUR", "Montant illisible « 45,2.0 »"),
    "date": ("2026-02-30 * \"Famille\" \"Don\"", "Date impossible"),
    "compte": ("  Produits:7999-Inconnu  -10.00 EUR", "Compte inconnu Produits:7999-Inconnu"),
    "accent": ("2025-10-01 * \"Famille\" \"Don\" #rentrée", "Texte non reconnu"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_gives_a_message_with_file_and_line(coop, kind):
    coop.add(OPENING)
    bad_line, message = BAD_INPUTS[kind]
    entry = [
        '2025-10-01 * "Famille" "Don"',
        '  piece: "R01"',
        '  mode: "ESP"',
        "  Actif:530-Caisse   10.00 EUR",
        "  Produits:771-Dons  -10.00 EUR",
    ]
    index = {"montant": 3, "date": 0, "compte": 4, "accent": 0}[kind]
    entry[index] = bad_line
    start = coop.add("\n".join(entry))
    proc = retkoop("check", UAI, "--repo", str(coop.root))
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if message in line]
    assert lines, proc.stdout
    assert lines[0].strip().startswith(f"ledgers/{UAI}/2025-2026.beancount:{start + index if kind == 'montant' else start}")


def test_json_output_lists_errors(coop):
    coop.add(OPENING)
    line = coop.add("""
    2025-10-01 * "Famille" "Don"
      mode: "ESP"
      Actif:530-Caisse   10.00 EUR
      Produits:771-Dons  -10.00 EUR
    """)
    proc = retkoop("check", "--all", "--json", "--repo", str(coop.root))
    assert proc.returncode == 1
    errors = json.loads(proc.stdout)
    assert errors == [{
        "uai": UAI,
        "file": f"ledgers/{UAI}/2025-2026.beancount",
        "line": line,
        "message": errors[0]["message"],
        "level": "erreur",  # avertissements come in the same list, with level "avertissement"
    }]
    assert errors[0]["message"].startswith("Pièce manquante")


def test_clean_books_exit_zero_with_a_summary(coop):
    coop.add(OPENING)
    proc = retkoop("check", "--all", "--resume", "--repo", str(coop.root))
    assert proc.returncode == 0, proc.stdout
    assert f"{UAI} École Jean Jaurès : OK, 1 opération" in proc.stdout
    assert "1 coopérative vérifiée" in proc.stdout and "aucune erreur" in proc.stdout


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_since_checks_only_the_coops_changed(tmp_path):
    root = make_ad(tmp_path / "ad")
    for uai in ("0910001A", "0910002B", "0910003C"):
        assert retkoop("coop", "add", uai, "--nom", f"École {uai}", "--exercice", "2025-2026",
                       "--repo", str(root)).returncode == 0
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    base = git(root, "rev-parse", "HEAD").strip()
    path = root / "ledgers" / "0910002B" / "2025-2026.beancount"
    path.write_text(path.read_text() + '\n2025-10-01 * "x" "y"\n  Actif:512-Banque  1.00 EUR\n  Produits:771-Dons\n')
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "change")

    proc = retkoop("check", "--since", base, "--json", "--repo", str(root))
    assert proc.returncode == 1
    assert {e["uai"] for e in json.loads(proc.stdout)} == {"0910002B"}
    proc = retkoop("check", "--since", "HEAD", "--repo", str(root))
    assert proc.returncode == 0 and "Aucune coopérative à vérifier." in proc.stdout
    # A change of the AD's chart concerns every coop.
    (root / "plan-comptable.yaml").write_text("comptes: []\n")
    proc = retkoop("check", "--since", "HEAD", "--resume", "--repo", str(root))
    assert "3 coopératives vérifiées" in proc.stdout
    proc = retkoop("check", "--since", "nope", "--repo", str(root))
    assert proc.returncode == 1 and "git n'a pas pu comparer avec « nope »" in proc.stderr
    # A new file whose name git would quote (an accent) still names its coop.
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "chart")
    (root / "ledgers" / "0910003C" / "documents").mkdir(exist_ok=True)
    (root / "ledgers" / "0910003C" / "documents" / "relevé été.pdf").write_bytes(b"%PDF-1.4\n")
    proc = retkoop("check", "--since", "HEAD", "--json", "--repo", str(root))
    assert "Aucune coopérative à vérifier." not in proc.stdout
    proc = retkoop("check", "--since", "HEAD", "--repo", str(root))
    assert "1 coopérative vérifiée" in proc.stdout, proc.stdout


def test_regie_and_new_exercice_commands(coop):
    proc = retkoop("coop", "regie", UAI, "Mme de La Tour", "--date", "15/09/2025", "--repo", str(coop.root))
    assert proc.returncode == 0, proc.stderr
    assert "Actif:54-Regies:De-La-Tour" in proc.stdout
    proc = retkoop("exercice", "ouvrir", UAI, "2027-2028", "--repo", str(coop.root))
    assert proc.returncode == 1 and "L'exercice qui suit 2025-2026 est 2026-2027" in proc.stderr
    proc = retkoop("exercice", "ouvrir", UAI, "2026-2027", "--repo", str(coop.root))
    assert proc.returncode == 0 and (coop.dir / "2026-2027.beancount").exists()
    assert 'include "2026-2027.beancount"' in (coop.dir / "coop.beancount").read_text()
    assert '"default-page" "extension/TableauDeBord/"' in (coop.dir / "coop.beancount").read_text()
    proc = retkoop("coop", "comptes", "--all", "--repo", str(coop.root))
    assert proc.returncode == 0
    assert "Actif:54-Regies:De-La-Tour" in (coop.dir / "comptes.beancount").read_text()
    assert retkoop("check", "--all", "--repo", str(coop.root)).returncode == 0


def test_entete_brings_an_old_coop_file_up_to_date(coop):
    path = coop.dir / "coop.beancount"
    old = path.read_text().replace('custom "fava-extension"', 'custom "fava-option" "x"  ; ancien')
    old = "\n".join(line for line in old.splitlines() if "fava-option\" \"x\"" not in line) + "\n"
    path.write_text(old)
    assert "fava-extension" not in path.read_text()
    proc = retkoop("coop", "entete", "--all", "--repo", str(coop.root))
    assert proc.returncode == 0, proc.stderr
    assert "1 fichier(s) coop.beancount à jour." in proc.stdout
    text = path.read_text()
    assert 'custom "fava-extension" "retkoop_tools.tresorier.pages.saisie"' in text
    assert 'numerotation: "RD"' in text and coop.errors() == []


def test_clicks_own_errors_are_in_french(tmp_path):
    missing = retkoop("import", "0910001A", str(tmp_path / "absent.ofx"))
    assert missing.returncode == 2
    assert "Essayez « retkoop import --help » pour l'aide." in missing.stderr
    assert f"Erreur : Valeur incorrecte pour 'FICHIER' : Fichier « {tmp_path / 'absent.ofx'} » introuvable." \
        in missing.stderr
    unknown = retkoop("check", "--nope")
    assert "Erreur : Option inconnue : « --nope »." in unknown.stderr
    typo = retkoop("imprt")
    assert "Commande inconnue : « imprt ». Vouliez-vous dire 'import' ?" in typo.stderr
    short = retkoop("import")
    assert "Erreur : Argument manquant 'UAI'." in short.stderr
    assert "Afficher cette aide et quitter." in retkoop("crf", "--help").stdout
    for proc in (missing, unknown, typo, short):
        assert "Error" not in proc.stderr and "Usage :" in proc.stderr


def test_the_french_catalog_only_holds_clicks_messages():
    """Click upgraded: a message it no longer has would silently stay in English."""
    import click

    from retkoop_tools.cli.francais import MESSAGES, PLURALS

    source = "".join(p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py"))
    for message in [*MESSAGES, *(m for pair in PLURALS for m in pair)]:
        assert repr(message)[1:-1] in source or message in source, message
