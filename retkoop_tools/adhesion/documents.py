"""The adhésion's documents: bulletin with the engagement du mandataire, and the attestation."""

from __future__ import annotations

import datetime

from retkoop_tools.adhesion.model import (
    DECLAREE,
    AdhesionError,
    Declaration,
    compute,
    tarifs,
)
from retkoop_tools.documents.render import html_to_pdf, render_html
from retkoop_tools.documents.source import ad_identity


def _context(ad_config: dict, coop: dict, declaration: Declaration) -> dict:
    return {"ad": ad_identity(ad_config), "coop": coop, "d": declaration, "genere_le": datetime.date.today()}


def bulletin(ad_config: dict, coop: dict, declaration: Declaration, *, html: bool = False) -> str | bytes:
    rates = tarifs(ad_config, declaration.exercice)
    page = render_html("adhesion.html", t=rates, montants=compute(declaration, rates),
                       **_context(ad_config, coop, declaration))
    return page if html else html_to_pdf(page)


def attestation(ad_config: dict, coop: dict, declaration: Declaration, *, html: bool = False) -> str | bytes:
    if declaration.statut == DECLAREE:
        raise AdhesionError("L'attestation se télécharge une fois l'adhésion validée par l'AD.")
    validated = next((e.le for e in declaration.historique if e.action == "validation"), None)
    page = render_html("attestation.html", validee_le=validated, **_context(ad_config, coop, declaration))
    return page if html else html_to_pdf(page)
