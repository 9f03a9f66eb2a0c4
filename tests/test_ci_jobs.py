"""Each forge's CI job, run here as its runner would run it.

The AD is created by `retkoop init` (so the job is the file init wrote in the AD repository),
its commits go to a bare central repository without hook (the forge accepts every push: CI is
what refuses), and the job's own lines run in a clean venv standing for the `python:3.11`
image or setup-python, with nothing of this checkout on PATH: retkoop-tools is installed by
the job from the setting of the AD (`retkoop init --outils`, or the forge's variable).
What a runner does itself is done the same way: GitLab fetches the branch with the whole
history and checks out the commit; `actions/checkout` clones everything; `${{ … }}` are
replaced from the event. An expression or an action this emulation does not know fails the
test, so a template cannot grow what was not run here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from retkoop_tools.ci import TARGETS

from tests.gitrepo import env_with_retkoop, run_git

REPO = Path(__file__).resolve().parent.parent
UAI = "0910001A"
ZERO = "0" * 40
AUTEUR = "Compta AD <compta@ad91.fr>"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "retkoop-tools"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "var"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
                   check=True, capture_output=True)
    return next(out.glob("retkoop_tools-*.whl"))


def clean_venv(path: Path) -> dict[str, str]:
    """The job's environment: a fresh Python 3.11 with pip, git, and nothing else of ours."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    env = {"PATH": f"{path / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
           "LANG": "C.UTF-8", "CI": "true"}
    assert not shutil.which("retkoop", path=env["PATH"])
    return env


# -- the AD and its central repository -------------------------------------------------------

@dataclass
class AD:
    root: Path
    central: Path

    def git(self, *args: str) -> str:
        return run_git(self.root, *args).stdout.strip()

    def commit(self, text: str, message: str, verify: bool = True) -> str:
        path = self.root / "ledgers" / UAI / "2025-2026.beancount"
        path.write_text(path.read_text() + "\n" + text)
        self.git("commit", "-qam", message, *(() if verify else ("--no-verify",)))
        return self.git("rev-parse", "HEAD")

    def push(self, *refs: str) -> None:
        self.git("push", "-q", "origin", *refs)


def make_ad(tmp: Path, outils: str | None) -> AD:
    root, central = tmp / "ad91", tmp / "ad91.git"
    env = env_with_retkoop()
    init = ["retkoop", "init", str(root), "--ad", "91", "--nom", "OCCE de l'Essonne", "--auteur", AUTEUR]
    subprocess.run(init + (["--outils", outils] if outils else []), check=True, capture_output=True, env=env)
    subprocess.run(["retkoop", "coop", "add", UAI, "--nom", "École Jean Jaurès", "--exercice", "2025-2026",
                    "--repo", str(root), "--auteur", AUTEUR], check=True, capture_output=True, env=env)
    run_git(tmp, "init", "-q", "--bare", "-b", "main", str(central))
    run_git(root, "remote", "add", "origin", str(central))
    ad = AD(root, central)
    ad.push("main")
    return ad


def sale(piece: str, day: int, amount: str = "15.00") -> str:
    return f"""2025-10-{day:02d} * "Famille Martin" "Participation volontaire"
  piece: "{piece}"
  mode: "ESP"
  Actif:530-Caisse                        {amount} EUR
  Produits:7562-Participation-familles  -{amount} EUR
"""


def purchase(piece: str, day: int) -> str:
    return f"""2025-10-{day:02d} * "Papeterie" "Feutres"
  piece: "{piece}"
  mode: "ESP"
  Charges:6063-Fournitures-activites  40.00 EUR
  Actif:530-Caisse                   -40.00 EUR
"""


def bad_middle_push(ad: AD) -> tuple[str, str, str]:
    """A push on main whose middle commit leaves the caisse negative: (before, bad, after)."""
    before = ad.git("rev-parse", "HEAD")
    ad.commit(sale("R1", 10), "Saisie R1")
    bad = ad.commit(purchase("D1", 5), "Achat en espèces", verify=False)
    after = ad.commit(sale("R2", 5, "50.00"), "Saisie oubliée")
    ad.push("main")
    return before, bad, after


