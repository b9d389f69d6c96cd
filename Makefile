# The only entry points. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench demo migrate lock worker beat clean smoke

$(STAMP): requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked dependencies

# Links built without a request (emails, PDFs, tasks) follow HOST and PORT; a wildcard
# address is reached through the loopback one.
LINK_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))

run: export DEBUG ?= true
run: export ALLOW_FAKE_PAYMENTS ?= true
run: export BACKEND_URL ?= http://$(LINK_HOST):$(PORT)
run: export PYTHONUNBUFFERED ?= 1
# The demo admin and manager sign in with their password alone (production: 2FA required).
run: export REQUIRE_STAFF_MFA ?= false
# Signing in as each demo account in turn is more than the production 10 sign-ins a minute.
run: export THROTTLE_AUTH ?= 60/minute
run: $(STAMP) ## migrate SQLite, load demo data, serve HTTP + WebSockets on $(HOST):$(PORT); accounts last
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --no-accounts
	$(BIN)/python manage.py rundemo $(HOST):$(PORT)

demo: export ALLOW_FAKE_PAYMENTS ?= true
demo: $(STAMP) ## load the demo data into the configured database
	$(BIN)/python manage.py seed_demo

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

test: $(STAMP) ## the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, ruff format --check, mypy, import-linter, makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy lms config
	$(BIN)/lint-imports
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## load benchmark against PostgreSQL; prints a table (see bench/README.md)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

smoke: $(STAMP) ## production-like stack without Docker: a purchase end to end (docs/deploy.md)
	$(BIN)/python deploy/smoke.py $(SMOKE_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A config.celery:app worker -l info

beat: $(STAMP)
	$(BIN)/celery -A config.celery:app beat -l info

lock: ## re-pin requirements/*.lock from pyproject.toml (needs uv)
	uv pip compile pyproject.toml -o requirements/base.lock --python-version 3.11
	uv pip compile pyproject.toml --extra dev -o requirements/dev.lock --python-version 3.11

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
