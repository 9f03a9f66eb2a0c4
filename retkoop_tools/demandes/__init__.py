"""Requests from a coop to its AD: change of mandataire, new details of the school."""
