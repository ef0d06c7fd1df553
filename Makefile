# aimarket — everything a user runs goes through this file.
#   make check       the main job: model checks, proofs, conformance, docs
#   make check-large the concurrent instance (three owners, three vendors, two jobs sharing
#                    a vendor and a dataset) checked in full with the misuse reduction, then
#                    its pinned test (coverage but for the pairs it cannot reach) with the fast
#                    explorer's agreement with the spec's on every transition of it, both
#                    with time and symmetry abstraction (decisions 0100, 0110): minutes,
#                    so not part of make check (decision 0056); then the incentive analysis
#                    of 3 owners x 3 vendors at T = 2 and T = 8 and the fast game build
#                    compared with the plain walk on large shapes (decision 0097), and the
#                    every-shape results with them and four more shapes, every closed
#                    form derived at degree two (decision 0115)
#   make test        the linter (ruff), the type checker (mypy), then the test suite
#   make bench       benchmarks (ratios against a baseline measured in the same run)
#   make lock        refresh requirements.lock (and the crosscheck lock) from pyproject.toml,
#                    keeping every pin its range still admits
#   make upgrade     the same, moving every package to the newest release its range admits
#   make crosscheck  every committed generated file checked again under other releases of
#                    the libraries that could leak into it (scripts/crosscheck-versions.txt)
#
# `make` installs into .venv exactly what requirements.lock names, hash-checked, then the
# project itself without resolving anything again; it redoes this whenever pyproject.toml
# or the lock changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
XVENV  := .venv-crosscheck
XLOCK  := requirements-crosscheck.lock
UV_VERSION := 0.13.9

.PHONY: check check-large test bench docs install lock upgrade crosscheck clean

install: $(STAMP)

# A locked environment: hash-checked, no resolution (--no-deps: the lock is complete),
# the build backend from the lock too (--no-build-isolation), then pip's consistency check.
define locked-venv
	$(PYTHON) -m venv --clear $(1)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(2)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(1)/bin/python -m pip check
endef

$(STAMP): pyproject.toml $(LOCK)
	scripts/debian-packages
	$(call locked-venv,$(VENV),$(LOCK))
	touch $(STAMP)

check: $(STAMP)
	$(BIN)/aimarket simulate --seed 1 --steps 10000 --quiet
	$(BIN)/aimarket check --quiet --report docs/generated/proof-report.json
	$(BIN)/aimarket vectors --check
	$(BIN)/aimarket conform --runner reference
	$(BIN)/aimarket attacks
	$(BIN)/aimarket docs --proof-report docs/generated/proof-report.json

LARGE_INSTANCE := --instance data_owners=3 --instance developers=2 --instance vendors=3 \
                  --instance jobs=2 --instance datasets_per_job=2 --instance vendors_per_job=2 \
                  --instance steps=1

check-large: $(STAMP)
	$(BIN)/aimarket check $(LARGE_INSTANCE) --reduction misuse --kind invariant --kind safety \
	    --kind deadlock --kind termination --kind goal --kind abstraction
	AIMARKET_LARGE_CHECKS=1 $(BIN)/python -m pytest tests/proofs/test_concurrent_instance.py -q
	AIMARKET_LARGE_CHECKS=1 $(BIN)/python -m pytest tests/incentives/test_fast_build.py tests/incentives/test_large_shapes.py -q

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

docs: $(STAMP)
	$(BIN)/aimarket docs

# uv is the lock tool; it is needed only to refresh the lock, so it is installed on demand
# into a venv of its own (the project's venv may not install until the lock is refreshed).
TOOLS := .venv-tools
lock upgrade:
	test -x $(TOOLS)/bin/uv || { $(PYTHON) -m venv $(TOOLS) && \
	  $(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	UV=$(TOOLS)/bin/uv scripts/lock $(if $(filter upgrade,$@),--upgrade)

crosscheck: $(STAMP)
	$(call locked-venv,$(XVENV),$(XLOCK))
	scripts/crosscheck $(XVENV)

clean:
	rm -rf $(VENV) $(XVENV) $(TOOLS) site build *.egg-info
