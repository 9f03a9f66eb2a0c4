"""The adhésion at the rentrée: rates per school year (ad.yaml), the mandataire's declaration,
the amount, the AD's validation, the payment booked in the ledger (6281 + 6168)."""
