#!/usr/bin/env bash
# Installe tout, vérifie les livres de l'AD de démonstration (ledgers/), puis lance le portail
# web sur une copie de cette AD (var/demo-ad, un dépôt git à part) et affiche les comptes de
# démonstration. Adresse : http://127.0.0.1:${PORT:-5000}/ — arrêt : Ctrl+C.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
retkoop check --all --resume --repo "$ROOT"
echo
exec retkoop serve-demo --dossier "$ROOT/var" --repo "$ROOT" --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
