"""The conventions of a cooperative's ledger: metadata keys, payment modes, directives.

An operation is a Beancount transaction:

    2026-03-02 * "Autocars Dupont" "Sortie au musée de la Préhistoire"
      piece: "D012"          ; n° de pièce, always quoted
      mode: "CHQ"            ; CHQ, ESP, VIR, CB, PRLV
      cheque: "1234567"      ; n° of the cheque, when one is issued or received
      releve: 2026-03-31     ; ticked on the bank statement of that date (pointage)
      Actif:512-Banque              -420.00 EUR
      Charges:6247-Transports        420.00 EUR

Tags (`#musee`) mark projects.
"""

from __future__ import annotations

from decimal import Decimal

META_PIECE = "piece"
META_MODE = "mode"
META_CHEQUE = "cheque"
META_NATURE = "nature"
META_RELEVE = "releve"
META_DOCUMENT = "document"
META_REF_BANQUE = "ref-banque"  # the statement line an operation was ticked from (import)
META_LIBELLE_BANQUE = "libelle-banque"  # the bank's label of an operation created by an import

#: Payment modes and the treasury account types each one must go through.
MODES: dict[str, str] = {
    "CHQ": "chèque",
    "ESP": "espèces",
    "VIR": "virement",
    "CB": "carte bancaire",
    "PRLV": "prélèvement",
}
MODE_TREASURY_TYPES: dict[str, tuple[str, ...]] = {
    "CHQ": ("banque", "cheques"),
    "ESP": ("caisse", "regie"),
    "VIR": ("banque",),
    "CB": ("banque",),
    "PRLV": ("banque",),
}

#: Natures of operations that are not receipts or expenses.
NATURE_OUVERTURE = "ouverture"  # opening balances of the first exercice
NATURE_CLOTURE = "cloture"  # closing entries
NATURES_WITHOUT_TREASURY = (NATURE_OUVERTURE, NATURE_CLOTURE)
NATURES_TRANSFER = ("virement", "remise", "regie")
NATURE_ECART_CAISSE = "ecart-caisse"  # a gap found by an arrêté de caisse, booked as a charge or a produit
NATURES = NATURES_WITHOUT_TREASURY + NATURES_TRANSFER + (NATURE_ECART_CAISSE,)

#: The accounts (chart codes) of an écart de caisse when the AD names none (`arrete_caisse:` of
#: ad.yaml, keys `manque` and `excedent`): charges and produits exceptionnels.
ECART_CAISSE_ACCOUNTS = {"manque": "671", "excedent": "771"}

#: Custom directives of our own.
CUSTOM_COOPERATIVE = "cooperative"  # identity of the coop
CUSTOM_CLOTURE = "cloture"  # closing of an exercice, with the digest of its entries
CUSTOM_RELEVE = "releve"  # bank statement: account, closing balance
CUSTOM_ARRETE_CAISSE = "arrete-caisse"  # cash count: account, then one key per denomination
CUSTOM_FAVA_OPTION = "fava-option"
CUSTOM_FAVA_EXTENSION = "fava-extension"

#: Cash count keys: b = billet, p = pièce en euros, c = pièce en centimes.
DENOMINATIONS: dict[str, Decimal] = {
    "b500": Decimal("500"),
    "b200": Decimal("200"),
    "b100": Decimal("100"),
    "b50": Decimal("50"),
    "b20": Decimal("20"),
    "b10": Decimal("10"),
    "b5": Decimal("5"),
    "p2": Decimal("2"),
    "p1": Decimal("1"),
    "c50": Decimal("0.50"),
    "c20": Decimal("0.20"),
    "c10": Decimal("0.10"),
    "c5": Decimal("0.05"),
    "c2": Decimal("0.02"),
    "c1": Decimal("0.01"),
}

CURRENCY = "EUR"
