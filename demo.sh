#!/usr/bin/env bash
# Installe tout puis vérifie les livres de l'AD de démonstration (ledgers/),
# avec un bilan par coopérative.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
retkoop check --all --resume --repo "$ROOT"
