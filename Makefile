# The two commands: `make run` serves the site, `make test` runs every test.
# Everything else here is what those two are made of.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Parallel test processes (pytest-xdist): one per core by default.
TEST_WORKERS ?= auto
# Shared by `make run`, the Dockerfile and docker-compose: size limits and keep-alive.
# Daphne's own limits sit above the protocol's 512 KiB so the server can answer
# an oversized frame with a `message_too_large` error instead of dropping the socket.
DAPHNE_FLAGS ?= --websocket_timeout -1 --websocket_connect_timeout 10 \
	--ping-interval 20 --ping-timeout 30 \
	--websocket-max-message-size 2097152 --websocket-max-frame-size 2097152 \
	--application-close-timeout 10

.PHONY: help install run migrate seed test lint format check-migrations clean \
	browser-deps js-deps js-build js-test

help:
	@echo "make run    - install, migrate, load demo content, serve on http://$(HOST):$(PORT)"
	@echo "              (with Redis: also a Celery worker and beat, from the Procfile by honcho)"
	@echo "make test   - the whole test suite (SQLite by default; DATABASE_URL/REDIS_URL to use services)"
	@echo "make lint   - ruff check + ruff format --check"
	@echo "make js-build - rebuild static/vendor/ (editor and math bundles, KaTeX) from frontend/ (needs Node; commit the result)"
	@echo "make js-test  - the editor's JavaScript tests (node --test frontend/tests/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input

seed: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed

# With Redis, Celery queues tasks for a worker, so `make run` starts the Procfile's web,
# worker and beat under honcho (one Ctrl-C stops all three; tests/test_deploy.py keeps its
# daphne flags equal to DAPHNE_FLAGS). Without Redis, Celery runs tasks inline and daphne
# alone is the whole site. The settings decide, since they also read .env (honcho's own
# reading of .env is off, `--env /dev/null`: it would override real environment variables).
CELERY_MODE_PY := import os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings"); \
	from django.conf import settings; print("inline" if settings.CELERY_TASK_ALWAYS_EAGER else "queue")

run: migrate
	@DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed --if-empty
	@mode=$$(DEBUG=$${DEBUG:-true} $(BIN)/python -c '$(CELERY_MODE_PY)'); \
	echo ""; \
	echo "  Serving on http://$(HOST):$(PORT)/  (WebSocket: ws://$(HOST):$(PORT)/ws/collab/)"; \
	echo "  Database: $${DATABASE_URL:-SQLite (db.sqlite3)}   Redis: $${REDIS_URL:-none (in-memory layer, eager Celery)}"; \
	if [ "$$mode" = queue ]; then \
		echo "  Processes: web (daphne), worker and beat (Celery), from the Procfile by honcho"; \
	fi; \
	echo "  Demo logins are listed above (make seed prints them again). Ctrl-C stops."; \
	echo ""; \
	if [ "$$mode" = queue ]; then \
		exec env DEBUG=$${DEBUG:-true} HOST=$(HOST) PYTHONUNBUFFERED=1 PATH="$(abspath $(BIN)):$$PATH" \
			$(BIN)/honcho start --procfile Procfile --env /dev/null --port $(PORT); \
	fi; \
	set -x; \
	exec env DEBUG=$${DEBUG:-true} $(BIN)/daphne -b $(HOST) -p $(PORT) $(DAPHNE_FLAGS) config.asgi:application

test: install browser-deps js-deps
	@$(MAKE) --no-print-directory js-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Chromium for tests/browser (Debian's package; Playwright's own browser downloads are not
# used). Installed only when missing and only as root; otherwise those tests skip.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
		echo "Installing Chromium for the browser tests (apt-get install chromium)..."; \
		( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ) \
			|| echo "warning: could not install chromium; browser tests skip here (and fail in CI)" >&2; \
	fi

# The editor's npm packages (only to build the bundle and run the JS tests: `make run`
# serves the committed static/vendor/editor.bundle.js and needs no Node).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		( npm ci --no-audit --no-fund --loglevel=error && touch $@ ) \
			|| { echo "npm ci failed" >&2; [ -z "$$CI" ] || exit 1; }; \
	else \
		echo "npm not found: skipping the editor's JavaScript dependencies" >&2; \
		[ -z "$$CI" ] || exit 1; \
	fi

js-deps: node_modules/.package-lock.json

js-build: js-deps
	npm run build

js-test: js-deps
	@if command -v node >/dev/null 2>&1; then \
		node --test frontend/tests/; \
	else \
		echo "node not found: skipping the editor's JavaScript tests" >&2; \
		[ -z "$$CI" ] || exit 1; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles test-db-*.sqlite3* .pytest_cache .ruff_cache
