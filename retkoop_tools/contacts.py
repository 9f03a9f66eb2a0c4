"""The AD's contacts, shown to teachers (the guide, the login page): `contacts:` in `ad.yaml`.

    contacts:
      - nom: Secrétariat de l'AD
        pour: comptes et mots de passe, changement de mandataire
        telephone: 01 60 00 00 00
        email: secretariat@ad91.example.org
        horaires: du lundi au vendredi, 9 h – 12 h et 14 h – 17 h

Each contact has a `nom` and a phone number or an e-mail address (or both); `pour` (what to
ask them) and `horaires` are optional. Without `contacts:`, the AD's own `email:` (and its
`nom`) stands for the contact. A mistake raises InvalidContactsError with a French message
that names the contact and the key, so the AD fixes `ad.yaml`; the values are shown as text,
never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from retkoop_tools.policy.text import MARKUP

KEYS = ("nom", "pour", "telephone", "email", "horaires")
MAX_TEXT = 200
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE_CHARS = re.compile(r"[\s.\-\u00a0\u202f()/]")


class InvalidContactsError(ValueError):
    """`contacts:` in ad.yaml is not as documented; the message says where, in French."""


@dataclass(frozen=True)
class Contact:
    nom: str
    pour: str = ""
    telephone: str = ""  # as shown: 01 60 00 00 00
    email: str = ""
    horaires: str = ""

    @property
    def telephone_uri(self) -> str:
        """`tel:0160000000`, for a link a phone dials."""
        return "tel:" + re.sub(r"\s", "", self.telephone) if self.telephone else ""


def _text(value: Any, where: str, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InvalidContactsError(f"{where}, « {key} » : écrivez un texte, pas une liste ni un tableau.")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise InvalidContactsError(f"{where}, « {key} » : {len(text)} caractères, {MAX_TEXT} au plus.")
    if MARKUP.search(text) or _CONTROL.search(text):
        raise InvalidContactsError(f"{where}, « {key} » : « < », « > » et les caractères de contrôle sont "
                                   "refusés (une page les lirait comme du code) ; écrivez-le autrement.")
    return text


def normalise_phone(value: Any, where: str = "le téléphone") -> str:
    """A French phone number as `01 60 00 00 00`, from `0160000000`, `01.60.00.00.00`, `+33 1 60 00 00 00`…"""
    if isinstance(value, int) and not isinstance(value, bool):
        raise InvalidContactsError(f"{where} : écrivez le numéro entre guillemets (« telephone: \"01 60 00 00 00\" ») ; "
                                   "sans eux, le zéro du début se perd.")
    text = str(value or "").strip()
    digits = _PHONE_CHARS.sub("", text)
    if digits.startswith("+33"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0033"):
        digits = "0" + digits[4:].removeprefix("0")
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise InvalidContactsError(f"{where} : « {text} » n'est pas un numéro de téléphone français (dix chiffres, "
                                   "comme 01 60 00 00 00 ou +33 1 60 00 00 00).")
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def check_email(value: Any, where: str = "l'adresse e-mail") -> str:
    text = str(value or "").strip()
    if not _EMAIL.match(text) or len(text) > MAX_TEXT:
        raise InvalidContactsError(f"{where} : « {text} » n'est pas une adresse e-mail (comme ad91@example.org).")
    return text


def ad_contacts(config: dict) -> list[Contact]:
    """The contacts of the AD from its `ad.yaml` (`config`); InvalidContactsError when miswritten."""
    config = config or {}
    raw = config.get("contacts")
    if raw is None:
        email = config.get("email")
        if not email:
            return []
        return [Contact(nom=_text(config.get("nom"), "ad.yaml", "nom") or "L'AD",
                        email=check_email(email, "ad.yaml, « email »"))]
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidContactsError("ad.yaml, « contacts » : attendu une liste de contacts, chacun commençant par "
                                   "« - nom: … » (voir le README, « Les coordonnées de l'AD »).")
    contacts = []
    for index, item in enumerate(raw, 1):
        where = f"ad.yaml, contact n° {index}"
        if not isinstance(item, dict):
            raise InvalidContactsError(f"{where} : attendu « nom: … », « telephone: … », « email: … » sur des lignes "
                                       "séparées, pas un texte seul.")
        unknown = [str(k) for k in item if k not in KEYS]
        if unknown:
            raise InvalidContactsError(f"{where} : « {unknown[0]} » n'est pas une clé connue ; les clés sont "
                                       f"{', '.join(KEYS)}.")
        nom = _text(item.get("nom"), where, "nom")
        if not nom:
            raise InvalidContactsError(f"{where} : il manque « nom » (par exemple « Secrétariat de l'AD »).")
        where = f"ad.yaml, contact « {nom} »"
        telephone = normalise_phone(item["telephone"], f"{where}, « telephone »") if item.get("telephone") else ""
        email = check_email(item["email"], f"{where}, « email »") if item.get("email") else ""
        if not telephone and not email:
            raise InvalidContactsError(f"{where} : indiquez un « telephone » ou un « email » (ou les deux), "
                                       "sinon personne ne peut le joindre.")
        contacts.append(Contact(nom=nom, pour=_text(item.get("pour"), where, "pour"), telephone=telephone,
                                email=email, horaires=_text(item.get("horaires"), where, "horaires")))
    return contacts


_cache: dict[str, tuple[bytes, list[Contact], str]] = {}


def contacts_of(ad_root) -> tuple[list[Contact], str]:
    """The contacts of the AD at `ad_root` and, when ad.yaml is miswritten, the French error (then
    the AD's `email:` alone, if it is valid). Read again whenever ad.yaml changes."""
    from pathlib import Path

    import yaml

    path = Path(ad_root) / "ad.yaml"
    try:
        raw = path.read_bytes()  # a few hundred bytes: compared whole, never stale
    except OSError:
        return [], ""
    cached = _cache.get(str(path))
    if cached and cached[0] == raw:
        return cached[1], cached[2]
    config: dict = {}
    try:
        loaded = yaml.safe_load(raw.decode("utf-8")) or {}
        config = loaded if isinstance(loaded, dict) else {}
        contacts, error = ad_contacts(config), ""
    except InvalidContactsError as exc:
        error = str(exc)
        try:
            contacts = ad_contacts({"nom": config.get("nom"), "email": config.get("email")})
        except InvalidContactsError:
            contacts = []
    except (UnicodeDecodeError, yaml.YAMLError):
        contacts, error = [], "ad.yaml est illisible."
    _cache[str(path)] = (raw, contacts, error)
    return contacts, error


def contacts_html(contacts: list[Contact]) -> str:
    """The contacts as an HTML list (every value escaped), for the login page and the guide."""
    from markupsafe import Markup, escape

    if not contacts:
        return Markup("<p>Adressez-vous à votre AD (association départementale de l'OCCE).</p>")
    items = []
    for c in contacts:
        parts = [f"<strong>{escape(c.nom)}</strong>"]
        if c.pour:
            parts.append(f" <span class=\"rk-contact-pour\">({escape(c.pour)})</span>")
        lines = []
        if c.telephone:
            lines.append(f'téléphone : <a href="{escape(c.telephone_uri)}">{escape(c.telephone)}</a>')
        if c.email:
            lines.append(f'e-mail : <a href="mailto:{escape(c.email)}">{escape(c.email)}</a>')
        if c.horaires:
            lines.append(f"horaires : {escape(c.horaires)}")
        items.append("<li>" + "".join(parts) + "<br>" + "<br>".join(lines) + "</li>")
    return Markup('<ul class="rk-contacts">' + "".join(items) + "</ul>")
