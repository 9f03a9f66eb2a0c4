"""The demo portal: the demo AD in a git repository of its own, and demo accounts.

`demo.sh` builds the demo for today (`prepare_present_demo`); tests copy the committed
snapshot (`prepare_demo_ad`). Either way the project's checkout stays out of the portal's
commits. Accounts get random passwords (never derived from public data), written once to the
instance folder and printed at each start.
"""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

from retkoop_tools.ad import AD_FILENAME, LEDGERS_DIRNAME, load_ad
from retkoop_tools.demo.present import DemoError, build_demo, built_for, demo_exercices
from retkoop_tools.ledger.layout import read_identity
from retkoop_tools.store.gitcmd import git
from retkoop_tools.store.init import GITIGNORE, install_hooks
from retkoop_tools.web.accounts import Accounts, one_time_password

LOGINS_FILENAME = "identifiants-demo.txt"


def prepare_demo_ad(source: Path, target: Path) -> Path:
    """A git repository holding the demo AD of `source` (made once, then reused)."""
    if (target / ".git").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    git(target, "init", "-q", "-b", "main")
    shutil.copy2(source / AD_FILENAME, target / AD_FILENAME)
    shutil.copytree(source / LEDGERS_DIRNAME, target / LEDGERS_DIRNAME)
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    install_hooks(target)
    git(target, "add", "-A")
    git(target, "commit", "-q", "--no-verify", "-m", "AD de démonstration",
        env={"GIT_AUTHOR_NAME": "Démonstration", "GIT_AUTHOR_EMAIL": "demo@retkoop.invalid",
             "GIT_COMMITTER_NAME": "retkoop", "GIT_COMMITTER_EMAIL": "retkoop@localhost"})
    return target


def prepare_present_demo(target: Path, instance: Path, day: datetime.date) -> tuple[Path, bool]:
    """The demo AD built for `day` in `target` (a git repository), and whether it was built now.

    A demo built for that day is reused (with what was done in it since); one built for
    another day, or a copy of the snapshot, is replaced, and so are its demo accounts."""
    if (target / ".git").exists() and built_for(target) == day:
        return target, False
    if target.exists() and any(target.iterdir()) and not (target / AD_FILENAME).exists():
        raise DemoError(f"{target} n'est pas une AD de démonstration : choisissez un autre dossier.")
    for folder in (target, instance):
        if folder.exists():
            shutil.rmtree(folder)
    build_demo(target, day)
    return target, True


def demo_logins(ad_root: Path, instance: Path, exercice: str | None = None) -> str:
    """The demo accounts' logins and passwords (created with random passwords the first time);
    the vérificateur reads `exercice` (default: the one before the demo's date, or today's)."""
    path = instance / LOGINS_FILENAME
    if path.exists():
        return path.read_text(encoding="utf-8")
    accounts = Accounts(instance / "comptes.sqlite")
    ad = load_ad(ad_root)
    uais = ad.uais()
    lines = ["Comptes de démonstration (mots de passe tirés au hasard à la création) :", ""]

    def add(login: str, role: str, name: str, label: str, **kwargs) -> None:
        password = one_time_password()
        accounts.add(login, role, name=name, password=password, actor="démonstration", **kwargs)
        lines.append(f"  {label:48} {login:24} {password}")

    add("admin@ad91.demo", "ad_admin", "Administrateur AD 91", "Administrateur de l'AD")
    add("equipe@ad91.demo", "ad_staff", "Comptable AD 91", "Équipe de l'AD (toutes les coopératives)")
    for uai in uais:
        add(uai, "mandataire", f"Mandataire {uai}", f"Mandataire : {read_identity(ad.coop_dir(uai)).nom}")
    if exercice is None:
        exercice = str(demo_exercices(built_for(ad_root) or datetime.date.today())[0])
    add("verificateur@ad91.demo", "verificateur", "Parent vérificateur",
        f"Vérificateur de {uais[0]}, exercice {exercice}", coops=(uais[0],), exercice=exercice)
    text = "\n".join(lines) + "\n"
    instance.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return text
