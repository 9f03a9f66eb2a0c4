#!/usr/bin/env bash
# Installe tout puis lance toute la suite de tests.
set -euo pipefail
source "$(dirname "$0")/scripts/setup.sh"
python -m pytest -q "$@"
