"""Creating an AD repository: git, ad.yaml, ledgers/, hooks and CI definitions."""

from __future__ import annotations

import importlib.resources
import os
import re
from pathlib import Path

import yaml

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME
from retkoop_tools.fsutil import atomic_write
from retkoop_tools.store.gitcmd import git
from retkoop_tools.store.store import Author, Store, StoreError

GITIGNORE = """\
# Fichiers temporaires d'écriture atomique et caches (retkoop-tools)
.*.tmp
*.picklecache
__pycache__/
"""
HOOKS = ("pre-commit", "pre-receive")
#: The empty default of the tools' source in each CI template, and what `--outils` makes of it.
_TOOLS_DEFAULTS = {
    'RETKOOP_TOOLS: ""': 'RETKOOP_TOOLS: "{}"',                                  # GitLab
    "vars.RETKOOP_TOOLS || ''": "vars.RETKOOP_TOOLS || '{}'",                    # GitHub, Forgejo
}
_TOOLS_FORBIDDEN = set("\"'`$\\{}\n\r\t")


def ad_config(numero: str, nom: str) -> dict:
    return {
        "numero": numero,
        "nom": nom,
        "echeances": {"crf": "09-30", "adhesion": "10-15"},
        "sauvegarde": {"distant": "origin", "branche": "main"},
    }


def install_hooks(dest: Path) -> None:
    """Copy the git hooks of an AD repository into `dest/hooks` and enable them."""
    hooks = importlib.resources.files("retkoop_tools.hooks")
    for name in HOOKS:
        target = dest / "hooks" / name
        atomic_write(target, hooks.joinpath(name).read_text(encoding="utf-8"))
        os.chmod(target, 0o755)
    git(dest, "config", "core.hooksPath", "hooks")


def check_outils(outils: str) -> str:
    """The source of retkoop-tools for the CI jobs (`pip install` argument), validated."""
    outils = (outils or "").strip()
    if not outils or _TOOLS_FORBIDDEN & set(outils):
        raise StoreError(
            f"« {outils} » : donnez d'où la CI installe retkoop-tools, tel que pip install le "
            "comprend, sans guillemets, $, accolades ni barre oblique inverse (par exemple "
            "git+https://forge.example.org/occe/retkoop-tools.git@v0.1.0).")
    return outils


def ci_definition(template: str, outils: str | None) -> str:
    """A CI template with the tools' source `outils` as the default of RETKOOP_TOOLS.

    The forge's own variable RETKOOP_TOOLS, when set, still wins over this default.
    """
    if not outils:
        return template
    outils = check_outils(outils)
    found = [key for key in _TOOLS_DEFAULTS if key in template]
    if len(found) != 1 or template.count(found[0]) != 1:
        raise StoreError("Modèle de CI sans valeur par défaut unique de RETKOOP_TOOLS.")
    return template.replace(found[0], _TOOLS_DEFAULTS[found[0]].format(outils))


def init_ad_repo(dest: Path, numero: str, nom: str, author: Author, outils: str | None = None) -> Path:
    """Create the AD repository in `dest` (a new or empty folder) and commit it.

    `outils` is where the forges' CI jobs install retkoop-tools from (see `ci_definition`).
    """
    dest = Path(dest)
    if outils:
        check_outils(outils)
    numero = (numero or "").strip()
    if not re.fullmatch(r"[0-9]{2,3}[AB]?", numero):
        raise StoreError(f"« {numero} » n'est pas un numéro d'AD (deux ou trois chiffres, ex. 91, 974, 2A).")
    if not (nom or "").strip():
        raise StoreError("Donnez le nom de l'AD (--nom \"OCCE de l'Essonne\").")
    if dest.exists() and any(dest.iterdir()):
        raise StoreError(f"{dest} existe et n'est pas vide : choisissez un nouveau dossier.")
    dest.mkdir(parents=True, exist_ok=True)
    git(dest, "init", "-q", "-b", "main")
    header = f"# AD {numero} — identité, échéances et règles propres à l'AD (retkoop-tools)\n"
    atomic_write(dest / AD_FILENAME, header + yaml.safe_dump(ad_config(numero, nom.strip()),
                                                             allow_unicode=True, sort_keys=False))
    atomic_write(dest / ".gitignore", GITIGNORE)
    atomic_write(dest / LEDGERS_DIRNAME / ".gitkeep", "")
    install_hooks(dest)
    from retkoop_tools.ci import TARGETS

    ci = importlib.resources.files("retkoop_tools.ci")
    for name, target in TARGETS.items():
        atomic_write(dest / target, ci_definition(ci.joinpath(name).read_text(encoding="utf-8"), outils))
    store = Store(dest)
    with store.locked():
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "--no-verify", "-m", f"Création du dépôt de l'AD {numero} : {nom.strip()}",
            env={"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.ident,
                 "GIT_COMMITTER_NAME": store.committer.name, "GIT_COMMITTER_EMAIL": store.committer.ident})
    return dest
