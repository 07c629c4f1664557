# Two commands on a fresh machine: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

PORT ?= 8000
OBSERVATORY := tests/observatory

.PHONY: run serve stack test test-fast observatory bench bench-tools screenshots lint format migrations-check reset-db seed check-data install install-dev clean

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
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The production settings on this machine: migrate, collectstatic into staticfiles/, then
# gunicorn (gunicorn.conf.py) on http://127.0.0.1:$(PORT) (8000 unless PORT=) with a fresh
# SECRET_KEY for the run.
# DJANGO_INSECURE_HTTP=1 allows plain HTTP and is refused for any non-loopback host (see
# config/settings/prod.py). DATABASE_URL when set, else the local SQLite file.
serve: install
	env DJANGO_SETTINGS_MODULE=config.settings.prod \
	  SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_INSECURE_HTTP=1 \
	  DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/db.sqlite3}" \
	  sh -c '$(MANAGE) migrate --no-input && $(MANAGE) seed && \
	    $(MANAGE) collectstatic --no-input --verbosity 0 && \
	    exec $(BIN)/gunicorn --bind 127.0.0.1:$(PORT)'

# The production stack on this machine (deploy/stack.sh): nginx on http://127.0.0.1:8000 in
# front of two gunicorn app servers on PostgreSQL and Redis, all in a temp dir. Ctrl-C stops.
stack: install
	deploy/stack.sh

seed: install
	$(MANAGE) seed

check-data: install
	$(MANAGE) check_data

test: install-dev observatory
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the tests marked slow (servers, scanners, benchmarks): for quick rounds,
# on both cores (pytest-xdist; each worker has its own test database). make test stays in one
# process: its slow tests time servers and would compete with each other.
test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow" -n 2 $(PYTEST_ARGS)

# Mozilla's HTTP Observatory scanner (npm, version pinned in $(OBSERVATORY)/package-lock.json)
# for tests/config/test_served_site.py. --ignore-scripts: its postinstall downloads the HSTS
# preload list; an empty one is enough for a site on localhost.
observatory: $(OBSERVATORY)/node_modules/.installed

$(OBSERVATORY)/node_modules/.installed: $(OBSERVATORY)/package.json $(OBSERVATORY)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ and npm: sudo apt-get install nodejs npm"; exit 1; }
	cd $(OBSERVATORY) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	echo '{}' > $(OBSERVATORY)/node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json
	touch $@

# Figures, not pass/fail: wrk against gunicorn at 50, 500 and 5,000 platforms, written to
# bench/results.md (about 10 minutes). BENCH_ARGS="--sizes 50 --seconds 3" to try.
bench: install-dev bench-tools
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# wrk, and Chromium for the first-load figure, are Debian packages: installed when missing
# if this is root on Debian (as in .ci/run), else the command to run is printed.
bench-tools:
	@if ! command -v wrk >/dev/null || [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "== installing wrk and chromium"; \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends wrk chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "make bench needs wrk and chromium: sudo apt-get install wrk chromium"; exit 1; \
	  fi; \
	fi

# Retakes the README's screenshot (docs/compare.png) through the browser tests.
screenshots: install-dev
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_screenshot.py

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
