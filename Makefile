# The two commands: 'make run' and 'make test'. Everything they need is installed from here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench clean chromium

$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-bench

# Locust, for the load test (benchmarks/load.py); the tests run it at a tiny size too.
$(VENV)/.installed-bench: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed-run

# One process: the database made ready (demo data the first time), then served; the admin's
# password and the demo's invite code end the start-up output, framed.
run: $(VENV)/.installed-run
	$(BIN)/phocap run --init --demo

# The browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check core handlers storage documents bot admin tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Performance figures (issues 8 and 21), at a size that takes a few minutes here; not tests.
# PHOCAP_BENCH_POSTGRES_URL=postgresql+asyncpg://... adds PostgreSQL (the load test then runs
# on it instead of SQLite); see benchmarks/README.md.
BENCHMARKS := conversations allocation report admin_list import_xlsx admin_pages load
bench: $(VENV)/.installed-bench
	for b in $(BENCHMARKS); do $(BIN)/python -m benchmarks.$$b || exit 1; done

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) phocap.db phocap.db-wal phocap.db-shm test-output
