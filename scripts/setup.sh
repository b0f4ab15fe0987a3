#!/usr/bin/env bash
# Installs repdesk and its development tools into the virtual environment given as $1.
set -euo pipefail
venv=${1:-.venv}
"$venv/bin/pip" install -q -e ".[dev]"
