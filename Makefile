# One way to do each thing. `make demo` runs the main job, `make test` runs every test.
# Both install what they need first (venv, Debian packages, real Prometheus builds).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROM_CACHE := .cache/prometheus

.PHONY: setup system venv test unit demo clean

setup: system venv

# Debian packages: Prometheus 2.42 (+ promtool), iproute2 for the network-namespace tests,
# and newer real Prometheus builds (2.53, 3.x) unpacked under .cache without installing them.
system:
	@command -v promtool >/dev/null && command -v ip >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus iproute2 >/dev/null; }
	@for suite in trixie sid; do ../shared/tools/fetch-prometheus $$suite $(PROM_CACHE)/$$suite >/dev/null || exit 1; done

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt -r tests/requirements.txt
	touch $@

test: setup
	$(BIN)/python -m pytest -n 2 tests

unit: venv
	$(BIN)/python -m pytest -q tests/unit

demo: setup
	$(BIN)/python tests/sandbox/demo.py

clean:
	rm -rf $(VENV) .cache tests/output .pytest_cache
