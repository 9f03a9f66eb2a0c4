"""Git hooks of an AD repository, installed by `retkoop init` (the files without extension)."""
