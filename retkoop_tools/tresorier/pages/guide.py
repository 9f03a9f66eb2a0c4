"""Guide du mandataire: how to keep the coop's books with this portal, for a teacher.

It replaces Fava's help (English, about Fava) for the portal's users: Fava's « Aide » link and
its help pages lead here. Each question opens its answer in place and links to the page of
this coop that does it; the screenshots are the real pages of the demo AD, made again by
`scripts/guide_captures.py`. The AD's contacts come from `ad.yaml` (`contacts:`).
"""

from __future__ import annotations

import datetime
from importlib import resources

from fava.ext import FavaExtensionBase

from retkoop_tools.ad import echeance
from retkoop_tools.contacts import contacts_html, contacts_of
from retkoop_tools.tresorier.calendrier import MONTHS
from retkoop_tools.tresorier.pages import _base

#: The screenshots, in `retkoop_tools/web/static/guide/`, served by the portal under /statique/.
SCREENSHOTS = ("tableau", "saisie", "cahier", "pointage", "caisse", "fin", "adhesion", "demandes", "reprise")
SCREENSHOT_URL = "/statique/guide/{}.png"

#: The sections, in the order of the seed's guide (AD 09's Retkoop guide).
SECTIONS = (
    ("tenir", "Comment tenir la comptabilité de sa coopé ?"),
    ("adhesion", "Comment établir son adhésion en début d'année ?"),
    ("mandataire", "Comment signaler à votre AD le changement de mandataire ?"),
    ("nouveautes", "Les nouveautés"),
    ("essentiel", "Les points essentiels à savoir"),
)


def day_month(config: dict, name: str) -> str:
    """The AD's deadline `name` as « 30 septembre », or '' when ad.yaml has none."""
    due = echeance(config, name, datetime.date(2000, 1, 1))
    return f"{due.day}{'er' if due.day == 1 else ''} {MONTHS[due.month - 1]}" if due else ""


def screenshots() -> dict[str, str]:
    folder = resources.files("retkoop_tools.web").joinpath("static", "guide")
    return {name: SCREENSHOT_URL.format(name) for name in SCREENSHOTS if folder.joinpath(f"{name}.png").is_file()}


class Guide(_base.Page, FavaExtensionBase):
    report_title = "Guide du mandataire"

    def context(self) -> dict:
        config = self.ad_config()
        contacts, error = contacts_of(self.ad_root)
        user = self.user
        books = self.books()
        return {
            "sections": SECTIONS,
            "urls": {name: self.page_url(name) for name in (
                "TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse", "FinExercice", "Adhesion",
                "Demandes", "Reprise")},
            "crf": day_month(config, "crf"),
            "adhesion": day_month(config, "adhesion"),
            "ad_nom": str(config.get("nom") or "l'AD"),
            "contacts": contacts_html(contacts),
            "contacts_error": error if user is None or user.is_ad else "",
            "images": screenshots(),
            "numbering": books.numbering,
            "uai": self.uai,
        }
