# The two commands of the README: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml package-lock.json | sha256sum | cut -c1-12)
SPECS  := $(shell find specs -name '*.yaml' | sort)
# checkov and cfripper (tests/test_scanners.py) live in their own virtualenv: their pins clash with ours.
SCAN_VENV  := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(shell cat requirements-scan.txt | sha256sum | cut -c1-12)

.PHONY: run test test-fast mutation templates docs lint bench clean

$(STAMP): pyproject.toml package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# pip compiles an installed package's bytecode; an editable install leaves it to the first run, which
	@# cannot write it when PYTHONDONTWRITEBYTECODE is set: compiled here, every `specc` starts 80 ms sooner.
	$(BIN)/python -m compileall -q src
	npm ci --no-audit --no-fund
	@rm -f $(VENV)/.installed-* && touch $@

$(SCAN_STAMP): requirements-scan.txt
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements-scan.txt
	@rm -f $(SCAN_VENV)/.installed-* && touch $@

## run: set up, compile and lint specs/prod.yaml, deploy it to a local emulator and roll it out
run: $(STAMP)
	$(BIN)/specc compile specs/prod.yaml
	$(BIN)/specc lint specs/prod.yaml
	bash scripts/run-local.sh

## test: set up and run the whole suite (what CI runs)
test: $(STAMP) $(SCAN_STAMP)
	$(BIN)/python -m pytest

## test-fast: the suite without slow tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

## mutation: mutation-test the compiler's core (mutmut; groups in pyproject's [tool.specc.mutation]); minutes per
## group, not part of `make test`. One group: `make mutation GROUPS=iam`. Results: bench/mutation.md
GROUPS ?=
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	nice -n 10 $(BIN)/python scripts/mutation.py $(GROUPS)

## templates: recompile every spec into templates_out/ (read the diff before committing it)
templates: $(STAMP)
	@for spec in $(SPECS); do $(BIN)/specc compile $$spec || exit 1; done

## docs: regenerate docs/spec-reference.md and schema/specc.schema.json from the models
docs: $(STAMP)
	$(BIN)/specc docs > docs/spec-reference.md
	$(BIN)/specc schema > schema/specc.schema.json

lint: $(STAMP)
	@for spec in $(SPECS); do $(BIN)/specc lint $$spec || exit 1; done

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) $(SCAN_VENV) build .pytest_cache .hypothesis
