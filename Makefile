# earlyhelp: `make demo` and `make test` set up a fresh machine by themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EARLYHELP := $(VENV)/bin/earlyhelp
DEMO ?= demo-output
# Test-only DfE rule validators pin old pandas/numpy, so they live in their own environment.
DFE_VENV ?= .venv-dfe

.PHONY: install system-deps dfe-validators web-assets demo test test-fast check format bench clean

install: $(VENV)/.installed web-assets

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

# Debian's chromium for browser tests (Playwright drives it; no browser download).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The portal's GOV.UK Frontend (and axe-core for its browser test) from npm, not committed.
WEB_ASSETS ?= src/earlyhelp/web/assets
web-assets: $(WEB_ASSETS)/.installed

$(WEB_ASSETS)/.installed:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's npm for the portal's assets..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	mkdir -p $(WEB_ASSETS)
	npm install --silent --no-audit --no-fund --save-exact --prefix $(WEB_ASSETS) govuk-frontend@5.14.0 axe-core@4.14.1
	touch $@

dfe-validators: $(DFE_VENV)/.installed

$(DFE_VENV)/.installed:
	test -x $(DFE_VENV)/bin/python || $(PYTHON) -m venv $(DFE_VENV)
	$(DFE_VENV)/bin/python -m pip install -q --disable-pip-version-check \
	  "csc-validator-be-cin==0.1.13" "csc-validator-be-903==0.1.17"
	touch $@

demo: install
	$(PY) -m earlyhelp.demo --out $(DEMO)

test: install system-deps dfe-validators web-assets
	$(PY) -m pytest -m "" -n 2 --dist loadgroup -q

# Lint, formatting and types: CI fails on any finding.
check: install
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts
	$(VENV)/bin/ruff format src tests benchmarks scripts

test-fast: install
	$(PY) -m pytest -q

bench: install
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DFE_VENV) $(DEMO) $(WEB_ASSETS) build *.egg-info src/*.egg-info
