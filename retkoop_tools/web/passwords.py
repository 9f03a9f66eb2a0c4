"""The password policy: long enough, not common, not derived from public data (the UAI…)."""

from __future__ import annotations

import importlib.resources
import re
from functools import lru_cache

MIN_LENGTH = 10
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "azertyuiop", "qwertyuiop", "qsdfghjklm",
              "wxcvbn", "asdfghjkl")


class PasswordPolicyError(ValueError):
    """The password is refused; the message says why, in French."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = importlib.resources.files("retkoop_tools.web").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _core(password: str) -> str:
    """The password without the digits and signs people add around a word."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def check_password_policy(password: str, login: str = "", coops: tuple[str, ...] = ()) -> None:
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Le mot de passe doit faire au moins {MIN_LENGTH} caractères.")
    if lowered in common_passwords() or _core(password) in common_passwords():
        raise PasswordPolicyError("Ce mot de passe est trop courant : choisissez-en un autre "
                                  "(une phrase de quelques mots, par exemple).")
    if len(set(lowered)) <= 3 or any(lowered in seq or _core(password) and _core(password) in seq
                                     for seq in _SEQUENCES):
        raise PasswordPolicyError("Ce mot de passe est trop simple (suite ou répétition de caractères).")
    public = {login.lower(), login.split("@")[0].lower()} if login else set()
    for uai in coops:
        public |= {uai.lower(), uai[:7], uai[-5:].lower(), "coop" + uai[-5:].lower()}
    for piece in public:
        if len(piece) >= 4 and piece in lowered:
            raise PasswordPolicyError("Le mot de passe ne doit pas reprendre l'identifiant ni le numéro "
                                      "UAI de l'école : ce sont des informations publiques.")
