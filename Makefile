# Everything `make test` needs is set up from scratch here: the dev venv, aws-sam-cli in a venv of
# its own (it pins its own boto3 and click), layers/common/requirements.txt, the build. Versions
# are pinned in pyproject.toml (dependency groups) and, for pip itself, below.

SHELL := bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help venv sam-venv requirements lint build test versions clean distclean run demo tick verify-domain openapi browsers

PIP_VERSION := 26.3
VENV := .venv
SAM_VENV := .venv-sam
VENV_PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
TRANSLATED := build/template.cfn.json
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0

# The Lambda runtime's Python (python3.12): on PATH if it works there (a pyenv shim works only when
# PYENV_VERSION includes it), else pyenv's newest 3.12.*. Its real path, so `sam build` can find it
# on PATH without Docker and the build check can run it.
PY312_PROBE := import sys; v = sys.version_info; print(getattr(sys, "_base_executable", sys.executable)) if v[:2] == (3, 12) else None
PYENV_DIRS := $(sort $(PYENV_ROOT) $(HOME)/.pyenv)
PY312_CANDIDATES := python3.12 $(shell ls -d $(addsuffix /versions/3.12*/bin/python3.12,$(PYENV_DIRS)) 2>/dev/null | sort -rV)
PY312 := $(firstword $(foreach candidate,$(PY312_CANDIDATES),$(shell "$(candidate)" -c '$(PY312_PROBE)' 2>/dev/null)))
# The venvs use the runtime's Python when there is one; python3 (3.11+) otherwise.
PYTHON := $(or $(PY312),$(shell command -v python3))

# `step CMD...` runs one step of lint/test, remembers a failure in $rc and carries on, so one run
# reports every problem.
STEP := rc=0; failed=; step() { printf '\n=== %s\n' "$$*"; "$$@" && return 0; rc=1; failed="$$failed\n  $$*"; return 1; }
STEP_SUMMARY := if [ $$rc -ne 0 ]; then printf "\n*** failed:$$failed\n" >&2; fi; exit $$rc

help: ## show the targets
	@echo "usage: make TARGET"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 16

# pip --quiet still prints warnings; drop the harmless ones about this machine's globally
# configured extra index folders that lack a package, and keep every other warning and error.
PIP_FILTER := 2>&1 | sed -e "/^WARNING: Location 'file:.*' is ignored: it is neither a file nor a directory/d"

# $(call make-venv,DIR,GROUP): create DIR if it is missing or broken, pin pip, install GROUP.
define make-venv
	@test -n "$(PYTHON)" || { echo "no python3.12 or python3 found" >&2; exit 1; }
	@"$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON) is $$("$(PYTHON)" --version 2>&1); 3.11 or newer is needed" >&2; exit 1; }
	@if ! "$(1)/bin/python" -c '' 2>/dev/null; then \
		echo "creating $(1) with $(PYTHON) ($$("$(PYTHON)" --version 2>&1))"; \
		rm -rf "$(1)" && "$(PYTHON)" -m venv "$(1)"; \
	fi
	@"$(1)/bin/python" -m pip install --quiet "pip==$(PIP_VERSION)" $(PIP_FILTER)
	@echo "installing dependency group '$(2)' into $(1)"
	@"$(1)/bin/python" -m pip install --quiet --group "pyproject.toml:$(2)" $(PIP_FILTER)
	@touch "$@"
endef

venv: $(VENV)/.installed ## .venv with the dev dependency group (tests, lint, samtranslator)
$(VENV)/.installed: pyproject.toml
	$(call make-venv,$(VENV),dev)

sam-venv: $(SAM_VENV)/.installed ## .venv-sam with aws-sam-cli (the sam dependency group)
$(SAM_VENV)/.installed: pyproject.toml
	$(call make-venv,$(SAM_VENV),sam)

requirements: ## rewrite layers/common/requirements.txt from pyproject.toml's runtime group
	@test -n "$(PYTHON)" || { echo "no python3.12 or python3 found" >&2; exit 1; }
	@"$(PYTHON)" -m devtools.requirements

