# Two commands, each doing its own set-up:  `make main`  and  `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup main test browser lint bench

# Virtual environment with torch pinned to the CPU wheel on this machine's disk (and the
# torchvision release built for it, which timm and transformers import), then initref with every
# extra. PyPI's torchvision cannot load its C++ ops beside CPU torch: tools/torchvision_cpu_shim.py,
# installed as a .pth start-up hook, lets its Python code import (see that file). Re-runs when
# pyproject.toml or the shim changes.
$(STAMP): pyproject.toml tools/torchvision_cpu_shim.py
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0 torchvision==0.28.0
	$(BIN)/pip install --quiet -e ".[torch,docs,dev,ecosystem]" torch==2.13.0 torchvision==0.28.0
	site=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	  cp tools/torchvision_cpu_shim.py "$$site/" && echo "import torchvision_cpu_shim" > "$$site/torchvision_cpu_shim.pth"
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
