# textgen-bench — two commands on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# A GPU user overrides the pin, e.g.  make bench TORCH="torch==2.5.1" TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu124"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
CONFIG ?= benchmarks/configs/quick.toml
ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.textgen-bench-installed

.PHONY: setup bench test lint perf report clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)" $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

bench: setup
	$(BIN)/textgen-bench run --config $(CONFIG) $(ARGS)

test: setup
	$(BIN)/python -m pytest $(ARGS)

lint: setup
	$(BIN)/ruff check .

# Speed benchmarks (pytest-benchmark); results saved as JSON under reports/perf/.
perf: setup
	@mkdir -p reports/perf
	$(BIN)/python -m pytest benchmarks/perf --benchmark-enable --benchmark-json=reports/perf/perf-$$(date +%Y%m%d-%H%M%S).json $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks
