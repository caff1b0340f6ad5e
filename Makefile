# Carenotes. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test lint proto proto-check docs docs-check eval bench dev-certs install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/carenotes-server serve

proto: $(STAMP)
	PYTHON=$(PY) scripts/gen_protos.sh

proto-check: $(STAMP)
	scripts/check_generated.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check server client tests bench scripts
	$(VENV)/bin/ruff format --check server client tests bench scripts
	$(VENV)/bin/mypy server client tests bench

test: $(STAMP) proto-check docs-check lint
	$(VENV)/bin/pytest -q

docs: $(STAMP)
	$(PY) scripts/gen_api_docs.py > docs/api.md

docs-check: $(STAMP)
	$(PY) scripts/gen_api_docs.py --check docs/api.md

dev-certs: $(STAMP)
	$(PY) scripts/dev_certs.py certs

eval: $(STAMP)
	$(PY) -m tests.eval.score

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
