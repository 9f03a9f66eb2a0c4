"""Writing into an AD repository: validated, atomic, committed, backed up."""
