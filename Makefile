# The two commands of the README: `make serve` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install serve test lint format bench sweep clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# GraphiQL's assets (app/graphiql.py): the exact versions of graphiql/package-lock.json.
GRAPHIQL := graphiql/node_modules/.installed-stamp
# The bench's peer (bench/peer/): PostGraphile 5 and Node 22 (the `node` npm package, whose
# install script fetches its binary from the npm registry: no --ignore-scripts). Installed by
# `make bench` only, never by `make test`; without npm the bench says why and skips the peer.
PEER ?= on
PEER_JS := bench/peer/node_modules/.installed-stamp
# Node tools the tests drive (graphql-http audit, playwright-core for Debian's chromium).
TEST_JS := tests/js/node_modules/.installed-stamp

$(GRAPHIQL): graphiql/package.json graphiql/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: GraphiQL stays off until Node.js is installed"; exit 0; }; \
	cd graphiql && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch node_modules/.installed-stamp

$(TEST_JS): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

$(PEER_JS): bench/peer/package.json bench/peer/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the bench skips the PostGraphile peer"; exit 0; }; \
	cd bench/peer && { npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed-stamp; } \
	|| echo "npm ci failed in bench/peer: the bench skips the PostGraphile peer"

install: $(STAMP) $(GRAPHIQL)

serve: install
	$(BIN)/vanta serve

test: install $(TEST_JS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make bench PEER=off` measures our server alone.
bench: install $(if $(filter off,$(PEER)),,$(PEER_JS))
	VANTA_BENCH_PEER=$(PEER) $(BIN)/python -m bench.run

sweep: install
	$(BIN)/python -m bench.sweep

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info graphiql/node_modules tests/js/node_modules \
	bench/peer/node_modules
