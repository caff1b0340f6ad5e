# Carenotes. Two commands on a fresh machine: `make run` and `make test`.
#
# Installs come from the hash-locked files in requirements/ (pip --require-hashes), so
# two installs a day apart are the same: runtime.txt for `make run`, dev.txt (runtime
# plus tools and test libraries) for everything else, build.txt for the build backend.
# The project itself is installed last, with --no-deps. `make lock` re-resolves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --require-hashes --no-deps
LOCKS := requirements/runtime.txt requirements/dev.txt requirements/build.txt
locks_hash = $(shell cat pyproject.toml $(1) | sha1sum | cut -c1-12)
RUNTIME_STAMP := $(VENV)/.runtime-$(call locks_hash,requirements/runtime.txt requirements/build.txt)
DEV_STAMP := $(VENV)/.dev-$(call locks_hash,$(LOCKS))
COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --no-emit-index-url \
	--no-emit-find-links --strip-extras
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test lint proto proto-check docs docs-check contract contract-check eval bench \
	dev-certs install install-runtime lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml requirements/runtime.txt requirements/build.txt | $(PY)
	$(PIP) -r requirements/build.txt -r requirements/runtime.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.runtime-* && touch $(RUNTIME_STAMP)

$(DEV_STAMP): pyproject.toml $(LOCKS) | $(PY)
	$(PIP) -r requirements/build.txt -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.dev-* $(VENV)/.runtime-* && touch $(DEV_STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(DEV_STAMP)

# Runtime dependencies only: a server needs none of the test and lint tools.
run: $(RUNTIME_STAMP)
	$(VENV)/bin/carenotes-server serve

# Re-resolves the locks from pyproject.toml (needs the index; the dev venv has pip-tools).
lock: $(DEV_STAMP)
	$(COMPILE) --extra tracing --output-file requirements/runtime.txt pyproject.toml
	$(COMPILE) --extra tracing --extra openai --extra dev --output-file requirements/dev.txt pyproject.toml
	$(COMPILE) --output-file requirements/build.txt requirements/build.in

proto: $(DEV_STAMP)
	PYTHON=$(PY) scripts/gen_protos.sh

proto-check: $(DEV_STAMP)
	scripts/check_generated.sh

# buf lint (STANDARD, exceptions in buf.yaml) and buf breaking against the committed
# descriptor image protos/carenotes.binpb (see docs/design.md, "Contract checks").
contract-check: $(DEV_STAMP)
	scripts/check_contract.sh

# After a deliberate, reviewed contract change: the new protos become the reference.
contract: $(DEV_STAMP)
	scripts/check_contract.sh --update

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check server client tests bench scripts
	$(VENV)/bin/ruff format --check server client tests bench scripts
	$(VENV)/bin/mypy server client tests bench

test: $(DEV_STAMP) proto-check docs-check contract-check lint
	$(VENV)/bin/pytest -q

docs: $(DEV_STAMP)
	$(PY) scripts/gen_api_docs.py > docs/api.md

docs-check: $(DEV_STAMP)
	$(PY) scripts/gen_api_docs.py --check docs/api.md

dev-certs: $(RUNTIME_STAMP)
	$(PY) scripts/dev_certs.py certs

eval: $(DEV_STAMP)
	$(PY) -m tests.eval.score

bench: $(DEV_STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
