#!/usr/bin/env bash
# The whole test suite: lint, then pytest on SQLite (with the browser tests), then on PostgreSQL.
# Under CI=true nothing may be skipped for want of a service: a missing PostgreSQL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing; run: sudo apt-get install chromium" >&2
    [ "${CI:-}" = "true" ] && exit 1
  fi
fi

"$BIN/ruff" check src tests bench
"$BIN/ruff" format --check src tests bench
"$BIN/mypy" src

PG_URL=${REPDESK_TEST_PG:-postgresql://postgres@127.0.0.1:5432/test}
pg_up() {
  "$BIN/python" - "$PG_URL" <<'PY'
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1], timeout=5)
    await conn.close()
try:
    asyncio.run(main())
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

echo "== SQLite =="
REPDESK_TEST_DB=sqlite "$BIN/pytest" -q -m "not postgres_only" "$@"

if pg_up; then
  echo "== PostgreSQL =="
  REPDESK_TEST_DB=postgres REPDESK_TEST_PG="$PG_URL" "$BIN/pytest" -q -m "not browser" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true and PostgreSQL is not reachable at $PG_URL: failing rather than skipping" >&2
  exit 1
else
  echo "PostgreSQL not reachable: skipped the PostgreSQL pass (CI fails here instead)"
fi
