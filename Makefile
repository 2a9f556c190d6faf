# The two commands: `make run` (try the portal) and `make test` (the whole suite);
# `make test-fast` is the suite without the tests marked slow (those that start a process).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
MANAGE := $(BIN)/python manage.py
IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles
# The demo's source systems (written by dsr_demo) unless you point at your own;
# `make run DEMO_SAAS=1` adds fake Salesforce, Stripe and Zendesk APIs (ports 8601-8603).
CONNECTORS := $${DSR_CONNECTORS_FILE:-$${DSR_VAR_DIR:-$(CURDIR)/var}/demo/connectors$(if $(DEMO_SAAS),-saas).yaml}
PROCFILE := $(if $(DEMO_SAAS),Procfile.saas,Procfile.dev)
# Where `make run` serves (DSR_HOST, DSR_PORT) and the address its links use, the demo's
# e-mails included (DSR_BASE_URL, else built from the two).
RUN_HOST := $(or $(DSR_HOST),127.0.0.1)
RUN_PORT := $(or $(DSR_PORT),8000)
BASE_URL := $(or $(DSR_BASE_URL),http://$(RUN_HOST):$(RUN_PORT))

.PHONY: run test test-fast lint format messages makemessages vendor lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.run-installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.run-installed
	$(PIP) -e '.[test,dev]'
	@touch $@

messages: $(VENV)/.run-installed
	$(MANAGE) compilemessages -v0 $(IGNORE)

## make run: set up on a fresh machine, load the demo, start web + worker + beat (Ctrl-C stops)
run: messages
	$(MANAGE) migrate --noinput -v0
	DSR_BASE_URL="$(BASE_URL)" $(MANAGE) dsr_demo
	@echo
	@echo "  The portal runs at http://$(RUN_HOST):$(RUN_PORT)/  (Ctrl-C stops everything)"
	@echo
	DSR_BASE_URL="$(BASE_URL)" \
	DSR_CONNECTORS_FILE="$(CONNECTORS)" \
	$(if $(DEMO_SAAS),DSR_WEBHOOK_ALLOWED_HOSTS="$${DSR_WEBHOOK_ALLOWED_HOSTS:-127.0.0.1}") \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f $(PROCFILE) start

## make test: install the test dependencies and run the whole suite
test: $(VENV)/.test-installed messages
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

## make test-fast: the same without the slow tests (a Celery worker process, gunicorn, Chromium,
## manage.py or pytest as a subprocess, the benchmarks)
test-fast: $(VENV)/.test-installed messages
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(MANAGE) makemigrations --check --dry-run -v0

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## refresh the source catalogues after changing user-facing strings
makemessages: $(VENV)/.run-installed
	$(MANAGE) makemessages -l de -l nl --no-obsolete --no-location $(IGNORE) --ignore=tests --ignore=bench --ignore=var

## refresh vendored front-end files from the npm registry (versions in package.json)
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p dsr/static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/LICENSE dsr/static/vendor/bootstrap/
	sed -i '/sourceMappingURL/d' dsr/static/vendor/bootstrap/*.min.*

## re-pin every dependency after changing pyproject.toml
lock: $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test,dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
