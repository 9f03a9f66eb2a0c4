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


def init_ad_repo(dest: Path, numero: str, nom: str, author: Author) -> Path:
    """Create the AD repository in `dest` (a new or empty folder) and commit it."""
    dest = Path(dest)
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
        atomic_write(dest / target, ci.joinpath(name).read_text(encoding="utf-8"))
    store = Store(dest)
    with store.locked():
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "--no-verify", "-m", f"Création du dépôt de l'AD {numero} : {nom.strip()}",
            env={"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.ident,
                 "GIT_COMMITTER_NAME": store.committer.name, "GIT_COMMITTER_EMAIL": store.committer.ident})
    return dest
