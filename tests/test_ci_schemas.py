"""The three CI definitions are valid for their forge: checked against the public JSON schemas
of GitLab CI and GitHub workflows that check-jsonschema ships (no network at test time).

Forgejo Actions reads GitHub's workflow syntax, so its file is checked with that schema too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from retkoop_tools.ci import TARGETS

from retkoop_tools.store.init import ci_definition
from retkoop_tools.store.store import StoreError

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = {
    "gitlab-ci.yml": "vendor.gitlab-ci",
    "github-actions.yml": "vendor.github-workflows",
    "forgejo-actions.yml": "vendor.github-workflows",
}
OUTILS = "retkoop-tools @ git+https://forge.example.org/occe/retkoop-tools.git@v0.1.0"


def validate(schema: str, path: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(exe), "--builtin-schema", schema, str(path)], capture_output=True, text=True)


def test_every_target_has_a_schema():
    assert set(SCHEMAS) == set(TARGETS)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_template_and_its_init_version_follow_the_schema(name, tmp_path):
    template = (REPO / "ci" / name).read_text()
    for variant, text in (("modele", template), ("outils", ci_definition(template, OUTILS))):
        path = tmp_path / f"{variant}-{name}"
        path.write_text(text)
        proc = validate(SCHEMAS[name], path)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_validator_does_refuse_a_broken_file(name, tmp_path):
    spec = yaml.safe_load((REPO / "ci" / name).read_text())
    if name == "gitlab-ci.yml":
        spec["retkoop-check"]["script"] = 3
    else:
        spec["jobs"]["retkoop"]["runs-on"] = 3
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    assert validate(SCHEMAS[name], path).returncode == 1


def test_init_writes_the_tools_source_as_the_default_of_each_forge():
    gitlab = yaml.safe_load(ci_definition((REPO / "ci" / "gitlab-ci.yml").read_text(), OUTILS))
    assert gitlab["variables"]["RETKOOP_TOOLS"] == OUTILS
    for name in ("github-actions.yml", "forgejo-actions.yml"):
        spec = yaml.safe_load(ci_definition((REPO / "ci" / name).read_text(), OUTILS))
        assert spec["env"]["RETKOOP_TOOLS"] == f"${{{{ vars.RETKOOP_TOOLS || '{OUTILS}' }}}}"
    with pytest.raises(StoreError, match="sans guillemets"):
        ci_definition("", "x' || 'y")


def test_actions_need_no_node_on_forgejo_and_are_current_on_github():
    forgejo = yaml.safe_load((REPO / "ci" / "forgejo-actions.yml").read_text())
    job = forgejo["jobs"]["retkoop"]
    assert job["container"]["image"] == "python:3.11"
    assert all("uses" not in step for step in job["steps"])  # actions run on Node, absent here
    github = yaml.safe_load((REPO / "ci" / "github-actions.yml").read_text())
    uses = [s["uses"] for s in github["jobs"]["retkoop"]["steps"] if "uses" in s]
    assert uses == ["actions/checkout@v6", "actions/setup-python@v6", "mikepenz/action-junit-report@v6"]


def test_gitlab_runs_one_pipeline_per_commit():
    """GitLab's documented workflow:rules: a merge request pipeline, or a branch pipeline when
    no merge request is open, never both."""
    spec = yaml.safe_load((REPO / "ci" / "gitlab-ci.yml").read_text())
    assert spec["workflow"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"},
    ]
    assert "rules" not in spec["retkoop-check"]
