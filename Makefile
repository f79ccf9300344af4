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

# every scenario under molecule/ (the whole stack on one host is the demo's, tests/playbooks/demo)
# Scenarios run by hand only (make molecule-cluster), each saying why in its molecule.yml: `cluster`, the two
# directory providers alone, whose tests `pair` runs too beside the mail pair.
MANUAL_SCENARIOS := cluster
SCENARIOS_ALL := $(filter-out $(MANUAL_SCENARIOS),$(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
SCENARIOS ?= $(SCENARIOS_ALL)
# molecule finds this file by itself only at the root of a git checkout: name it, so that a copy
# without .git (a release tarball) runs the same scenarios.
MOLECULE := molecule --base-config $(CURDIR)/.config/molecule/config.yml

.PHONY: help bootstrap lint sanity-venv readmes unit playbooks plan molecule integration bench-smoke conformance test demo demo-down clean distclean

# The repository as the collection congvu.mail (ansible.cfg collections_path): every target that runs
# Ansible or imports the plugins needs this link first.
COLLECTION_LINK := .cache/collections/ansible_collections/congvu/mail
$(COLLECTION_LINK):
	bash scripts/collection-link.sh

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_%-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  scenarios: $(SCENARIOS)"

bootstrap: ## install packages, .venv, start docker, build the test image (idempotent)
	bash scripts/bootstrap.sh

lint: $(COLLECTION_LINK) ## yamllint, ansible-lint, ruff, the roles' argument specs and READMEs, promtool check rules, ansible-test sanity
	yamllint --strict .
	ansible-lint
	ruff check .
	python3 tools/check_role_specs.py --strict
	python3 tools/role_readme.py --check
	bash scripts/alert-rules.sh check
	bash scripts/sanity.sh

sanity-venv: $(COLLECTION_LINK) ## ansible-test sanity's tests that run in virtualenvs of their own (import, pylint, pep8, validate-modules, ...): a job of make integration
	bash scripts/sanity.sh --venv

readmes: ## write each role's README.md from its meta/argument_specs.yml (lint checks they are up to date)
	python3 tools/role_readme.py

# Every test suite leaves its JUnit XML here; tools/conformance.py reads them (make conformance).
JUNIT := .cache/junit

unit: $(COLLECTION_LINK) ## pytest of the policy core and the modules (tests/unit, no server), the demo data generators, promtool test rules
	pytest -q tests/unit --junit-xml=$(JUNIT)/unit.xml
	bash scripts/alert-rules.sh test
	python tools/make_demo_roster.py --check
	python tools/make_demo_state.py --check

playbooks: $(COLLECTION_LINK) ## pytest: the playbooks run as an operator would (tests/playbooks: the plan, the installed collection, the whole demo and the system tests on its host)
	pytest -q -s tests/playbooks --junit-xml=$(JUNIT)/playbooks.xml --durations=15

ROSTER ?= inventories/demo/roster
PLAN_DIR ?= .plan
# FORGE=github|gitlab (the pull-request job): also annotate the roster files with the plan's errors and
# notices, whether the plan passed or not (tools/roster_ci.py); the exit status is the plan's.
# CONGVU_LANGUAGE=en: plan.md, the messages and the annotations in English (docs/translations.md).
plan: $(COLLECTION_LINK) ## plan a roster offline: make plan ROSTER=inventories/<env>/roster [STATE=state.json] [FORGE=github]
	rc=0; ansible-playbook -i $(dir $(patsubst %/,%,$(ROSTER)))hosts.yml playbooks/roster_plan.yml \
	  -e roster_path=$(abspath $(ROSTER)) -e plan_dir=$(abspath $(PLAN_DIR)) \
	  $(if $(STATE),-e state_path=$(abspath $(STATE))) \
	  $(if $(CONGVU_LANGUAGE),-e congvu__language=$(CONGVU_LANGUAGE)) || rc=$$?; \
	$(if $(FORGE),python3 tools/roster_ci.py annotations --forge $(FORGE) --roster $(ROSTER) $(PLAN_DIR)/plan.json;) \
	exit $$rc

# Longest first: the lanes (scripts/lanes.sh) start jobs in this order.
SLOW_FIRST := pair roster mail migrate backup webmail directory reports hardening antispam
ORDERED := $(filter $(SCENARIOS),$(SLOW_FIRST)) $(filter-out $(SLOW_FIRST),$(SCENARIOS))
LANES ?= 2
export LANES
LOGS := .cache/test-logs

# Every scenario runs even when one fails; one line per scenario, the logs of the failed ones, and a
# non-zero exit if any failed. LANES=1 runs them one after the other.
# testinfra is pytest: PYTEST_ADDOPTS gives each scenario's verify its JUnit file.
# --durations: the slowest tests of each scenario in its log, to see where the suite's time goes.
MOLECULE_TEST = PYTEST_ADDOPTS='--junit-xml=$(CURDIR)/$(JUNIT)/molecule-$(1).xml --durations=15' $(MOLECULE) test -s $(1)

molecule: $(COLLECTION_LINK) ## molecule test of every scenario, LANES (2) at a time (SCENARIOS="a b" to choose, LANES=1)
	bash scripts/lanes.sh $(LOGS) $(foreach s,$(ORDERED),$(s) "$(call MOLECULE_TEST,$(s))")

# The slow part of `make test`: the demo (tests/playbooks) beside the scenarios, in lanes, and last the
# sanity tests that need virtualenvs of their own (a few minutes, mostly waiting for pip). (`make`,
# not $$(MAKE), in the job: `make -n integration` must only print it.)
integration: $(COLLECTION_LINK) ## the demo test and every molecule scenario, LANES (2) at a time
	bash scripts/lanes.sh $(LOGS) playbooks "make playbooks" \
	  $(foreach s,$(ORDERED),$(s) "$(call MOLECULE_TEST,$(s))") \
	  sanity "make sanity-venv"

molecule-%: $(COLLECTION_LINK) ## molecule test of one scenario, e.g. make molecule-hardening
	$(call MOLECULE_TEST,$*)

# Every benchmark that needs no container, at a small size, so that none breaks unseen: a figure over
# its target (exit 1) is no failure at this size, a broken run (exit 2, a traceback) is. The benchmarks
# that converge containers (bench_mail, bench_reconcile, bench_migrate) are run by hand (docs/benchmarks.md).
# The capacity model (docs/capacity.md) is arithmetic on their recorded figures: it runs whole.
BENCH_SMOKE := "bench/bench_plan.py --people 2000" "bench/bench_reports.py --mailboxes 200 --months 1" \
	"bench/capacity.py"
bench-smoke: ## every container-free benchmark at a small size (part of make test)
	mkdir -p $(LOGS); for b in $(BENCH_SMOKE); do \
	  echo "=== python $$b"; rc=0; python3 $$b > $(LOGS)/bench-smoke.log 2>&1 || rc=$$?; \
	  tail -n 3 $(LOGS)/bench-smoke.log; \
	  if [ $$rc -gt 1 ]; then cat $(LOGS)/bench-smoke.log; echo "bench-smoke: $$b broke (exit $$rc)"; exit 1; fi; \
	done

# A complete run (every scenario but those run by hand) is judged: an article the product claims with no
# passing test fails it. A partial run (SCENARIOS=...) only writes the report.
CONFORMANCE_STRICT := $(if $(filter-out $(SCENARIOS),$(SCENARIOS_ALL)),,--strict)
conformance: ## docs/conformance.md (+ .html) from the JUnit files of the last run (.cache/junit)
	python3 tools/conformance.py --junit $(JUNIT) --out docs/conformance.md $(CONFORMANCE_STRICT) --manual $(MANUAL_SCENARIOS)

# Sub-makes keep the order even under `make -j`.
test: ## everything CI runs: bootstrap, lint, unit, then the demo and every scenario (integration)
	@$(MAKE) bootstrap
	@rm -rf $(JUNIT)
	@$(MAKE) lint
	@$(MAKE) unit
	@$(MAKE) bench-smoke
	@$(MAKE) integration
	@$(MAKE) conformance

DEMO_PORT_OFFSET ?= 0
demo: bootstrap $(COLLECTION_LINK) ## bring up the demo province (playbooks/demo.yml); DEMO_PORT_OFFSET=10000 if ports are taken, DEMO_VARS=<file> for more variables
	ansible-playbook playbooks/demo.yml -e demo_port_offset=$(DEMO_PORT_OFFSET) $(if $(DEMO_VARS),-e @$(abspath $(DEMO_VARS)))

demo-down: ## remove the demo: its container, network, .demo/ and its published directory (nothing keeps running)
	-docker rm -f congvu-demo-mail >/dev/null 2>&1
	-docker network rm congvu-demo >/dev/null 2>&1
	rm -rf .demo inventories/demo/.published

clean: ## destroy molecule instances, remove caches (keeps .venv and the image)
	-[ ! -x $(VENV)/bin/molecule ] || ! docker version >/dev/null 2>&1 || $(MOLECULE) destroy --all
	rm -rf .cache .demo .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv and the test images too
	rm -rf $(VENV)
	-docker image rm local/bookworm-systemd local/bookworm-minbase
