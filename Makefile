# Two commands: `make run` serves the site, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test lint format check typecheck core-alone e2e bench bench-search soak install install-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_rooms
	$(BIN)/python manage.py create_demo_admin
	@echo "Serving on http://$(HOST):$(PORT)/"
	# The websocket options (pings, frame limits, timeouts) are chatapp/serve.py's defaults.
	$(BIN)/python -m chatapp.serve --bind $(HOST) --port $(PORT) chatapp.asgi:application

# Development server with autoreload (daphne's runserver).
dev: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Strict mypy (django-stubs) on the websocket core; its tests are excluded (pyproject.toml).
typecheck: install-dev
	$(BIN)/mypy chatapp/websocket

# The websocket core alone, as a forker lifts it: in a copy without rooms/, accounts/ and
# chatapp/features/, its modules import with only Django and Channels, and its tests pass
# with its own settings (DJANGO_SETTINGS_MODULE=chatapp.websocket.tests.settings).
core-alone: install-dev
	bash scripts/core-alone.sh

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=check-deploy-only-$$(date +%s)-not-a-real-secret-key-0123456789abcdefghij \
		ALLOWED_HOSTS=chat.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

# Branch coverage of the websocket core is reported (not enforced) with every run.
test: lint check typecheck core-alone
	$(BIN)/python -m pytest --cov=chatapp.websocket --cov-branch --cov-report=term $(PYTEST_ARGS)

e2e: install-dev
	$(BIN)/python -m pytest e2e $(PYTEST_ARGS)

# Fan-out benchmark (README, "Fan-out"): the rooms consumer beside the Channels tutorial
# consumer. Redis from BENCH_REDIS_URL or REDIS_URL; database from BENCH_DATABASE_URL.
$(VENV)/.installed-bench: bench/requirements.txt | $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

bench: install-dev $(VENV)/.installed-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Search benchmark (docs/search.md): 100 searches over a million messages in PostgreSQL
# (BENCH_DATABASE_URL, a database of its own), beside a substring scan; the fill is kept
# for the next run. SEARCH_ARGS=--quick: 20,000 messages (SQLite too), --refill: fill anew.
bench-search: install-dev
	$(BIN)/python -m bench.search $(SEARCH_ARGS)

# Soak run (10 minutes unless SOAK_SECONDS): churn, backend sends, seq gaps, RSS, Redis keys.
SOAK_SECONDS ?= 600
soak: install-dev $(VENV)/.installed-bench
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-db.sqlite3* .pytest_cache .ruff_cache
