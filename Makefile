# Storecheck: `make run` serves the demo, `make test` runs the whole suite. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# Caches stay inside the work tree, so nothing is written to the user's home directory.
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export XDG_CACHE_HOME := $(CURDIR)/.cache
export npm_config_cache := $(CURDIR)/.cache/npm
export FLASK_APP := wsgi

.PHONY: run test security audit install install-test translations extract-messages db-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: browser accessibility audits will be skipped"; fi

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d audit_app/translations >/dev/null

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs ".* node_modules __pycache__" -o audit_app/translations/messages.pot .
	$(BIN)/pybabel update -i audit_app/translations/messages.pot -d audit_app/translations

db-upgrade: install
	$(BIN)/flask db upgrade

run: db-upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo
	@echo "Storecheck is at http://$(HOST):$(PORT)  (Ctrl+C stops it). Demo sign-ins:"
	@$(BIN)/flask demo-sign-ins
	@echo
	PUBLIC_URL="$${PUBLIC_URL:-http://$(HOST):$(PORT)}" $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 wsgi:app

# One test worker per core (pytest-xdist); each has its own databases (tests/workers.py). TEST_WORKERS=0: none.
TEST_WORKERS ?= auto
test: install-test node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Static security checks; every exception is justified in a comment beside it.
security: install-test
	$(BIN)/bandit -q -r audit_app scoring reports

# Known vulnerabilities in the installed dependencies (pip-audit); says so plainly when it cannot reach the service.
audit: install-test
	$(BIN)/python tools/dependency_audit.py

clean:
	rm -rf $(VENV) node_modules .cache .pytest_cache .hypothesis
