#!/usr/bin/env bash
# schemathesis in-process (.ci/fuzz.py) on a throwaway SQLite database with the demo data, for
# anonymous, student, instructor and admin in turn, each failure printed with one request.
#   FUZZ_MAX_TIME seconds per identity (default 60), FUZZ_SEED (default a random seed, printed
#   first, so each run explores anew and any run can be repeated); fails on any failed check (every check is
#   strict: the document says exactly what the server does), with FUZZ_STRICT=schema on server
#   errors and schema violations (a response the document does not describe), or with
#   FUZZ_STRICT=0 only on server errors; every check is run and printed whatever FUZZ_STRICT
#   says (docs/operations.md, "Fuzzing, load and security in CI").
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export DATABASE_URL="sqlite:///$work/fuzz.sqlite3" REDIS_URL="" DEBUG=true ALLOW_FAKE_PAYMENTS=true \
  MEDIA_ROOT="$work/media" EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
  THROTTLE_ANON=100000/hour THROTTLE_USER=100000/hour THROTTLE_AUTH=100000/minute \
  THROTTLE_LOGIN_FAILURES=100000/minute THROTTLE_LOGIN_ACCOUNT_FAILURES=100000/minute \
  THROTTLE_MFA_FAILURES=100000/minute PYTHONWARNINGS=ignore LOG_LEVEL=ERROR
.venv/bin/python manage.py migrate --noinput > /dev/null
.venv/bin/python manage.py seed_demo > /dev/null
case "${FUZZ_STRICT:-1}" in
  1) strict=(--fail-on all) ;;
  schema) strict=(--fail-on schema) ;;
  *) strict=(--fail-on server-errors) ;;
esac
seed=()
[ -z "${FUZZ_SEED:-}" ] || seed=(--seed "$FUZZ_SEED")
# object-level authorization between four demo accounts (peers) first: fuzz.py's admin run
# deactivates and re-roles demo accounts (docs/operations.md, "Object-level authorization")
.venv/bin/python .ci/fuzz_peers.py --max-time "${FUZZ_PEERS_MAX_TIME:-60}" "${seed[@]}" 2> "$work/peers.log" \
  || { tail -40 "$work/peers.log" >&2; exit 1; }
.venv/bin/python .ci/fuzz.py --details --max-time "${FUZZ_MAX_TIME:-60}" "${strict[@]}" "${seed[@]}" 2> "${FUZZ_STDERR:-$work/stderr.log}" \
  || { tail -40 "${FUZZ_STDERR:-$work/stderr.log}" >&2; exit 1; }
