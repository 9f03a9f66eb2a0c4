"""The treasurer's workspace: what a mandataire does every week, as plain functions.

`parsing` reads what a teacher types (amounts, dates); `numbering` suggests the next pièce
and cheque; `books` reads a coop's ledger into the cahier, the balances and what is left to
tick; `operations` turns the Saisie form into a checked operation; `editing` changes the
coop's files as text; `actions` writes through the store; `status` makes the dashboard's
lines. `pages/` puts all of it in Fava's sidebar.
"""
