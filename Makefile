# Two commands on a fresh machine: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run serve test lint format migrations-check reset-db seed check-data install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) seed
	$(MANAGE) runserver 127.0.0.1:8000

seed: install
	$(MANAGE) seed

check-data: install
	$(MANAGE) check_data

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

# Empties the database (SQLite or DATABASE_URL) and loads the seed data afresh.
reset-db: install
	$(MANAGE) migrate --no-input
	$(MANAGE) flush --no-input
	$(MANAGE) seed

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