def new_branch_push(ad: AD) -> str:
    ad.git("checkout", "-qb", "octobre", "main")
    ad.commit(sale("R10", 12), "Saisie R10")
    head = ad.commit(sale("R11", 13), "Saisie R11")
    ad.push("octobre")
    ad.git("checkout", "-q", "main")
    return head


@dataclass
class Run:
    returncode: int
    log: str
    workspace: Path

    def report(self) -> list[tuple[str, str]]:
        root = ET.parse(self.workspace / "rapport-retkoop.xml").getroot()
        return [(s.get("name"), s.get("failures")) for s in root.findall("testsuite")]


def sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env=env, capture_output=True, text=True)


# -- GitHub Actions and Forgejo Actions -----------------------------------------------------

_TERM = re.compile(r"'(?P<lit>[^']*)'|(?P<path>[A-Za-z_]+(?:\.[A-Za-z_]+)*)")


def expression(expr: str, ctx: dict) -> str:
    """`a.b || 'literal' || c.d`: the first non-empty term, as GitHub and Forgejo evaluate it."""
    for term in (t.strip() for t in expr.split("||")):
        match = _TERM.fullmatch(term)
        assert match, f"expression inconnue de l'émulation : {expr}"
        if match.group("path") is None:
            value = match.group("lit")
        else:
            value = ctx
            for key in match.group("path").split("."):
                value = value.get(key) if isinstance(value, dict) else None
        if value not in (None, ""):
            return str(value)
    return ""


def interpolate(text: str, ctx: dict) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: expression(m.group(1).strip(), ctx), str(text))


def run_actions(forge: str, ad: AD, event: dict, sha: str, job_env: dict[str, str], work: Path,
                variables: dict[str, str] | None = None) -> Run:
    """The workflow file of the commit, as the runner of `forge` ("github"/"forgejo") runs it."""
    target = TARGETS["github-actions.yml" if forge == "github" else "forgejo-actions.yml"]
    spec = yaml.safe_load(run_git(ad.root, "show", f"{sha}:{target}").stdout)
    workspace = work / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    ctx = {"github": {"event": event, "sha": sha, "server_url": f"file://{ad.central.parent}",
                      "repository": ad.central.name.removesuffix(".git")},
           "vars": variables or {}, "secrets": {"GITHUB_TOKEN": "jeton-de-la-tache"}}
    env = dict(job_env, GITHUB_WORKSPACE=str(workspace), GITHUB_SHA=sha)
    env.update({k: interpolate(v, ctx) for k, v in (spec.get("env") or {}).items()})
    job = spec["jobs"]["retkoop"]
    if forge == "forgejo":
        assert job["container"]["image"] == "python:3.11"
    log, failed = [], False
    for step in job["steps"]:
        if failed and step.get("if") != "always()":
            continue
        if "uses" in step:
            assert forge == "github", f"{step['uses']} demande Node.js, absent de python:3.11"
            ok = _github_action(step, ad, sha, workspace, log)
        else:
            step_env = dict(env, **{k: interpolate(v, ctx) for k, v in (step.get("env") or {}).items()})
            proc = sh(interpolate(step["run"], ctx), workspace, step_env)
            log.append(proc.stdout + proc.stderr)
            ok = proc.returncode == 0
        failed = failed or not ok
    return Run(1 if failed else 0, "\n".join(log), workspace)


def _github_action(step: dict, ad: AD, sha: str, workspace: Path, log: list[str]) -> bool:
    action = step["uses"]
    if action == "actions/checkout@v6":
        assert step["with"]["fetch-depth"] == 0  # every branch and the whole history
        run_git(workspace.parent, "clone", "-q", "--no-checkout", str(ad.central), str(workspace))
        run_git(workspace, "checkout", "-q", "--detach", sha)
        return True
    if action == "actions/setup-python@v6":
        assert step["with"]["python-version"] == "3.11"  # the clean venv is Python 3.11
        return sys.version_info[:2] == (3, 11)
    if action == "mikepenz/action-junit-report@v6":
        report = workspace / step["with"]["report_paths"]
        log.append(f"rapport JUnit : {report.exists()}")
        return report.exists()
    raise AssertionError(f"action inconnue de l'émulation : {action}")


