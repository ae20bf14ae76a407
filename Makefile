# xietong (协同) — the two commands are `make run` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
# uv: on PATH, else ~/.local/bin (where earlier versions installed it), else our own venv.
UV_BOOTSTRAP := $(CURDIR)/.local/uv-bootstrap
UV ?= $(shell command -v uv 2>/dev/null || { test -x "$(HOME)/.local/bin/uv" && echo "$(HOME)/.local/bin/uv"; } || echo "$(UV_BOOTSTRAP)/bin/uv")
export UV_LINK_MODE ?= copy
# Bytecode out of the tree, but kept: `make test` starts a hundred Python processes (services
# under test, the CLI, schemathesis), and where PYTHONDONTWRITEBYTECODE is set (as in some CI
# images) each of them compiled the whole stack again — half of a process's start-up CPU.
export PYTHONPYCACHEPREFIX ?= $(CURDIR)/.local/pycache
unexport PYTHONDONTWRITEBYTECODE
# GmSSL's C SM2/SM3 (the sm-native extra) has x86_64 wheels only: elsewhere (ARM64) the
# pure-Python implementation alone, which gives the same results (docs/audit.md).
EXTRAS := $(if $(filter x86_64,$(shell uname -m)),--all-extras,)

.PHONY: help install run test unit lint bench faults stack-up stack-down docs clean
.DEFAULT_GOAL := help

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

install:  ## uv (if missing: from PyPI into a venv, .local/uv-bootstrap) and every workspace package
	@command -v $(UV) >/dev/null 2>&1 || .ci/bootstrap-uv "$(UV_BOOTSTRAP)" >/dev/null
	@$(UV) --version
	$(UV) sync --all-packages --frozen $(EXTRAS)

run: install  ## Kafka + PostgreSQL, migrations, the seven services (Ctrl-C stops them)
	$(UV) run xietong run

# `make test` runs the suite in TEST_WORKERS processes (pytest-xdist; default: one more than
# the CPUs, which keeps them busy while a worker waits on its services: 2 cores, quiet, 2
# workers 668 s at 91% busy, 3 workers 618–685 s at 93–98%),
# then, in one process, the few tests marked `alone` (they restart a shared server). Each run
# ends with its 25 slowest tests, so a CI log says where the suite's time goes.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2) + 1 )))

test: install  ## unit + integration tests on the real stack (started here if not running)
	$(UV) run xietong stack up
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadgroup -m "not alone" --durations=25; first=$$?; \
	  $(UV) run pytest -m alone; second=$$?; \
	  for status in $$first $$second; do \
	    if [ $$status -ne 0 ] && [ $$status -ne 5 ]; then exit $$status; fi; \
	  done; \
	  if [ $$first -eq 5 ] && [ $$second -eq 5 ]; then echo "no tests collected"; fi

unit: install  ## only the tests that need no servers
	$(UV) run pytest -m "not integration"

lint: install  ## ruff, ruff format --check, mypy --strict (CI runs it beside the tests)
	$(UV) run ruff check libs services tests bench
	$(UV) run ruff format --check libs services tests bench
	$(UV) run mypy --strict libs/common/src libs/devtools/src services/*/src

bench: install  ## throughput and latency figures beside baselines (not part of `make test`)
	$(UV) run xietong stack up
	$(UV) run python -m bench

faults: install  ## load + kill -9, broker and PostgreSQL restarts on the harness's own servers; exit 1 if anything was lost or doubled (FAULTS_ARGS="--duration 600"; docs/faults.md)
	$(UV) run xietong faults $(FAULTS_ARGS)

stack-up: install  ## start the local Kafka + PostgreSQL (idempotent)
	$(UV) run xietong stack up

stack-down:  ## stop what the local stack started
	$(UV) run xietong stack down

docs: install  ## regenerate docs/events.md and docs/asyncapi.yaml from the contracts
	$(UV) run xietong docs

clean:  ## stop the stack, delete its data (.local/; as root also /var/lib/xietong-pg/<digest>) and the caches
	$(UV) run xietong stack down --delete-data
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
