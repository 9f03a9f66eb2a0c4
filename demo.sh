#!/usr/bin/env bash
# Installe tout, construit l'AD de démonstration pour aujourd'hui (var/demo-ad, un dépôt git à
# part : exercice en cours jusqu'à ce jour, exercice précédent clôturé, CRF, adhésions, relevés),
# puis lance le portail web et affiche les comptes de démonstration.
# Adresse : http://127.0.0.1:${PORT:-5000}/ — arrêt : Ctrl+C. DEMO_DATE=jj/mm/aaaa pour un autre jour.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
exec retkoop serve-demo --dossier "$ROOT/var" ${DEMO_DATE:+--date "$DEMO_DATE"} \
  --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
