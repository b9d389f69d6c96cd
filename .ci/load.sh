#!/usr/bin/env bash
# The main user journeys under load for a fixed time, then the ledger check (issue 16, item 9).
# bench/journeys.py: gunicorn as deployed (deploy/gunicorn.conf.py, 2 sync workers),
# PostgreSQL, the fake payment provider; LOAD_USERS virtual users run browse / sign-in /
# purchase / learn in a fixed mix for LOAD_SECONDS (a timer, not a request count), after
# LOAD_WARMUP seconds not measured. It prints per journey and per step the requests/s, p50,
# p99, max, failures and 5xx answers, and fails on any failed journey or 5xx. Then every
# ledger posting must sum to zero and every wallet must equal its entries
# (lms/payouts/testing.py). About 1.5 min on an existing database, +1 min to migrate a new one.
#   LOAD_DATABASE_URL (postgres://postgres@127.0.0.1:5432/ci_load), LOAD_SECONDS (60),
#   LOAD_WARMUP (5), LOAD_USERS (8), LOAD_REDIS_URL (empty: no Redis; CI gives database 7, so
#   the cache and the throttles run in Redis as in production; tasks still run in the requests)
set -euo pipefail
cd "$(dirname "$0")/.."
db="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ci_load}"

status=0
.venv/bin/python -m bench.journeys --database-url "$db" --seconds "${LOAD_SECONDS:-60}" \
  --warmup "${LOAD_WARMUP:-5}" --users "${LOAD_USERS:-8}" --redis-url "${LOAD_REDIS_URL:-}" \
  || status=$?

# The ledger is checked whatever the load's outcome: a failed journey must not hide a posting
# that does not balance.
DATABASE_URL="$db" DEBUG=true DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python - <<'PY'
import django

django.setup()
from lms.payouts.testing import assert_ledger_balanced, assert_wallets_match_ledger

assert_ledger_balanced()
assert_wallets_match_ledger()
print("ledger: every posting sums to zero, every wallet equals its entries")
PY
if [ "$status" != 0 ]; then echo "load: journeys failed or answered 5xx" >&2; fi
exit "$status"
