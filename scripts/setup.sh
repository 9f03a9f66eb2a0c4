#!/usr/bin/env bash
# Creates .venv with Python >= 3.11 and installs retkoop-tools with its test tools.
# Sourced by demo.sh and test.sh; reinstalls only when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 ou plus récent est nécessaire (python3.11 introuvable)." >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  PY="$(find_python)"
  echo "Création de l'environnement Python (.venv) avec $PY…"
  "$PY" -m venv .venv
fi
STAMP=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "Installation de retkoop-tools et de ses dépendances (journal : .venv/install.log)…"
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -e '.[test]'; } \
       > .venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    echo "L'installation a échoué (journal complet : .venv/install.log)." >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
export BEANCOUNT_DISABLE_LOAD_CACHE=1
# WeasyPrint (the PDF documents) needs Pango from the system.
if ! .venv/bin/python -c "import weasyprint" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de Pango (Debian) pour les documents PDF…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; } \
      > .venv/pango-install.log 2>&1 || { tail -n 20 .venv/pango-install.log >&2; exit 1; }
  else
    echo "WeasyPrint ne trouve pas Pango : installez libpango-1.0-0 et libpangoft2-1.0-0 (apt-get install), sinon les PDF ne se font pas." >&2
  fi
fi
