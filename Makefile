# Two commands set everything up: `make run` and `make test` (see README.md).
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4
# Seconds a request may run before gunicorn restarts its worker: imports take minutes.
TIMEOUT ?= 600
FLASK := $(BIN)/flask --app registry

.PHONY: run test lint fuzz bench bench-import load migrate

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

migrate: $(BIN)/.installed
	$(FLASK) db upgrade

run: migrate
	@$(FLASK) keys has-admin 2>/dev/null || { \
	  echo; echo "No admin key exists yet. Make one (the secret is the last line it prints):"; \
	  echo "  $(FLASK) keys create --name admin --role admin"; echo; }
	rm -rf instance/metrics && mkdir -p instance/metrics
	PROMETHEUS_MULTIPROC_DIR=instance/metrics HOST=$(HOST) PORT=$(PORT) \
	  $(BIN)/gunicorn --no-control-socket --workers $(WORKERS) --timeout $(TIMEOUT) \
	  --bind $(HOST):$(PORT) wsgi:app

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fuzz: $(BIN)/.installed
	REGISTRY_FUZZ_DEEP=1 \
	REGISTRY_TEST_POSTGRES_URL=$${REGISTRY_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: $(BIN)/.installed
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.import_bench

bench-import: $(BIN)/.installed
	$(BIN)/python -m bench.import_bench

load: $(BIN)/.installed
	$(BIN)/python -m bench.load