def push_event(before: str, after: str) -> dict:
    return {"before": before, "after": after, "repository": {"default_branch": "main"}}


@pytest.mark.parametrize("forge", ["github", "forgejo"])
def test_actions_job(forge, wheel, tmp_path):
    env = clean_venv(tmp_path / "venv")
    ad = make_ad(tmp_path / "avec-outils", outils=str(wheel))

    # A push on main whose middle commit breaks a rule: the job fails on that commit.
    before, bad, after = bad_middle_push(ad)
    run = run_actions(forge, ad, push_event(before, after), after, env, tmp_path / "1")
    assert run.returncode == 1, run.log
    assert f"{bad[:10]} Achat en espèces : 1 coopérative, 1 erreur" in run.log
    assert "La caisse serait négative le 05/10/2025" in run.log
    assert "3 commits vérifiés, 1 en erreur." in run.log
    assert [f for _, f in run.report()] == ["0", "1", "0"]
    if forge == "github":
        assert "rapport JUnit : True" in run.log  # the report step runs after the failure

    # A new branch (before = 0000…): its two commits, not only the last, nor all history.
    head = new_branch_push(ad)
    run = run_actions(forge, ad, push_event(ZERO, head), head, env, tmp_path / "2")
    assert run.returncode == 0, run.log
    assert "vérification des 2 commits absents de origin/main" in run.log

    # An AD created without --outils: the job says which setting is missing…
    bare = make_ad(tmp_path / "sans-outils", outils=None)
    head = bare.git("rev-parse", "HEAD")
    run = run_actions(forge, bare, push_event(ZERO, head), head, env, tmp_path / "3")
    assert run.returncode == 1
    assert "Erreur : la variable RETKOOP_TOOLS ne dit pas d'où installer retkoop-tools." in run.log
    assert not (run.workspace / "rapport-retkoop.xml").exists()
    # …and the forge's variable (vars.RETKOOP_TOOLS) is enough.
    run = run_actions(forge, bare, push_event(ZERO, head), head, env, tmp_path / "4",
                      variables={"RETKOOP_TOOLS": str(wheel)})
    assert run.returncode == 0, run.log
    assert "2 commits vérifiés, 0 en erreur." in run.log


def test_forgejo_job_checks_a_pull_request_from_its_head(wheel, tmp_path):
    """A pull request's head is fetched from refs/pull/N/head, as Forgejo keeps it."""
    env = clean_venv(tmp_path / "venv")
    ad = make_ad(tmp_path / "ad", outils=str(wheel))
    base = ad.git("rev-parse", "main")
    ad.git("checkout", "-qb", "proposition")
    bad = ad.commit(purchase("D1", 5), "Achat en espèces", verify=False)
    head = ad.commit(sale("R2", 5, "50.00"), "Saisie oubliée")
    ad.git("push", "-q", "origin", f"{head}:refs/pull/7/head")  # not a branch of the central
    event = {"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}},
             "repository": {"default_branch": "main"}}
    run = run_actions("forgejo", ad, event, head, env, tmp_path / "pr")
    assert run.returncode == 1, run.log
    assert f"{bad[:10]} Achat en espèces : 1 coopérative, 1 erreur" in run.log
    assert "2 commits vérifiés, 1 en erreur." in run.log


# -- GitLab CI -------------------------------------------------------------------------------

def rule_matches(condition: str, variables: dict[str, str]) -> bool:
    """GitLab's `$A == "x" && $B`, the forms the template uses."""
    for term in (t.strip() for t in condition.split("&&")):
        match = re.fullmatch(r'\$(\w+)(?:\s*==\s*"([^"]*)")?', term)
        assert match, f"condition inconnue de l'émulation : {condition}"
        value = variables.get(match.group(1), "")
        if (value != match.group(2)) if match.group(2) is not None else not value:
            return False
    return True


