# The two commands: `make run` (set up, demo data, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test lint bench messages clean

# A virtualenv with the locked dependencies and Shoumen itself (editable).
$(BIN)/shoumen: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/shoumen

run: setup
	$(BIN)/shoumen migrate --noinput
	$(BIN)/shoumen collectstatic --noinput --verbosity 0
	$(BIN)/shoumen demo-data --if-empty
	$(BIN)/shoumen serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/shoumen makemigrations --check --dry-run

test: lint
	$(BIN)/pytest

# City-scale benchmarks (PostgreSQL): see docs/benchmarks.md.
bench: setup
	$(BIN)/shoumen bench $(BENCH_ARGS)

# Recompile translations after editing src/shoumen/locale/*/LC_MESSAGES/django.po.
messages: setup
	cd src/shoumen && ../../$(BIN)/shoumen compilemessages

clean:
	rm -rf $(VENV) var/static
