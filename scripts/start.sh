#!/usr/bin/env bash
# The README's first command: install, migrate, load the demo region, start web + in-process pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DJANGO_SETTINGS_MODULE=otklik.settings
.venv/bin/otklik migrate --noinput
.venv/bin/otklik demo
exec .venv/bin/otklik serve "${OTKLIK_ADDR:-127.0.0.1:8000}"
