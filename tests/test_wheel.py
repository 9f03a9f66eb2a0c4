"""The built wheel works outside the checkout: plugins and templates ship inside it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("src")
    # Build from a copy: the checkout stays as it is (no build/ nor egg-info in it).
    src = build / "retkoop-tools"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "var"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
                   check=True, capture_output=True)
    return next(out.glob("retkoop_tools-*.whl"))


def test_wheel_holds_plugins_templates_and_chart(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "retkoop_plugins/tresorerie.py",
        "retkoop_plugins/exercice.py",
        "retkoop_tools/chart/plan-comptable.yaml",
        "retkoop_tools/templates/__init__.py",
        "retkoop_tools/cli/check.py",
        "retkoop_tools/hooks/pre-commit",
        "retkoop_tools/hooks/pre-receive",
        "retkoop_tools/ci/gitlab-ci.yml",
        "retkoop_tools/demandes/actions.py",
        "retkoop_tools/contacts.py",
        "retkoop_tools/web/templates/console/demandes.html",
        "retkoop_tools/web/static/guide/saisie.png",
        "retkoop_tools/tresorier/pages/templates/Guide.html",
    ):
        assert expected in names


def test_wheel_installed_in_a_fresh_venv_checks_a_coop(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    ad = tmp_path / "ad"
    ad.mkdir()
    (ad / "ad.yaml").write_text('numero: "91"\n')
    run = lambda *a: subprocess.run([str(venv / "bin" / "retkoop"), *a], capture_output=True, text=True, cwd=tmp_path)  # noqa: E731
    assert run("coop", "add", "0910001A", "--nom", "École", "--repo", str(ad)).returncode == 0
    result = run("check", "--all", "--repo", str(ad))
    assert result.returncode == 0, result.stdout + result.stderr
    # Plain bean-check of that venv loads our plugins from the wheel, not from the checkout.
    coop = next((ad / "ledgers").glob("*/coop.beancount"))
    bc = subprocess.run([str(venv / "bin" / "bean-check"), str(coop)], capture_output=True, text=True, cwd=tmp_path)
    assert bc.returncode == 0, bc.stdout + bc.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import retkoop_plugins; print(retkoop_plugins.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert str(venv) in where.stdout
    # An AD repository created from the wheel has its hooks and CI, and they run.
    ad91 = tmp_path / "ad91"
    result = run("init", str(ad91), "--ad", "91", "--nom", "OCCE de l'Essonne", "--auteur", "AD <ad@test>")
    assert result.returncode == 0, result.stderr
    assert (ad91 / "hooks" / "pre-receive").exists() and (ad91 / ".gitlab-ci.yml").exists()
    result = run("coop", "add", "0910001A", "--nom", "École", "--exercice", "2025-2026", "--repo", str(ad91),
                 "--auteur", "AD <ad@test>")
    assert result.returncode == 0, result.stderr
    history = run("history", "0910001A", "--repo", str(ad91))
    assert "AD <ad@test>" in history.stdout and "comptes ouverts" in history.stdout