# cfn-lint no longer expands SAM resources, so it also lints the samtranslator output (written to an
# absolute --out: devtools.sam_template prints that path relative to the repo root). The serverless
# rules (cfn-lint-serverless) read SAM's own resources, so they run on template.yaml, where a finding
# that does not apply is turned off with its reason (the template's cfn-lint Metadata).
lint: venv sam-venv ## ruff, mypy, import-linter (the domain's layers), cfn-lint with the serverless rules (template and its translated CloudFormation), sam validate --lint
	@$(STEP); \
	step $(VENV)/bin/ruff check .; \
	step $(VENV)/bin/ruff format --check .; \
	step $(VENV)/bin/mypy; \
	step env PYTHONPATH=layers/common $(VENV)/bin/lint-imports --no-cache; \
	step $(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml; \
	step $(VENV_PY) -m devtools.sam_template --out "$(CURDIR)/$(TRANSLATED)" \
		&& step $(VENV)/bin/cfn-lint $(TRANSLATED); \
	step $(SAM) validate --lint --template template.yaml --region us-east-1; \
	$(STEP_SUMMARY)

build: venv sam-venv ## sam build without Docker (python3.12 first on PATH), its bytecode compiled, + the runtime's boto3 for the build check
ifeq ($(PY312),)
	@echo "build: SKIPPED, no python3.12 (the Lambda runtime's Python) on PATH or under pyenv;" \
		"install it (e.g. pyenv install 3.12) to build and check the artifacts"
else
	@echo "sam build with $(PY312)"
	@PATH="$(dir $(PY312)):$$PATH" $(SAM) build --template template.yaml --parallel
	@LAMBDA_PYTHON="$(PY312)" $(VENV_PY) -m devtools.build_check --compile
	@LAMBDA_PYTHON="$(PY312)" $(VENV_PY) -m devtools.build_check --install-runtime $(PIP_FILTER)
endif

TEST_WORKERS ?= 2

test: venv sam-venv ## lint, build, browsers, then the whole test suite; fails if any of them fails
	@$(STEP); \
	step $(MAKE) --no-print-directory lint; \
	step $(MAKE) --no-print-directory build; \
	step $(MAKE) --no-print-directory browsers; \
	step env LAMBDA_PYTHON="$(PY312)" $(VENV_PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15; \
	$(STEP_SUMMARY)

# The local stack (docs/local-stack.md): template.yaml deployed into an in-process moto server,
# with a local API Gateway, schedule, SQS poller and EventBridge delivery. No Docker, no AWS.
PORT ?= 3000
SCHEDULE_SECONDS ?= 10
LOCAL_URL := http://127.0.0.1:$(PORT)

run: venv ## start the local stack in the foreground (PORT=3000, SCHEDULE_SECONDS=10); Ctrl-C stops it
	@$(VENV_PY) -m devtools.local --port $(PORT) --schedule-seconds $(SCHEDULE_SECONDS) $(RUN_ARGS)

demo: venv ## seed the running local stack with a demo firm, accounts and one item of each kind
	@$(VENV_PY) -m devtools.local.demo --url $(LOCAL_URL)

# IN= counts from the stack's own clock (GET /_local/clock), so `make tick IN=3d` always means
# "three days after whatever the stack reads now", however often it was moved.
tick: venv ## move the running local stack's clock and scan at once: make tick IN=3d (or AT=2026-12-01T09:00:00Z)
	@test -n "$(IN)$(AT)" || { echo "usage: make tick IN=3d|AT=2026-12-01T09:00:00Z [PORT=3000]" >&2; exit 2; }
	@$(VENV_PY) -m devtools.local.tick --url $(LOCAL_URL) $(if $(IN),--in "$(IN)") $(if $(AT),"$(AT)")

verify-domain: venv ## the running local stack's SES verifies a firm's sending domain: make verify-domain DOMAIN=mail.example.com
	@test -n "$(DOMAIN)" || { echo "usage: make verify-domain DOMAIN=mail.example.com [PORT=3000]" >&2; exit 2; }
	@$(VENV_PY) -m devtools.local.verify_domain --url $(LOCAL_URL) "$(DOMAIN)"

openapi: venv ## write openapi.json from the code (tests/unit/test_openapi.py fails when it is stale)
	@$(VENV_PY) -m devtools.local.openapi --out openapi.json

# The browser tests (tests/local) drive headless Chromium through chromedriver, from Debian's
# packages. Installed here when running as root (CI does); otherwise those tests skip and say why.
BROWSER_PACKAGES := chromium chromium-driver
browsers: ## install Chromium and chromedriver for the browser tests (apt-get, as root; else skipped)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		echo "browsers: $$(chromium --version 2>/dev/null | head -1), chromedriver already installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "browsers: installing $(BROWSER_PACKAGES) with apt-get"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null \
			&& echo "browsers: $$(chromium --version 2>/dev/null | head -1) installed"; \
	else \
		echo "browsers: SKIPPED, chromium or chromedriver missing and not root; the browser tests" \
			"will skip (as root, make test installs: apt-get install $(BROWSER_PACKAGES))"; \
	fi

versions: venv sam-venv ## print the version of every tool the build uses
	@echo "make $(MAKE_VERSION); venvs: $(PYTHON) ($$("$(PYTHON)" --version 2>&1))"
	@echo "lambda runtime python: $(or $(PY312),none found)"
	@$(VENV_PY) -m pip --version
	@$(VENV)/bin/ruff --version
	@$(VENV)/bin/mypy --version
	@$(VENV)/bin/cfn-lint --version
	@$(VENV_PY) -m pytest --version
	@$(SAM) --version

clean: ## remove build output and tool caches (keeps the venvs)
	rm -rf .aws-sam build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . \( -path ./.git -o -path ./$(VENV) -o -path ./$(SAM_VENV) \) -prune \
		-o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and remove both venvs
	rm -rf $(VENV) $(SAM_VENV)
