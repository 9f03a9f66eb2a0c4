"""The history of a coop, told entry by entry from git."""
