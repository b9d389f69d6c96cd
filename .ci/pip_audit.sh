#!/usr/bin/env bash
# pip-audit --strict over the locked requirements (issue 16, item 9) when its vulnerability
# service (PyPI's JSON API) answers; otherwise reported as skipped, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# The probe is the request pip-audit makes: one pinned release's JSON (a mirror that serves
# only the project pages answers 404 there, which pip-audit reports as "not found on PyPI").
probe="$(grep -m1 -E '^[a-z0-9._-]+==' requirements/base.lock)"
url="https://pypi.org/pypi/${probe%%==*}/${probe##*==}/json"
if ! curl -sf --max-time 10 -o /dev/null "$url"; then
  echo "pip-audit: SKIPPED (the vulnerability service does not answer: $url)"
  exit 0
fi
for lock in requirements/base.lock requirements/dev.lock; do
  echo "pip-audit: $lock"
  .venv/bin/pip-audit --strict --progress-spinner off --no-deps --disable-pip -r "$lock"
done
