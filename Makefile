# `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
# Every interface, so phones on the network can join a workshop; HOST=127.0.0.1 keeps it on this machine.
HOST ?= 0.0.0.0

.PHONY: run test test-fast bench bench-full lint install chromium nginx clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# the distribution was once called `assessment`: an old install of it would keep its own `assessment` command
	$(PY) -m pip uninstall --quiet --yes assessment 2>/dev/null || true
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium: kaleido (PDF charts) and Playwright (browser tests) drive it.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium (needed for PDF charts and browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# Debian's nginx: tests/test_topology.py and benchmarks/bench_deploy.py run it (deploy/nginx.conf, their own
# loopback port, pid and logs), never the system service.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  echo "installing Debian's nginx (the proxy in front of the replicas in the topology test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

run: install chromium
	$(PY) -m assessment db upgrade
	$(PY) -m assessment demo --if-empty
	$(PY) -m assessment facilitator-key
	$(PY) -m assessment serve --host $(HOST) --port $(PORT)

test: install chromium nginx
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser and not slow"

bench: install chromium nginx
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

bench-full: install chromium nginx
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: install
	$(VENV)/bin/ruff check assessment assessment_app tests benchmarks
	$(PY) -m assessment validate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
