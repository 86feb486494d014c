# Every target bootstraps .venv from the repository's own files (pyproject.toml + constraints.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mlplat-installed
STACK  ?= dev
FORMAT ?= text
PLAN_ARGS ?=

.PHONY: plan test bench schema policy-config docs lint layers clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

## plan: the offline plan of a stack (default dev): resources, settings, checks
plan: $(STAMP)
	$(BIN)/mlplat plan --stack $(STACK) --format $(FORMAT) $(PLAN_ARGS)

## test: the whole suite
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

## bench: timings as ratios against a baseline measured in the same run (writes bench/results.json)
bench: $(STAMP)
	$(BIN)/python -m bench

## schema: regenerate the JSON Schemas of the stack file from PlatformConfig
schema: $(STAMP)
	$(BIN)/mlplat schema --out schemas

## policy-config: regenerate policies/config/<env>.json (levels, waivers, settings of the pack folder policies/) and examples/multi-account's
policy-config: $(STAMP)
	$(BIN)/mlplat policy-config --policy-pack policies
	$(BIN)/mlplat policy-config --policy-pack examples/multi-account/policies

## docs: regenerate docs/GOVERNANCE.md from the rules' metadata and policies/catalogue.yaml
docs: $(STAMP)
	$(BIN)/mlplat rules --format markdown --out docs/GOVERNANCE.md

## lint: the import layers (import-linter) and the GitHub workflows (zizmor --offline, the workflow JSON schema)
lint: $(STAMP) layers
	$(BIN)/zizmor --offline .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

## layers: check the direction of imports on the installed layout (components/ and policies/ inside mlplat/)
layers: $(STAMP)
	$(BIN)/python tools/check_layers.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build
