# The project's commands. Each works on a fresh Debian machine: `deps` installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CHECKOV_VENV ?= .checkov-venv
STACK ?= production
STACKS := production staging dev
DEBIAN_PACKAGES := prometheus prometheus-alertmanager postgresql prometheus-postgres-exporter poppler-utils
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: deps debian-packages venv checkov-venv render render-all test local bench clean

deps: debian-packages venv checkov-venv

# Debian's Prometheus 2.42, Alertmanager 0.25, PostgreSQL 15 and postgres_exporter are the real
# tools the tests start on loopback. Installed only when one is missing (needs root or sudo).
debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt exporter/requirements.txt reporter/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip==25.3
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# checkov pins libraries that clash with pulumi's, so it lives in a virtualenv of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --upgrade pip==25.3
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

# Runs the real Pulumi program under the engine's mocks with Pulumi.$(STACK).yaml and writes build/$(STACK)/.
render: venv
	$(PY) -m tools.render --stack $(STACK) --out build/$(STACK)

render-all: venv
	@for s in $(STACKS); do $(PY) -m tools.render --stack $$s --out build/$$s || exit 1; done

test: deps
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest $(PYTEST_ARGS)

local: deps
	$(PY) -m local

bench: deps
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build test-output
