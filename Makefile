# Consortia: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ENV := DEBUG=1 EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install everything (Python deps only)

demo: install ## Migrate, load the NHS Cumbria demo and serve on http://127.0.0.1:8000
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "\nOpen http://127.0.0.1:8000 and log in with a user above (password: demo).\n"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install ## Run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(PY) -m pytest

check: install ## Lint, format check, migrations check, the dependency rule between apps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: install ## Apply the formatter and safe lint fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

vendor: ## Re-fetch the NHS.UK frontend, htmx, Chart.js and axe-core from npm (needs Node.js)
	bash scripts/vendor.sh

SCALE ?= cumbria-year
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/consortia_bench
bench: install ## Benchmark import and reconciliation on PostgreSQL (SCALE=cumbria-year|england-month)
	DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=1 $(PY) manage.py bench --scale $(SCALE)

worker: install ## Run a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A consortia worker -l info

clean: ## Remove the virtualenv, demo database and test artefacts
	rm -rf $(VENV) db.sqlite3 test-artifacts staticfiles

.PHONY: help install demo test check format vendor bench worker clean
