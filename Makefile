# vvs: the two commands that matter are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 6543
export PORT

# Another name lets two suites run side by side: make test TEST_DB=vvs_test2 TEST_REDIS_DB=14
TEST_DB ?= vvs_test
TEST_REDIS_DB ?= 15
# The suite runs in TEST_WORKERS processes (pytest-xdist; each worker its own database
# TEST_DB_gw0… and its own redis-server: tests/parallel.py). Three by default on 2 cores: with
# two, the processes used 1.2 of the 2 cores on average (the workers wait for browsers, servers
# and workers they start); docs/performance.md. TEST_WORKERS=1 runs it in one process, as plain pytest does.
TEST_WORKERS ?= 3
# Which tests and pytest options: make test PYTEST_ARGS="tests/core -x"
PYTEST_ARGS ?=
TEST_DATABASE_URL := postgresql+psycopg://postgres@127.0.0.1:5432/$(TEST_DB)
TEST_REDIS_URL := redis://127.0.0.1:6379/$(TEST_REDIS_DB)

.PHONY: run test bench bench-scale catalogs clean

## run: install, migrate, load the demo on first start, serve on http://localhost:$PORT
run: $(VENV)/.installed catalogs
	@mkdir -p var
	@# A deleted database means the demo must be loaded again.
	@[ -f var/vvs.sqlite ] || rm -f var/.demo-loaded
	$(BIN)/vvs db upgrade development.ini
	@if [ ! -f var/.demo-loaded ]; then \
		$(BIN)/vvs demo development.ini && touch var/.demo-loaded; \
	else \
		echo "Demo accounts: resident@serris.demo, referent@serris.demo, admin@serris.demo… (password and list: README.md)"; \
	fi
	@echo "Serving on http://localhost:$(PORT)"
	$(BIN)/pserve development.ini http_port=$(PORT)

## test: test dependencies, PostGIS and Redis (installed and started when missing), the whole suite
test: $(VENV)/.installed-test catalogs
	scripts/test-services.sh $(TEST_DB) $(TEST_REDIS_DB)
	VVS_TEST_REQUIRE_POSTGIS=1 VVS_TEST_DATABASE_URL=$(TEST_DATABASE_URL) VVS_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS)) $(PYTEST_ARGS)

## bench: the benchmarks of bench/ (PostGIS and Redis), when present
bench: $(VENV)/.installed-test
	@if [ -f bench/__main__.py ]; then \
		scripts/test-services.sh $(TEST_DB) $(TEST_REDIS_DB) && \
		scripts/apt-install.sh wrk && \
		VVS_TEST_DATABASE_URL=$(TEST_DATABASE_URL) VVS_TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m bench; \
	else \
		echo "No benchmark yet (bench/__main__.py is missing)."; \
	fi

## bench-scale: the national benchmark (issue 16.5) at SCALE (1 = 1,000,000 users: long; 0.25 took about 20 min here)
SCALE ?= 1
bench-scale: $(VENV)/.installed-test
	scripts/test-services.sh $(TEST_DB) $(TEST_REDIS_DB)
	scripts/apt-install.sh wrk
	VVS_TEST_DATABASE_URL=$(TEST_DATABASE_URL) VVS_TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m bench bench_scale --scale $(SCALE)

## catalogs: compile the gettext catalogs (.po → .mo) of the core and of every plugin
catalogs: $(VENV)/.installed
	@for dir in vvs_core/locale plugins/*/locale; do \
		[ -d "$$dir" ] || continue; \
		for domain in $$(find "$$dir" -name '*.po' -exec basename {} .po \; | sort -u); do \
			$(BIN)/pybabel compile -d "$$dir" -D "$$domain"; \
		done; \
	done

clean:
	rm -rf $(VENV) var build dist *.egg-info tests/fixtures/vvs_hello/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find vvs_core plugins -name '*.mo' -delete

# The virtualenv, with Debian's python3-venv when this Python lacks it.
$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || scripts/apt-install.sh python3 python3-venv
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the packaging changed (stamp files inside the venv).
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed tests/fixtures/vvs_hello/pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]' -e tests/fixtures/vvs_hello
	@touch $@
