"""retkoop-tools: plain-text accounting for OCCE school cooperatives.

Kept free of heavy imports: the Beancount plugins import from this package on every load.
"""

__version__ = "0.1.0"