def pipeline_runs(spec: dict, variables: dict[str, str]) -> bool:
    for rule in spec["workflow"]["rules"]:
        if rule_matches(rule["if"], variables):
            return rule.get("when", "always") != "never"
    return False


def run_gitlab(ad: AD, sha: str, before: str, branch: str, job_env: dict[str, str], work: Path,
               project_variables: dict[str, str] | None = None) -> Run:
    """A branch pipeline's job: the runner fetches the branch (GIT_DEPTH 0), checks out the
    commit, then runs before_script and script in one shell, the variables set."""
    spec = yaml.safe_load(run_git(ad.root, "show", f"{sha}:{TARGETS['gitlab-ci.yml']}").stdout)
    predefined = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": branch, "CI_COMMIT_REF_NAME": branch,
                  "CI_COMMIT_SHA": sha, "CI_COMMIT_BEFORE_SHA": before, "CI_DEFAULT_BRANCH": "main",
                  "CI_REPOSITORY_URL": str(ad.central)}
    assert pipeline_runs(spec, predefined)
    job = spec["retkoop-check"]
    assert job["image"] == "python:3.11"
    variables = {**predefined, **(spec.get("variables") or {}), **(job.get("variables") or {}),
                 **(project_variables or {})}  # the project's variables win over the file's
    workspace = work / "workspace"
    workspace.mkdir(parents=True)
    run_git(workspace, "init", "-q")
    assert variables["GIT_DEPTH"] == "0"
    run_git(workspace, "fetch", "-q", str(ad.central), f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
    run_git(workspace, "checkout", "-q", "-f", sha)
    proc = sh("\n".join(job.get("before_script", []) + job["script"]), workspace, dict(job_env, **variables))
    assert job["artifacts"] == {"when": "always", "reports": {"junit": "rapport-retkoop.xml"}}
    return Run(proc.returncode, proc.stdout + proc.stderr, workspace)


def test_gitlab_job(wheel, tmp_path):
    env = clean_venv(tmp_path / "venv")
    ad = make_ad(tmp_path / "avec-outils", outils=str(wheel))

    before, bad, after = bad_middle_push(ad)
    run = run_gitlab(ad, after, before, "main", env, tmp_path / "1")
    assert run.returncode == 1, run.log
    assert f"{bad[:10]} Achat en espèces : 1 coopérative, 1 erreur" in run.log
    assert "3 commits vérifiés, 1 en erreur." in run.log
    assert [f for _, f in run.report()] == ["0", "1", "0"]

    # A new branch: the runner fetched only that branch; the job fetches main to compare.
    head = new_branch_push(ad)
    run = run_gitlab(ad, head, ZERO, "octobre", env, tmp_path / "2")
    assert run.returncode == 0, run.log
    assert "vérification des 2 commits absents de origin/main" in run.log

    bare = make_ad(tmp_path / "sans-outils", outils=None)
    head = bare.git("rev-parse", "HEAD")
    run = run_gitlab(bare, head, ZERO, "main", env, tmp_path / "3")
    assert run.returncode == 1
    assert "Erreur : la variable RETKOOP_TOOLS ne dit pas d'où installer retkoop-tools." in run.log
    run = run_gitlab(bare, head, ZERO, "main", env, tmp_path / "4", project_variables={"RETKOOP_TOOLS": str(wheel)})
    assert run.returncode == 0, run.log
    assert "2 commits vérifiés, 0 en erreur." in run.log


def test_gitlab_starts_one_pipeline_for_a_branch_with_an_open_merge_request():
    spec = yaml.safe_load((REPO / "ci" / "gitlab-ci.yml").read_text())
    push = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "octobre"}
    assert pipeline_runs(spec, push)
    assert not pipeline_runs(spec, dict(push, CI_OPEN_MERGE_REQUESTS="ad91/ad91!3"))
    assert pipeline_runs(spec, {"CI_PIPELINE_SOURCE": "merge_request_event",
                                "CI_OPEN_MERGE_REQUESTS": "ad91/ad91!3"})
    assert not pipeline_runs(spec, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"})
