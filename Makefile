# make run  - set up and serve the whole platform on http://127.0.0.1:8000 (SQLite, memory cache)
# make test - set up and run the whole test suite (plus PostgreSQL and Redis when DATABASE_URL/REDIS_URL are set)
# make bench - benchmark the router against Hive Gateway, Apollo Gateway and Grafbase, then ActivityPub delivery
#              (make bench-ap); writes bench/RESULTS.md
# make oracle - rerecord the router corpus's expected answers with Apollo Gateway and Hive Gateway (npm)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format bench bench-ap clean oracle

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(INSTALLED)

run: $(INSTALLED)
	LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/roseash serve

test: $(INSTALLED) lint
	$(BIN)/pytest

# The fixtures under tests/router/fixtures and tests/router/composition/fixtures come only from here, never from hand edits.
ORACLE := tests/router/oracle
oracle: $(INSTALLED)
	cd $(ORACLE) && npm ci --no-audit --no-fund
	$(BIN)/python -m tests.router.record_oracle
	$(BIN)/python -m tests.router.record_composition
	$(BIN)/python -m tests.router.record_loads

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

BENCH_NODE := bench/router/node_modules/.npm-ci-done
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BENCH_NODE): bench/router/package.json bench/router/package-lock.json
	cd bench/router && npm ci --no-audit --no-fund
	@touch $(BENCH_NODE)

bench: $(INSTALLED) $(BENCH_NODE)
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }
	$(BIN)/python -m pip install --quiet py-spy==0.4.3 aiohttp==3.14.5
	BENCH_COMMAND="make bench" $(BIN)/python -m bench.router.run
	$(BIN)/python -m bench.router.http_clients >> bench/RESULTS.md
	BENCH_COMMAND="make bench" $(BIN)/python -m bench.ap.run

# One post to 10,000 followers on 500 stand-in servers, against one POST per follower; its own section of bench/RESULTS.md.
bench-ap: $(INSTALLED)
	BENCH_COMMAND="make bench-ap" $(BIN)/python -m bench.ap.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
