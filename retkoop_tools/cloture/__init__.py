"""Year end: closing an exercice, the report à nouveau, reopening, and the CRF's submission.

- `conditions`: what must hold before closing (each unmet condition in French, with the page
  that fixes it);
- `report`: the report-à-nouveau opening of the next exercice (balance assertions);
- `actions`: close, reopen (AD), submit / lock / send back the CRF, each one commit.
"""
