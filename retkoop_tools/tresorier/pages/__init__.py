"""The treasurer's pages in Fava's sidebar (Fava extensions), in French.

Each page is its own module, declared by one `custom "fava-extension"` line of the coop's
`coop.beancount` (the order of the lines is the order in the sidebar). The pages hold no
logic of their own: they call `retkoop_tools.tresorier`, which the tests call too. Their
HTML lives in `templates/`, their behaviour in the one script `Tresorier.js`.
"""

from __future__ import annotations

#: The modules to declare, in sidebar order.
MODULES = (
    "retkoop_tools.tresorier.pages.tableau",
    "retkoop_tools.tresorier.pages.saisie",
    "retkoop_tools.tresorier.pages.cahier",
    "retkoop_tools.tresorier.pages.pointage",
    "retkoop_tools.tresorier.pages.caisse",
    "retkoop_tools.tresorier.pages.inventaire",
    "retkoop_tools.tresorier.pages.projets",
    "retkoop_tools.tresorier.pages.fin",
    "retkoop_tools.tresorier.pages.adhesion",
    "retkoop_tools.tresorier.pages.reprise",
    "retkoop_tools.tresorier.pages.demandes",
    "retkoop_tools.tresorier.pages.guide",
    "retkoop_tools.tresorier.pages.script",
)

#: Their extension names: the portal lets these write through the store themselves.
NAMES = ("TableauDeBord", "Saisie", "Cahier", "Pointage", "ArreteDeCaisse", "Inventaire", "EtatDesActions",
         "FinExercice", "Adhesion", "Reprise", "Demandes", "Guide", "Tresorier")

#: Set in the request's environ when a page committed through the store itself (the portal
#: then has nothing left to capture).
COMMITTED = "retkoop.committed"

#: Fava's default page for a coop: the dashboard.
DEFAULT_PAGE = "extension/TableauDeBord/"
