# The project's commands. Each works on a fresh Debian machine: `deps` installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CHECKOV_VENV ?= .checkov-venv
STACK ?= production
STACKS := production staging dev
DEBIAN_PACKAGES := postgresql prometheus-postgres-exporter poppler-utils nginx
PYTEST_ARGS ?= -n 2 --dist loadgroup

IMAGE_TOOLS := podman runc slirp4netns mmdebstrap

.PHONY: deps debian-packages venv checkov-venv pinned-tools render render-all test local bench clean image-tools images e2e-deps e2e

deps: debian-packages venv checkov-venv pinned-tools

# PostgreSQL 15, postgres_exporter (the stack pins no image of it) and nginx (the ingress's login
# check, Prometheus's gate) are the real tools the tests start on loopback. Installed only when one is missing (needs root or sudo).
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

# prometheus, promtool, alertmanager, amtool, node_exporter and blackbox_exporter at exactly the
# versions the images pin, built from their Go modules into a cache keyed by version (needs Go;
# built again only when a pin changes).
pinned-tools: venv
	tools/build_pinned_tools.sh $(PY)

# Runs the real Pulumi program under the engine's mocks with Pulumi.$(STACK).yaml and writes build/$(STACK)/.
render: venv
	$(PY) -m tools.render --stack $(STACK) --out build/$(STACK)

render-all: venv
	@for s in $(STACKS); do $(PY) -m tools.render --stack $$s --out build/$$s || exit 1; done

# podman runs its containers with runc here (crun fails on this machine's cgroups); mmdebstrap makes
# the Debian base that GitHub pulls from its registry (images/base.py).
image-tools:
	@$(MAKE) --no-print-directory debian-packages DEBIAN_PACKAGES="$(IMAGE_TOOLS)"

# Both images, built with podman from their Dockerfiles (cached layers make a rebuild quick).
images: image-tools
	$(PYTHON) -m images build

test: deps images
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest $(PYTEST_ARGS)

# `make local EXPORTER_IMAGE=1` runs the exporter from its built image instead of the source tree.
local: deps $(if $(EXPORTER_IMAGE),images)
	$(PY) -m local $(if $(EXPORTER_IMAGE),--exporter-image)

bench: deps image-tools
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The real-engine tier's tools: Pulumi CLI, kube-apiserver, kube-controller-manager, kube-scheduler
# and kwok built from Go modules (cached by version outside the clone), etcd, and the Pulumi
# plugins from E2E_PLUGIN_DIR (or `pulumi plugin install`). The recipe is e2e/deps.sh.
e2e-deps:
	E2E_PLUGIN_DIR="$(E2E_PLUGIN_DIR)" bash e2e/deps.sh all

# The real Pulumi CLI and providers against a throwaway local API server: see README "make e2e".
e2e: venv e2e-deps
	$(PY) -m pytest e2e/tests -p no:cacheprovider $(E2E_PYTEST_ARGS)

clean:
	rm -rf build test-output
