# textgen-bench — two commands on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# A GPU user overrides the pin, e.g.  make bench TORCH="torch==2.13.0" TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu126"
# A changed TORCH or TORCH_INDEX reinstalls torch in the existing .venv.
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
CONFIG ?= benchmarks/configs/quick.toml
ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.textgen-bench-installed
TORCH_WANTED := $(VENV)/.torch-wanted
TORCH_INSTALLED := $(VENV)/.torch-installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: setup bench test lint perf report clean FORCE

setup: $(STAMP)

# Rewritten only when the torch spec changes, so that change (and only it) redoes the set-up.
$(TORCH_WANTED): FORCE
	@mkdir -p $(VENV)
	@echo '$(TORCH) $(TORCH_INDEX)' | cmp -s - $@ || echo '$(TORCH) $(TORCH_INDEX)' > $@

$(STAMP): pyproject.toml Makefile $(TORCH_WANTED)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@cmp -s $(TORCH_WANTED) $(TORCH_INSTALLED) || { echo "installing $(TORCH) $(TORCH_INDEX)"; \
		$(PIP) --force-reinstall "$(TORCH)" $(TORCH_INDEX) && cp $(TORCH_WANTED) $(TORCH_INSTALLED); }
	$(PIP) -e ".[test]"
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
