"""The OCCE rules as Beancount plugins, one rule family per module.

A coop's `coop.beancount` declares them:

    plugin "retkoop_plugins.plan_comptable"
    plugin "retkoop_plugins.exercice"
    plugin "retkoop_plugins.tresorerie"
    plugin "retkoop_plugins.pointage"
    plugin "retkoop_plugins.arrete_caisse"

Every error names the offending entry's file and line, with a message in French.
"""

ALL_PLUGINS = (
    "retkoop_plugins.plan_comptable",
    "retkoop_plugins.exercice",
    "retkoop_plugins.tresorerie",
    "retkoop_plugins.pointage",
    "retkoop_plugins.arrete_caisse",
)
