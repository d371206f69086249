# TaskSplit: `make run` starts the dashboard, `make test` runs the whole suite.
# Both create .venv and install requirements.txt on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
PORT   ?= 8501
# pip warns about every package absent from this machine's local index mirrors; hide that noise only.
PIP_QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: run test test-fast bench fuzz lint clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt $(PIP_QUIET)
	@touch $@

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt $(PIP_QUIET)
	@touch $@

run: $(STAMP)
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT) --server.address localhost

# Two worker processes (pytest-xdist), one per core of the 2-core machines the suite is sized for; each idle
# worker steals queued tests from the busy one, so the long browser and cluster tests do not leave a core idle.
XDIST := -n 2 --dist worksteal

test: $(STAMP)
	$(PY) -m pytest $(XDIST)

# Skips the tests marked slow (full-size data, the browser); CI runs everything.
test-fast: $(STAMP)
	$(PY) -m pytest $(XDIST) -m "not slow and not browser"

bench: $(BENCH_STAMP)
	$(PY) -m bench

fuzz: $(STAMP)
	TASKSPLIT_FUZZ_EXAMPLES=10000 $(PY) -m pytest tests/test_fuzz.py -p no:randomly -q

lint: $(STAMP)
	$(PY) -m ruff check core dashboard tests bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
