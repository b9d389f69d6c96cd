#!/usr/bin/env bash
# A bounded load run of the journeys that change state (issue 16, item 9), then the ledger
# check. The drivers are the benchmark's (bench/flows.py): gunicorn as deployed, 2 sync workers,
# PostgreSQL, the fake payment provider, concurrent virtual users on one event loop.
#   1. purchases: cart add -> order -> checkout -> simulate(succeeded), 4 buyers
#   2. lesson completions: progress + mark-lesson-complete, 4 learners
# Any failed step (a 5xx included) fails the run; then every ledger posting must sum to zero
# and every wallet must equal its entries (lms/payouts/testing.py).
#   LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ci_load), LOAD_FLOWS (200)
set -euo pipefail
cd "$(dirname "$0")/.."
db="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ci_load}"
flows="${LOAD_FLOWS:-200}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Their exit status also says whether the p99 budget was met (bench/README.md); on a shared CI
# machine only a failed journey fails the run: "N jobs failed" in the report.
.venv/bin/python -m bench.scenarios.commerce --database-url "$db" --buyers 4 --flows "$flows" \
  --warmup 20 2>&1 | tee "$log" || true
.venv/bin/python -m bench.scenarios.learning --database-url "$db" --learners 4 \
  --jobs "$((flows / 4))" --lessons 5 --warmup 4 2>&1 | tee -a "$log" || true
grep -q "whole job" "$log" || { echo "load: a journey did not run" >&2; exit 1; }
if grep -q "jobs failed" "$log"; then echo "load: journeys failed" >&2; exit 1; fi

DATABASE_URL="$db" DEBUG=true DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python - <<'PY'
import django

django.setup()
from lms.payouts.testing import assert_ledger_balanced, assert_wallets_match_ledger

assert_ledger_balanced()
assert_wallets_match_ledger()
print("ledger: every posting sums to zero, every wallet equals its entries")
PY
