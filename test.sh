#!/usr/bin/env bash
# Installe tout puis lance toute la suite de tests.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used), and
# one of them looks at a PDF's page through poppler's pdftoppm.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de ${missing[*]} (Debian) pour les tests dans le navigateur…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
      > .venv/chromium-install.log 2>&1 || { tail -n 20 .venv/chromium-install.log >&2; exit 1; }
  else
    echo "Absent(s) : ${missing[*]} : installez-les (apt-get install ${missing[*]}), sinon les tests du navigateur sont sautés." >&2
  fi
fi
# One worker per core (tests of a file stay together: they share its fixtures).
python -m pytest -q -n auto --dist loadfile "$@"
