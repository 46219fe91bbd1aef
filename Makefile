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
	$(BIN)/lint-imports --no-cache
	$(BIN)/shoumen makemigrations --check --dry-run

test: lint
	$(BIN)/pytest

# City-scale benchmarks on PostgreSQL (see docs/benchmarks.md). Builds the 1 M-resident city
# with its gate (1 M passes, 10 M entries) into BENCH_DATABASE_URL the first time (tens of
# minutes; an interrupted build resumes part by part), then measures. Needs wrk and pgbench.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shoumen_bench
bench: setup
	@command -v wrk >/dev/null || { echo "Installing wrk (the HTTP load generator of gate-scan)"; \
	  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk; }
	@command -v pgbench >/dev/null || { echo "pgbench is missing: apt-get install postgresql-client"; exit 1; }
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(BENCH_DATABASE_URL))'" | grep -q 1 \
	  || psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/shoumen migrate --noinput --verbosity 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/shoumen demo-data --scale city --if-empty
	DATABASE_URL=$(BENCH_DATABASE_URL) SHOUMEN_PLAIN_STATIC=1 $(BIN)/shoumen bench $(BENCH_ARGS)

# Recompile translations after editing src/shoumen/locale/*/LC_MESSAGES/django.po.
messages: setup
	cd src/shoumen && ../../$(BIN)/shoumen compilemessages

clean:
	rm -rf $(VENV) var/static
