"""`retkoop history`: what changed in a coop's books, entry by entry, and who changed it."""
import click

@click.command()
def history():
    """Historique (à venir)."""
