# congvu-mail: set-up, lint, tests and demo. `make test` is what CI runs (.ci/run).
# Every target uses the tools in .venv (PATH below): nothing needs to be activated by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Ansible ignores an ansible.cfg in a world-writable directory; naming it explicitly always works.
# (molecule points ANSIBLE_CONFIG at its own generated file for the runs it makes.)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS ?= 0
export ANSIBLE_FORCE_COLOR ?= 0

# every scenario under molecule/, `full` (the whole stack on one host) last
SCENARIOS_ALL := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
SCENARIOS ?= $(filter-out full,$(SCENARIOS_ALL)) $(filter full,$(SCENARIOS_ALL))
# molecule finds this file by itself only at the root of a git checkout: name it, so that a copy
# without .git (a release tarball) runs the same scenarios.
MOLECULE := molecule --base-config $(CURDIR)/.config/molecule/config.yml

.PHONY: help bootstrap lint unit plan molecule test demo demo-down clean distclean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_%-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  scenarios: $(SCENARIOS)"

bootstrap: ## install packages, .venv, start docker, build the test image (idempotent)
	bash scripts/bootstrap.sh

lint: ## yamllint, ansible-lint, ruff
	yamllint --strict .
	ansible-lint
	ruff check .

unit: ## pytest: the policy core (tests/unit) and the playbooks run as an operator would (tests/playbooks)
	pytest -q tests
	python tools/make_demo_roster.py --check
	python tools/make_demo_state.py --check

ROSTER ?= inventories/demo/roster
PLAN_DIR ?= .plan
plan: ## plan a roster offline: make plan ROSTER=inventories/<env>/roster [STATE=state.json]
	ansible-playbook -i $(dir $(patsubst %/,%,$(ROSTER)))hosts.yml playbooks/roster_plan.yml \
	  -e roster_path=$(abspath $(ROSTER)) -e plan_dir=$(abspath $(PLAN_DIR)) \
	  $(if $(STATE),-e state_path=$(abspath $(STATE)))

# Runs every scenario even when one fails, then prints one summary line and fails if any did.
molecule: ## molecule test, one scenario after the other (SCENARIOS="a b" to choose)
	@passed=0; failed=0; failed_names=""; \
	for s in $(SCENARIOS); do \
	  start=$$(date +%s); echo "=== molecule test -s $$s"; \
	  if $(MOLECULE) test -s "$$s"; then passed=$$((passed+1)); r=passed; \
	  else failed=$$((failed+1)); failed_names="$$failed_names $$s"; r=FAILED; fi; \
	  echo "=== molecule scenario $$s: $$r in $$(( $$(date +%s) - start ))s"; \
	done; \
	[ -z "$$failed_names" ] || echo "=== failed scenarios:$$failed_names"; \
	echo "molecule: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

molecule-%: ## molecule test of one scenario, e.g. make molecule-common
	$(MOLECULE) test -s $*

# Sub-makes keep the order even under `make -j`.
test: ## everything CI runs: bootstrap, lint, unit, molecule
	@$(MAKE) bootstrap
	@$(MAKE) lint
	@$(MAKE) unit
	@$(MAKE) molecule

demo: bootstrap ## bring up the demo province (playbooks/demo.yml)
	ansible-playbook playbooks/demo.yml

demo-down: ## remove the demo: its container, network and .demo/ (nothing keeps running)
	-docker rm -f congvu-demo-mail >/dev/null 2>&1
	-docker network rm congvu-demo >/dev/null 2>&1
	rm -rf .demo

clean: ## destroy molecule instances, remove caches (keeps .venv and the image)
	-[ ! -x $(VENV)/bin/molecule ] || ! docker version >/dev/null 2>&1 || $(MOLECULE) destroy --all
	rm -rf .cache .demo .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv and the test images too
	rm -rf $(VENV)
	-docker image rm local/bookworm-systemd local/bookworm-minbase
