# securities-rails: every target installs what it is missing, and is quick when nothing is.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON     ?= python3.11
VENV       := $(CURDIR)/.venv
SOLC_VER   := 0.8.28
NODE_BIN   := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin:$(CURDIR)/node_modules/@foundry-rs/forge-linux-amd64/bin
ANVIL_PORT ?= 8545

export PATH             := $(VENV)/bin:$(NODE_BIN):$(PATH)
export APE_DATA_FOLDER  := $(CURDIR)/.ape-data
export SOLCX_BINARY_PATH:= $(CURDIR)/.solcx
export PYTHONDONTWRITEBYTECODE := 1

PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SOLC       := .solcx/solc-v$(SOLC_VER)
BUILD      := .build/.compiled

.PHONY: help install compile demo test test-python lint node node-stop bench interfaces clean \
	slither slither-checks coverage fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY_STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SOLC): tools/solc.js $(NODE_STAMP)
	@mkdir -p .solcx
	@printf '#!/bin/sh\nexec node "%s/tools/solc.js" "$$@"\n' "$(CURDIR)" > $@
	@chmod +x $@

install: $(PY_STAMP) $(NODE_STAMP) $(SOLC) ## install everything (virtualenv, npm packages, compiler wrapper)

$(BUILD): $(PY_STAMP) $(NODE_STAMP) $(SOLC) ape-config.yaml $(shell find contracts interfaces -name '*.sol' -not -path '*/.cache/*')
	@# --force: ape recompiles only the edited file, so a change to a base contract (TransferRules,
	@# ERC1643Documents, ...) would leave SecurityToken's bytecode stale. This runs only when a
	@# .sol file changed.
	ape compile --force
	@# ape copies the OpenZeppelin sources (700+ files) into contracts/.cache to compile, and
	@# leaves them there; its source scan stops at 500 files, so that copy can hide the project's
	@# own contracts from `project.<Name>`. It is recreated whenever a compile needs it.
	rm -rf contracts/.cache
	$(VENV)/bin/python -m securities_rails.interfaces write
	@touch $@

compile: $(BUILD) ## compile the contracts and regenerate interfaces/abi

interfaces: $(BUILD) ## check interfaces/abi is up to date with the contracts
	$(VENV)/bin/python -m securities_rails.interfaces check

demo: $(BUILD) ## run the whole story end to end on a fresh local Anvil
	APE_FOUNDRY_HOST=auto SECURITIES_RAILS_DEPLOYMENTS=$(CURDIR)/.demo/deployments ape run demo

lint: $(PY_STAMP) ## ruff over the Python code
	ruff check securities_rails scripts tests bench tools
	ruff format --check securities_rails scripts tests bench tools

test-python: $(BUILD) ## pytest through ape, on an Anvil of its own (random port)
	APE_FOUNDRY_HOST=auto ape test tests -q

test: lint slither coverage test-python ## every test: lint, Slither, forge + coverage, pytest on Anvil

# Register round trips measured by `make bench`: the issue's 10,000 (about half an hour per
# database on 2 cores); `make bench LEDGER_MOVEMENTS=500` for a quick look.
LEDGER_MOVEMENTS ?= 10000

bench: $(BUILD) ## benchmarks: gas, bridge throughput, register round trips (bench/results/*.json)
	APE_FOUNDRY_HOST=auto python bench/gas.py
	APE_FOUNDRY_HOST=auto python bench/bridge.py
	APE_FOUNDRY_HOST=auto python bench/ledger.py --movements $(LEDGER_MOVEMENTS)

FORGE := forge

# Forge runs the Solidity unit, fuzz and invariant tests and measures contract coverage in one
# pass (coverage builds without the optimiser; pytest on Anvil runs the production bytecode).
coverage: $(NODE_STAMP) $(SOLC) ## forge tests + coverage gate (>= 95% lines, >= 90% branches of contracts/)
	@mkdir -p .forge
	$(FORGE) coverage --report summary --report lcov --report-file .forge/lcov.info
	python3 tools/coverage_gate.py .forge/lcov.info

fuzz: $(BUILD) ## long runs: forge fuzz/invariants on the production build, hypothesis "fuzz" profile
	FOUNDRY_FUZZ_RUNS=5000 FOUNDRY_INVARIANT_RUNS=512 FOUNDRY_INVARIANT_DEPTH=64 $(FORGE) test
	HYPOTHESIS_PROFILE=fuzz UPGRADES_SLOW_TESTS=1 APE_FOUNDRY_HOST=auto ape test tests -q

# Slither lives in a virtualenv of its own (its solc-select would shadow the compiler wrapper).
SLITHER_VENV  := $(CURDIR)/.venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.installed
SLITHER_CC    := --foundry-ignore-compile --foundry-out-directory .slither/out

$(SLITHER_STAMP): tools/slither-requirements.txt
	@test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/slither-requirements.txt
	@touch $@

slither: $(SLITHER_STAMP) $(NODE_STAMP) $(SOLC) ## Slither over contracts/, gated by security/slither-triage.json
	python3 tools/slither_gate.py

slither-checks: slither ## slither-check-erc (ERC-20) and slither-check-upgradeability
	$(SLITHER_VENV)/bin/slither-check-erc . SecurityToken --erc ERC20 $(SLITHER_CC)
	for c in SecurityToken InvestorRegistry SecurityTokenFactory; do \
	  $(SLITHER_VENV)/bin/slither-check-upgradeability . $$c --new-contract-name $$c \
	    --proxy-name SuiteProxy $(SLITHER_CC) || exit 1; \
	done

node: install ## start a local Anvil that keeps its state in .anvil/state.json
	@mkdir -p .anvil
	@if curl -s -o /dev/null -X POST -H 'content-type: application/json' \
	    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' http://127.0.0.1:$(ANVIL_PORT); then \
	  echo "an Anvil is already listening on port $(ANVIL_PORT)"; \
	else \
	  nohup anvil --port $(ANVIL_PORT) --state .anvil/state.json --state-interval 1 --silent > .anvil/anvil.log 2>&1 & \
	  echo $$! > .anvil/anvil.pid; sleep 1; \
	  echo "Anvil on http://127.0.0.1:$(ANVIL_PORT), state in .anvil/state.json (stop with: make node-stop)"; \
	fi

node-stop: ## stop the Anvil started by make node (its state stays in .anvil/state.json)
	@if [ -f .anvil/anvil.pid ]; then kill $$(cat .anvil/anvil.pid) 2>/dev/null || true; rm -f .anvil/anvil.pid; echo stopped; fi

clean: ## remove build output (not the installs)
	rm -rf .build contracts/.cache out cache .slither .forge
