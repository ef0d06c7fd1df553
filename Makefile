# aimarket — everything a user runs goes through this file.
#   make check   the main job: model checks, proofs, conformance, docs
#   make test    the test suite
#   make bench   benchmarks (ratios against a baseline measured in the same run)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: check test bench docs install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	scripts/debian-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

check: $(STAMP)
	$(BIN)/aimarket simulate --seed 1 --steps 10000 --quiet
	$(BIN)/aimarket check --quiet --report docs/generated/proof-report.json
	$(BIN)/aimarket vectors --check
	$(BIN)/aimarket conform --runner reference
	$(BIN)/aimarket attacks
	$(BIN)/aimarket docs --proof-report docs/generated/proof-report.json

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

docs: $(STAMP)
	$(BIN)/aimarket docs

clean:
	rm -rf $(VENV) site build *.egg-info
