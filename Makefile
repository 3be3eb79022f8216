# textgen-bench — two commands on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# Every dependency's exact version (torch's included), made by `make lock`; pip installs with it as
# constraints, so a set-up next month gets the same versions as today's.
LOCK := requirements.lock
# torch is installed first, by itself, at the lock's version. A GPU user picks another build of that
# version, e.g.  make bench TORCH="torch==2.13.0" TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu126"
# (a local label such as +cu126 satisfies the lock's torch==2.13.0; another version needs a new lock:
# make lock LOCK_ARGS="--upgrade-package torch==X.Y.Z").
# Given on the command line (or in the environment), a TORCH or TORCH_INDEX different from the
# installed one reinstalls torch in the existing .venv; a later plain `make` keeps that torch.
TORCH ?= torch==$(shell sed -n 's/^torch==\([^ ]*\).*/\1/p' $(LOCK))
TORCH_INDEX ?=
CONFIG ?= benchmarks/configs/quick.toml
ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.textgen-bench-installed
TORCH_WANTED := $(VENV)/.torch-wanted
TORCH_INSTALLED := $(VENV)/.torch-installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: setup lock bench test lint perf report docs clean FORCE

setup: $(STAMP)

TORCH_GIVEN := $(filter command line environment,$(origin TORCH) $(origin TORCH_INDEX))

# Rewritten only when a given torch spec differs from the recorded one, so that (and only that)
# redoes the set-up.
$(TORCH_WANTED): FORCE
	@mkdir -p $(VENV)
	@if [ -n "$(TORCH_GIVEN)" ] || [ ! -f $@ ]; then \
		echo '$(TORCH) $(TORCH_INDEX)' | cmp -s - $@ || echo '$(TORCH) $(TORCH_INDEX)' > $@; fi

$(STAMP): pyproject.toml Makefile $(LOCK) $(TORCH_WANTED)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@cmp -s $(TORCH_WANTED) $(TORCH_INSTALLED) || { echo "installing $$(cat $(TORCH_WANTED))"; \
		$(BIN)/python -m pip uninstall --quiet --yes torch 2>/dev/null; \
		$(PIP) $$(cat $(TORCH_WANTED)) && cp $(TORCH_WANTED) $(TORCH_INSTALLED); }
	$(PIP) --constraint $(LOCK) -e ".[test,ray]"
	@touch $(STAMP)

# Refreshes the lock after a change to pyproject.toml's dependencies, keeping every pin that still
# fits; LOCK_ARGS=--upgrade moves every pin to the newest release. torch must resolve to its CPU build
# (this project's machines serve it from their disk; elsewhere add
# LOCK_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"): the lock then holds none of the
# CUDA packages, which a GPU build of torch brings in versions of its own. The local label (+cpu) is
# dropped, so any build of that torch version satisfies the lock.
PIP_TOOLS ?= pip-tools==7.7.0
LOCK_ARGS ?=
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --constraint $(LOCK) $(PIP_TOOLS)
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra test --extra ray --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links --output-file $(LOCK) $(LOCK_ARGS) pyproject.toml
	sed -i 's/^torch==\([^+ ]*\)+[^ ]*/torch==\1/' $(LOCK)

bench: setup
	$(BIN)/textgen-bench run --config $(CONFIG) $(ARGS)

# The test files run in parallel, one per core (a file's tests stay together: they share fixtures
# such as a Ray instance); TEST_JOBS=0 runs them in this process.
TEST_JOBS ?= auto
test: setup
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(ARGS)

lint: setup
	$(BIN)/ruff check .

# Speed benchmarks (pytest-benchmark); results saved as JSON under reports/perf/.
perf: setup
	@mkdir -p reports/perf
	$(BIN)/python -m pytest benchmarks/perf --benchmark-enable --benchmark-json=reports/perf/perf-$$(date +%Y%m%d-%H%M%S).json $(ARGS)

report: setup
	$(BIN)/textgen-bench report reports/latest $(ARGS)

# docs/metrics.md from the metric modules' docstrings (tests/test_docs.py checks it is up to date).
docs: setup
	$(BIN)/python -m benchmarks.docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks
