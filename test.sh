#!/usr/bin/env bash
# Installe tout puis lance toute la suite de tests.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de Chromium (Debian) pour les tests dans le navigateur…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      > .venv/chromium-install.log 2>&1 || { tail -n 20 .venv/chromium-install.log >&2; exit 1; }
  else
    echo "Chromium absent (/usr/bin/chromium) : installez-le (apt-get install chromium), sinon les tests du navigateur sont sautés." >&2
  fi
fi
# One worker per core (tests of a file stay together: they share its fixtures).
python -m pytest -q -n auto --dist loadfile "$@"
