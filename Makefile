# Tandem developer commands. Needs only python3 (3.11) and make; see DEVELOPERS.md.
#
#   make run     set up .venv, migrate, load the demo clinic once, serve http://127.0.0.1:8000/
#   make test    ruff + pytest on SQLite and on a throw-away PostgreSQL 15 (scripts/test.sh)
#   make bench   benchmarks (bench/) -> bench/results/
#   make lint    ruff check + ruff format --check
#   make fmt     ruff format + ruff check --fix
#   make venv    only (re)build .venv from uv.lock
#   make clean   remove .venv .tools var

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
STAMP := $(VENV)/.tandem-synced

.PHONY: help run test bench lint fmt venv clean

help:
	@sed -n 's/^#   make /  make /p' $(firstword $(MAKEFILE_LIST))

# Re-sync only when the lock file or pyproject.toml changed (or .venv was removed).
venv: $(STAMP)

$(STAMP): uv.lock pyproject.toml
	bash scripts/bootstrap.sh
	@touch $@

run: venv
	bash scripts/run.sh

# scripts/test.sh builds the venv itself (make venv) as its first step.
test:
	bash scripts/test.sh

bench: venv
	@if [ -f bench/__main__.py ]; then \
		mkdir -p bench/results && \
		TANDEM_BENCH_RESULTS=bench/results $(VENV)/bin/python -m bench; \
	else \
		echo "bench: no benchmarks yet (bench/__main__.py does not exist)"; \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf .venv .tools var
