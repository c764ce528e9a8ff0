# Rapport: `make run` serves the demo, `make test` runs every check. Nothing else to install.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in e-mails and calendars point at the address the site is served on.
SITE_URL ?= http://127.0.0.1:$(PORT)
# Tests talk to this Redis (Celery tests); DATABASE_URL, if set, replaces the embedded PostgreSQL.
export REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: run test lint security migrations-check pytest bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core for the browser tests (pinned in tests/e2e/package-lock.json); npm ci
# again whenever the lock file is newer than the installed tree.
E2E_NODE := tests/e2e/node_modules/.package-lock.json
$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(E2E_NODE)

run: install
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo --if-empty --therapists 300
	@echo "Rapport is starting at http://127.0.0.1:$(PORT)/ (Ctrl-C stops web, worker, beat and the database)"
	SITE_URL=$(SITE_URL) CELERY_POOL=$${CELERY_POOL:-threads} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile -p $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# bandit: medium and high findings fail (settings in pyproject.toml [tool.bandit]).
security: install-dev
	$(BIN)/bandit -c pyproject.toml -r . -ll -q

migrations-check: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint security migrations-check pytest

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .data staticfiles tests/e2e/node_modules
