# One way to do each thing. `make demo` runs the main job, `make test` runs every test.
# Both install what they need first (venv, Debian packages, real Prometheus builds).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROM_CACHE := .cache/prometheus

.PHONY: setup system venv test unit sanity lint demo bench clean

setup: system venv

# Debian packages: Prometheus 2.42 (+ promtool), iproute2 for the network-namespace tests,
# debootstrap, systemd-nspawn and ssh for the Debian-host tests (they build their Debian 12 tree
# under .cache/debian-host on first use, ~1 min), and newer real Prometheus builds (2.53, 3.x)
# unpacked under .cache without installing them.
system:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; }
	@command -v promtool >/dev/null && command -v ip >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus iproute2 >/dev/null; }
	@command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null && command -v ssh >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap systemd-container openssh-client >/dev/null; }
	@for suite in trixie sid; do tools/fetch-prometheus $$suite $(PROM_CACHE)/$$suite >/dev/null || exit 1; done

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt tests/requirements.txt tests/requirements-lint.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -r tests/requirements.txt -r tests/requirements-lint.txt
	touch $@

# Every test, then the Ansible ecosystem's quality gates.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 tests
	$(MAKE) --no-print-directory sanity lint

# Seconds, no sandbox: the slowest five are printed so a unit test that grows into an
# integration test (a subprocess, a real server, a wait) shows up here.
unit: venv
	$(BIN)/python -m pytest -q --durations=5 tests/unit

# ansible-test only runs from an ansible_collections/NS/NAME tree and lists files through git.
# The tree is a copy of what git would list here (tracked + untracked-not-ignored, as edited now),
# made a git repo of its own so ansible-test lists the same files. Its pip bootstrap download
# host is unreachable here: the stand-in goes where ansible-test looks for its cached copy.
SANITY_ROOT := .cache/sanity
SANITY_TREE := $(SANITY_ROOT)/ansible_collections/aiven_tools/prometheus
GET_PIP_VERSION = $(shell sed -n "s/^ *pip='\([0-9.]*\)',/\1/p" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr . _)
sanity: venv
	@test -n "$(GET_PIP_VERSION)" || { echo "cannot find ansible-test's pinned pip version" >&2; exit 1; }
	install -D -m 0444 tools/ansible-test-get-pip.py $(HOME)/.ansible/test/cache/get_pip_$(GET_PIP_VERSION).py
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_TREE)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(SANITY_TREE)
	git -C $(SANITY_TREE) init -q
	cd $(SANITY_TREE) && PATH=$(CURDIR)/$(BIN):$$PATH ansible-test sanity --venv --python $$($(CURDIR)/$(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no

# ansible-lint over the whole collection, config in .config/ansible-lint.yml (profile: production;
# it refuses to run with the old ANSIBLE_COLLECTIONS_PATHS set), then the changelog fragments.
lint: venv
	env -u ANSIBLE_COLLECTIONS_PATHS PATH=$(CURDIR)/$(BIN):$$PATH ansible-lint --nocolor
	$(BIN)/antsibull-changelog lint

# Against the sandbox, or (AIVEN_TOKEN set) enable.yml in check mode on a real project; APPLY=1 applies.
demo: setup
	APPLY=$(APPLY) $(BIN)/python tests/sandbox/demo.py

# Benchmarks (not tests): API requests and wall time as a project grows, the node_ips lookup.
bench: setup
	$(BIN)/python benchmarks/api_scale.py
	$(BIN)/python benchmarks/node_ips.py
	$(BIN)/python benchmarks/role_converge.py

clean:
	rm -rf $(VENV) .cache .ansible tests/output .pytest_cache
