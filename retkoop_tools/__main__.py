"""`python -m retkoop_tools` is the `retkoop` command."""

from retkoop_tools.cli import main

main(prog_name="retkoop")
