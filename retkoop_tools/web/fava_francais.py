"""Fava in French where its own French stops: a catalog of ours, and its texts routed through it.

Fava 1.30.16 ships a French gettext catalog (`fava/translations/fr`). Its templates read it
through Flask-Babel, and its frontend through the `#translations` JSON of every page (its
`_()`). The catalog lacks a few messages and says some in words a teacher would not follow;
and the frontend writes some texts without asking it: the Journal's filter buttons, the entry
types of Statistiques, the Comptes columns (query aliases), "(Last entry: …)", the code
editor's "Unfold line", month names and "3.50k" on charts (d3's English locale).

Every Fava app of the portal gets (`use_french`):
- `MESSAGES` merged over Fava's French catalog, on the server and in the frontend alike;
- `TEMPLATE_SUBSTITUTIONS` in Fava's templates (applied by `fava_templates.py`) and
  `SCRIPT_SUBSTITUTIONS` in its scripts (served patched here): exact replacements that route
  those texts through the catalog, set the French locale of d3 and `<html lang="fr">`.
A replacement whose text Fava no longer contains fails the app's creation
(`FavaTemplateChangedError`), and `tests/web/test_fava_french.py` fails when Fava gains a
message neither catalog translates, or when a message here is no longer one of Fava's: an
upgrade of Fava cannot silently bring English back.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, Response
from flask_babel import Domain, get_locale

FAVA_STATIC = Path(__import__("fava").__file__).parent / "static"

#: msgid → French. Fava's own messages (missing from, or unclear in, its French catalog),
#: then the texts our substitutions route through the catalog.
MESSAGES: dict[str, str] = {
    # Missing from Fava's French catalog.
    "Duplicate": "Dupliquer",
    "Show keyboard shortcuts": "Afficher les raccourcis clavier",
    "System": "Système",
    "Dark": "Sombre",
    "Light": "Clair",
    # In Fava's catalog, but in English, wrong or unclear for a teacher.
    "Treemap": "Rectangles",
    "Sunburst": "Anneaux",
    "Icicle": "Partition",
    "Transaction": "Opération",
    "Toggle %(type)s entries": "Afficher ou masquer : %(type)s",
    "Cleared transactions": "Opérations validées (*)",
    "Pending transactions": "Opérations à vérifier (!)",
    "Other transactions": "Autres opérations",
    "Toggle metadata": "Afficher ou masquer les métadonnées",
    "Toggle postings": "Afficher ou masquer les affectations",
    "Balances before entry": "Soldes avant l'opération",
    "Balances after entry": "Soldes après l'opération",
    "Event: %(type)s": "Événement : %(type)s",
    "Net Profit": "Résultat",
    "Last Entry": "Dernière opération",
    "# Entries": "Nombre",
    "Entries per Type": "Écritures par type",
    "Toggle Comment (selection)": "Commenter ou décommenter (sélection)",
    "Hold Shift while clicking to expand all children.\nHold Ctrl or Cmd while clicking to expand one level.":
        "Maj + clic : développer tous les sous-comptes.\nCtrl (ou Cmd) + clic : développer un niveau.",
    "Documents with a #discovered tag": "Documents trouvés dans le dossier (#discovered)",
    "Documents with a #linked tag": "Documents liés à une opération (#linked)",
    "Delete this file?": "Supprimer ce fichier ?",
    # Entry types: the Journal's filter buttons and type column, the types of Statistiques.
    "Open": "Ouverture",
    "Close": "Clôture",
    "Balance": "Solde",
    "Note": "Note",
    "Document": "Document",
    "Pad": "Ajustement",
    "Query": "Requête",
    "Custom": "Divers",
    "Commodity": "Valeur",
    "Event": "Événement",
    "Price": "Prix",
    # The Journal (server side).
    "from": "depuis",
    "accumulated": "cumulé",
    # Column names of Fava's query tables (Comptes, Statistiques).
    "account": "Compte",
    "units": "Solde",
    "cost": "Coût",
    "price": "Prix",
    "book_value": "Valeur comptable",
    "market_value": "Valeur de marché",
    "unrealized_profit_pct": "Plus-value latente (%)",
    "acquisition_date": "Date d'acquisition",
    "average_cost": "Coût moyen",
    "count(account)": "Nombre de lignes",
    # The code editor (CodeMirror's phrases).
    "Fold line": "Replier la ligne",
    "Unfold line": "Déplier la ligne",
    "folded code": "code replié",
    "unfold": "déplier",
    "Folded lines": "Lignes repliées",
    "Unfolded lines": "Lignes dépliées",
    "to": "à",
    "Find": "Rechercher",
    "Replace": "Remplacer",
    "next": "suivant",
    "previous": "précédent",
    "all": "tout",
    "match case": "respecter la casse",
    "regexp": "expression régulière",
    "by word": "mot entier",
    "replace": "remplacer",
    "replace all": "tout remplacer",
    "close": "fermer",
    "current match": "résultat courant",
    "on line": "à la ligne",
    "replaced match on line $": "remplacé à la ligne $",
    "replaced $ matches": "$ remplacements",
    "Go to line": "Aller à la ligne",
    "go": "aller",
    "Completions": "Suggestions",
    "Diagnostics": "Diagnostics",
    "No diagnostics": "Aucun diagnostic",
    "Control character": "Caractère de contrôle",
    "Selection deleted": "Sélection supprimée",
}

#: Fava's messages that read the same in French: not missing from any catalog.
SAME_IN_FRENCH = frozenset({
    "Date", "Description", "Documents", "F", "Journal", "Note", "Options", "Source", "Total", "Type",
    "Document", "Diagnostics",
})

#: Per Fava template: (text Fava must contain exactly once, its replacement).
TEMPLATE_SUBSTITUTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "_layout.html": (
        ("<html>", '<html lang="fr">'),
        # The page's content is its main landmark (Fava's sidebar and header are not).
        ("    <article>\n", '    <article role="main">\n'),
    ),
    "_journal_table.html": (
        ("""{% set short_type = {
   'balance': 'Bal',
   'close': 'Close',
   'document': 'Doc',
   'note': 'Note',
   'open': 'Open',
} %}""",
         """{% set short_type = {
   'balance': _('Balance'),
   'close': _('Close'),
   'commodity': _('Commodity'),
   'custom': _('Custom'),
   'document': _('Document'),
   'event': _('Event'),
   'note': _('Note'),
   'open': _('Open'),
   'pad': _('Pad'),
   'price': _('Price'),
   'query': _('Query'),
} %}"""),
        # The metadata badges: the whole key ("piece", "mode"), not its first two letters.
        ("{{ key[:2] }}</span>", "{{ key }}</span>"),
        ("&nbsp;from&nbsp;", "&nbsp;{{ _('from') }}&nbsp;"),
        ("            accumulated <span", "            {{ _('accumulated') }} <span"),
    ),
}

#: The short notation of chart axes: "3,5 k" rather than d3's "3.50k".
_SHORT_FORMAT = ('new Intl.NumberFormat("fr-FR", { notation: "compact", maximumSignificantDigits: 3 })'
                 '.format')
#: CodeMirror asks its `phrases` facet, which Fava leaves empty: ask Fava's catalog of the page.
_PHRASE_LOOKUP = """phrase(phrase2, ...insert2) {
    const rk_fr = globalThis.__retkoop_translations ??= (() => {
      try { return JSON.parse(document.getElementById("translations")?.textContent ?? "{}"); } catch { return {}; }
    })();
    if (Object.prototype.hasOwnProperty.call(rk_fr, phrase2)) phrase2 = rk_fr[phrase2];
"""

#: Added at the end of Fava's stylesheet: contrasts and links that axe-core accepts (WCAG AA).
FAVA_CSS = """
/* retkoop-tools (fava_francais.py): contrasts of at least 4.5:1, links told apart by more than colour. */
:root {
  --header-placeholder-color: #dce9f2;
  --header-placeholder-background: #00466f;
}
header input[role="combobox"]:placeholder-shown {
  color: #fff;
}
.journal {
  --journal-metadata: #3d6a99;
  --journal-tag: #2a6496;
  --journal-link: #4a5f6e;
  --journal-metadata-indicator: #1f3440;
}
.journal .description a,
.journal .metadata a,
article h2 a,
article h3 a {
  text-decoration: underline;
  text-underline-offset: 2px;
}
"""

#: Per file of `fava/static`: (text Fava must contain exactly once, its replacement).
SCRIPT_SUBSTITUTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "app.js": tuple(
        (f'["{kind}", "{label}", null, "s {key}"]', f'["{kind}", _("{label}"), null, "s {key}"]')
        for kind, label, key in (("open", "Open", "o"), ("close", "Close", "c"),
                                 ("transaction", "Transaction", "t"), ("balance", "Balance", "b"),
                                 ("note", "Note", "n"), ("document", "Document", "d"), ("pad", "Pad", "p"),
                                 ("query", "Query", "q"), ("custom", "Custom", "C"))
    ) + (
        # Statistiques: the entry types.
        ("set_text(text2, type());\n      set_text(text_1, count());",
         "set_text(text2, _(type()));\n      set_text(text_1, count());"),
        # Table headers (query columns such as the Comptes page's `units`, `book_value`).
        ("set_text(text2, $$props.column.name);", "set_text(text2, _($$props.column.name));"),
        ("template_effect(() => set_text(text_1, $$props.column.name));",
         "template_effect(() => set_text(text_1, _($$props.column.name)));"),
        ('(Last entry: <a class="svelte-1y1rsog"> </a>)',
         '(Dernière opération : <a class="svelte-1y1rsog"> </a>)'),
        ("[() => day(get2(last).date)]", '[() => utcFormat("%d/%m/%Y")(get2(last).date)]'),
        ('title="The last entry is a passing balance check."',
         'title="La dernière opération est un contrôle de solde juste."'),
        ("<p>Loading entry slice...</p>", "<p>Chargement de l'opération…</p>"),
        ("<p>Loading entry context...</p>", "<p>Chargement de l'opération…</p>"),
        ("<p>No importers configured. See <a>Help (Import)</a> for more information.</p>",
         "<p>Aucun import de relevé n'est configuré pour cette coopérative : prévenez l'AD.</p>"),
        ('title="Beancount data root directory\nShift-Click to expand/collapse immediate directories\n'
         'Ctrl-/Cmd-/Meta-Click to expand/collapse all directories."',
         'title="Dossier des livres\nMaj + clic : développer ou réduire les dossiers du premier niveau\n'
         'Ctrl (ou Cmd) + clic : développer ou réduire tous les dossiers."'),
        ('var short_format = format(".3s");', f"var short_format = {_SHORT_FORMAT};"),
        # A combobox is named by a label, not by its text: the chart's "Coût", "Mensuel" buttons.
        ('      set_text(text2, $0);\n      set_attribute(ul_1, "hidden", get2(hidden));',
         '      set_text(text2, $0);\n      set_attribute(button, "aria-label", $0);\n'
         '      set_attribute(ul_1, "hidden", get2(hidden));'),
        # The stacked bars of a chart link to their account: named after it.
        ('template_effect(($02) => set_attribute(a_1, "href", $02), [() => $url_for_account()(get2(account))]);',
         'template_effect(($02) => { set_attribute(a_1, "href", $02); set_attribute(a_1, "aria-label", get2(account)); },'
         ' [() => $url_for_account()(get2(account))]);'),
        # The rectangles of a treemap link to their account (their text hides when they are small).
        ('        set_attribute(a, "href", $2);\n        set_attribute(text2, "x", (get2(d).x1 - get2(d).x0) / 2);',
         '        set_attribute(a, "href", $2);\n        set_attribute(a, "aria-label", get2(account));\n'
         '        set_attribute(text2, "x", (get2(d).x1 - get2(d).x0) / 2);'),
        ('<form><h2> </h2> <input multiple="" type="file"/>',
         '<form><h2> </h2> <input multiple="" type="file" aria-label="Relevés à importer"/>'),
        # A save the portal refuses: its French message as it is (« Modification refusée : … »).
        ("notify_err(error, (err2) => `Saving failed: ${err2.message}`);",
         "notify_err(error, (err2) => err2.message);"),
        ("notify_err(error, (err2) => `Deleting failed: ${err2.message}`);",
         "notify_err(error, (err2) => `Suppression impossible : ${err2.message}`);"),
        ("notify_err(error, (err2) => `Uploading ${name} failed: ${err2.message}`);",
         "notify_err(error, (err2) => `Envoi de ${name} impossible : ${err2.message}`);"),
    ),
    "chunk-TVG7KHLA.js": (
        # The entry form's save refused by the portal: its French message as it is.
        ("    notify_err(error, (e) => `Saving failed: ${e.message}`);\n    throw error;",
         "    notify_err(error, (e) => e.message);\n    throw error;"),
        # An error answer is told by its message, in French, without « HTTP 400 - » before it.
        ("message != null ? `HTTP ${status.toString()} - ${message}` : `HTTP ${status.toString()}`",
         "message != null ? message : `Erreur ${status.toString()} du serveur : réessayez, et prévenez l'AD si "
         "elle revient.`"),
        # d3-format: decimal comma, thin space between thousands.
        ('defaultLocale({\n  thousands: ",",\n  grouping: [3],\n  currency: ["$", ""]\n});',
         'defaultLocale({\n  decimal: ",",\n  thousands: "\\u00a0",\n  grouping: [3],\n'
         '  currency: ["", "\\u00a0€"]\n});'),
        # d3-time-format: French days and months (charts' axes, "janv. 2026").
        ('''defaultLocale2({
  dateTime: "%x, %X",
  date: "%-m/%-d/%Y",
  time: "%-I:%M:%S %p",
  periods: ["AM", "PM"],
  days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
  shortDays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
  months: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
  shortMonths: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
});''',
         '''defaultLocale2({
  dateTime: "%A %e %B %Y à %X",
  date: "%d/%m/%Y",
  time: "%H:%M:%S",
  periods: ["", ""],
  days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
  shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
  months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
});'''),
        # Chart labels by quarter: "T1 2026" rather than "2026Q1".
        ('quarter: (date2) => `${date2.getUTCFullYear().toString()}Q${(Math.floor(date2.getUTCMonth() / 3) + 1)'
         '.toString()}`,\n  month: utcFormat("%b %Y"),',
         'quarter: (date2) => `T${(Math.floor(date2.getUTCMonth() / 3) + 1).toString()} '
         '${date2.getUTCFullYear().toString()}`,\n  month: utcFormat("%b %Y"),'),
    ),
    "chunk-RCGH5JYI.js": (
        ("phrase(phrase2, ...insert2) {\n", _PHRASE_LOOKUP),
    ),
    "app.css": (
        # The Journal's type column holds a word ("Ouverture", "Solde"), not three letters.
        (".journal .flag {\n  width: 3rem;\n}", ".journal .flag {\n  width: 5rem;\n}"),
    ),
}

_MIMETYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def substitute(name: str, source: str, substitutions: tuple[tuple[str, str], ...]) -> str:
    """`source` with each (old, new) applied; each `old` must occur exactly once."""
    from retkoop_tools.web.fava_templates import FavaTemplateChangedError

    for old, new in substitutions:
        count = source.count(old)
        if count != 1:
            raise FavaTemplateChangedError(name, old, count)
        source = source.replace(old, new)
    return source


@functools.cache
def patched_static(name: str) -> bytes:
    """Fava's static file `name` with our substitutions (built once per process)."""
    source = substitute(name, (FAVA_STATIC / name).read_text(encoding="utf-8"), SCRIPT_SUBSTITUTIONS[name])
    if name == "app.css":
        source += FAVA_CSS
    return source.encode("utf-8")


class FrenchDomain(Domain):
    """Fava's translations, with `MESSAGES` over its French catalog."""

    def get_translations(self):
        translations = super().get_translations()
        locale = get_locale()
        if locale is not None and locale.language == "fr" and not getattr(translations, "retkoop", False):
            translations._catalog.update(MESSAGES)  # noqa: SLF001 - a gettext catalog is a dict
            translations.retkoop = True
        return translations


def use_french(app: Flask) -> None:
    """Give a Fava app our catalog and its patched scripts (built now: a changed Fava fails here)."""
    for name in SCRIPT_SUBSTITUTIONS:
        patched_static(name)
    config = app.extensions["babel"]
    babel = config.instance
    if not isinstance(babel.__dict__.get("domain_instance"), FrenchDomain):
        babel.domain_instance = FrenchDomain(domain=config.default_domain)  # a cached_property
    fava_static = app.view_functions["static"]
    if getattr(fava_static, "retkoop", False):
        return

    def static(filename: str) -> Response:
        if filename in SCRIPT_SUBSTITUTIONS:
            return Response(patched_static(filename), mimetype=_MIMETYPES[Path(filename).suffix])
        return fava_static(filename=filename)

    static.retkoop = True  # type: ignore[attr-defined]
    app.view_functions["static"] = static
