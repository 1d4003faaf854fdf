# One way to run things. `make install` creates .venv; every other target uses it.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PROTO_FILES := $(wildcard protos/wholesale/v1/*.proto)
GOOGLEAPIS = $(shell $(PY) -c 'import google.type, os; print(os.path.dirname(os.path.dirname(google.type.__path__[0])))')

.PHONY: install proto proto-check third-party lint typecheck breaking test serve bench clean

install:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'

# Regenerates client/wholesale/v1 from protos/ (messages, gRPC stubs, typed .pyi stubs).
proto:
	rm -f client/wholesale/v1/*_pb2*.py client/wholesale/v1/*_pb2*.pyi
	PATH="$(BIN):$$PATH" $(PY) -m grpc_tools.protoc -Iprotos -I$(GOOGLEAPIS) \
		--python_out=client --grpc_python_out=client \
		--mypy_out=client --mypy_grpc_out=client \
		$(PROTO_FILES)

# Fails if the committed generated code differs from what `make proto` produces.
proto-check: proto
	git diff --exit-code --stat -- client/wholesale/v1
	test -z "$$(git status --porcelain -- client/wholesale/v1)"

# The googleapis types the contract imports, copied from the installed package (not committed).
third-party:
	rm -rf protos/third_party && mkdir -p protos/third_party/google/type
	cp $(GOOGLEAPIS)/google/type/money.proto $(GOOGLEAPIS)/google/type/date.proto \
		$(GOOGLEAPIS)/google/type/decimal.proto $(GOOGLEAPIS)/google/type/timeofday.proto \
		protos/third_party/google/type/

# buf lint, ruff, the layering contracts (import-linter, see pyproject.toml).
lint: third-party
	cd protos && ../$(BIN)/buf lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# mypy on the server and the client (settings in pyproject.toml).
typecheck:
	$(BIN)/mypy server/wholesale/server client/wholesale/client

# Fails if protos/ would break stubs generated from any earlier commit of the contract.
breaking: third-party
	protos/breaking.sh $(BIN)/buf

test:
	$(BIN)/pytest $(PYTEST_ARGS)

serve:
	$(BIN)/wholesale-server serve

# BENCH_ARGS go to the RPC benchmark, IMPORT_BENCH_ARGS (e.g. --lines 200000) to the import one,
# SUMMARY_BENCH_ARGS (e.g. --copies 10) to the summary one, PRICING_BENCH_ARGS (e.g.
# --database URL) to the pricing one, CONFLICTS_BENCH_ARGS (e.g. --products 2500) to the
# conflicts one.
bench:
	$(PY) bench/bench_accounts.py $(BENCH_ARGS)
	$(PY) bench/bench_import.py $(IMPORT_BENCH_ARGS)
	$(PY) bench/bench_summary.py $(SUMMARY_BENCH_ARGS)
	$(PY) bench/bench_pricing.py $(PRICING_BENCH_ARGS)
	$(PY) bench/bench_conflicts.py $(CONFLICTS_BENCH_ARGS)

clean:
	rm -rf protos/third_party .pytest_cache build *.egg-info
