# Everything runs from a project-local virtualenv (.venv), made on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo route test lint typecheck bench all clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

## Web assets the dashboard serves itself, from npm (package-lock.json), never a CDN.
CHART := dashboard/static/vendor/chart.umd.min.js
$(CHART): package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(CHART))
	cp node_modules/chart.js/dist/chart.umd.min.js $(CHART)

setup: $(STAMP) $(CHART)

## The main job: simulated Asterisk + service + dashboard on SQLite, with traffic.
demo: $(STAMP) $(CHART)
	$(VENV)/bin/vuurtoren demo

## Ask the router about the shipped example site.
route: $(STAMP)
	$(VENV)/bin/vuurtoren check-config examples/sociaal-huis.toml
	$(VENV)/bin/vuurtoren hours --config examples/sociaal-huis.toml --days 3
	$(VENV)/bin/vuurtoren route --config examples/sociaal-huis.toml --topic 1 --caller +32470123456

## The store's PostgreSQL tests run against a local PostgreSQL when one is installed (started
## the way CI starts it), or VUURTOREN_TEST_POSTGRES_URL; without either they are skipped.
test: $(STAMP) $(CHART)
	@url="$${VUURTOREN_TEST_POSTGRES_URL:-$$(bash .ci/postgres.sh --no-install 2>/dev/null | tail -n 1 || true)}"; \
	case "$$url" in postgresql*) ;; *) url=""; echo "make test: no PostgreSQL: its tests are skipped";; esac; \
	VUURTOREN_TEST_POSTGRES_URL="$$url" $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/route_decisions.py
	$(PY) bench/ami_ingest.py
	$(PY) bench/route_latency.py
	$(PY) bench/store_queries.py
	$(PY) bench/public_hours.py
	$(PY) bench/staffing.py
	$(PY) bench/catalog_search.py
	$(PY) bench/caller_history.py
	$(PY) bench/screen_pop.py

all: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
