"""The OCCE rules as Beancount plugins, one rule family per module.

A coop's `coop.beancount` declares them:

    plugin "retkoop_plugins.plan_comptable"
    plugin "retkoop_plugins.exercice"
    plugin "retkoop_plugins.tresorerie"
    plugin "retkoop_plugins.pointage"
    plugin "retkoop_plugins.arrete_caisse"
    plugin "retkoop_plugins.soldes"
    …

Every error names the offending entry's file and line, with a message in French. Some rules'
reports are avertissements rather than erreurs, per the AD's settings (`regles:` in ad.yaml,
`retkoop_tools.checks.regles`): their class carries `level = "avertissement"`.
"""

ALL_PLUGINS = (
    "retkoop_plugins.plan_comptable",
    "retkoop_plugins.exercice",
    "retkoop_plugins.tresorerie",
    "retkoop_plugins.pointage",
    "retkoop_plugins.arrete_caisse",
    "retkoop_plugins.soldes",
    "retkoop_plugins.remises",
    "retkoop_plugins.cheques",
    "retkoop_plugins.regies",
    "retkoop_plugins.ventilation",
    "retkoop_plugins.subventions",
    "retkoop_plugins.adhesion",
    "retkoop_plugins.cessions",
    "retkoop_plugins.quitus",
)
