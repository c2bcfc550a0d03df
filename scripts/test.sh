#!/usr/bin/env bash
# The README's second command: lint, type-check and run the whole test suite (browser tests included).
# DATABASE_URL selects the database (SQLite by default; postgres://… for PostgreSQL).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

# Browser tests drive Debian's Chromium; install it when missing and we may (root, apt).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "!! could not install chromium: browser tests will be skipped" >&2
fi

echo "== ruff"
.venv/bin/ruff check . || exit 1
echo "== import contracts"
.venv/bin/lint-imports --no-cache >/dev/null || { .venv/bin/lint-imports --no-cache; exit 1; }
echo "== mypy"
.venv/bin/mypy otklik || exit 1
echo "== pytest (${DATABASE_URL:-sqlite})"
.venv/bin/pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "!! pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
