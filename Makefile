# Two commands, each doing its own set-up:  `make main`  and  `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup main test browser lint bench

# Virtual environment with torch pinned to the CPU wheel on this machine's disk, then initref
# with every extra. Re-runs when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[torch,docs,dev]"
	touch $@

setup: $(STAMP)

# Headless Chromium for the docs browser test (Debian packages; needs root, skipped otherwise).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
	  || echo "chromium not installed (not root): the browser test will be skipped"; }

# The main job: prove every derivation, check generated code is current, verify every registered
# activation's derived gain by Monte Carlo (a table of verdicts), build the docs site into site/.
main: setup
	$(BIN)/initref derive --check
	$(BIN)/initref codegen --check
	$(BIN)/initref verify --all
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --site-dir site

# The whole test suite.
test: setup browser
	$(BIN)/python -m pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy initref derivations

bench: setup
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
