# The two commands: `make run` serves the site, `make test` runs every test.
# Everything else here is what those two are made of.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Shared by `make run`, the Dockerfile and docker-compose: size limits and keep-alive.
# Daphne's own limits sit above the protocol's 512 KiB so the server can answer
# an oversized frame with a `message_too_large` error instead of dropping the socket.
DAPHNE_FLAGS ?= --websocket_timeout -1 --websocket_connect_timeout 10 \
	--ping-interval 20 --ping-timeout 30 \
	--websocket-max-message-size 2097152 --websocket-max-frame-size 2097152 \
	--application-close-timeout 10

.PHONY: help install run serve migrate seed test test-fast lint format check-migrations schemathesis clean

help:
	@echo "make run    - install, migrate, load demo content, serve on http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite (SQLite by default; DATABASE_URL/REDIS_URL to use services)"
	@echo "make lint   - ruff check + ruff format --check"

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

run: migrate
	@DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed --if-empty
	@echo ""
	@echo "  Serving on http://$(HOST):$(PORT)/  (WebSocket: ws://$(HOST):$(PORT)/ws/collab/)"
	@echo "  Database: $${DATABASE_URL:-SQLite (db.sqlite3)}   Redis: $${REDIS_URL:-none (in-memory layer, eager Celery)}"
	@echo "  Demo logins are listed above (make seed prints them again). Ctrl-C stops."
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/daphne -b $(HOST) -p $(PORT) $(DAPHNE_FLAGS) config.asgi:application

test: install
	$(BIN)/python -m pytest -q

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
