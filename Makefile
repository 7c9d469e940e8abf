# The few commands everyone uses. `make app` and `make test` are the README's Quickstart.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: setup app test test-fast index eval bench lint clean

$(PY):
	python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: $(VENV)/.installed

# Reinstalls only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	# torch first and pinned: the CPU build lies on this machine's disk; unpinned it pulls CUDA.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test]'
	touch $@

app: setup
	$(PY) app.py

test: setup
	$(PY) -m pytest

# The unit tier only (pure functions and fakes; no real embedder, index or browser): seconds, not minutes.
test-fast: setup
	$(PY) -m pytest tests/unit -m "not slow"

index: setup
	$(VENV)/bin/assistant index

eval: setup
	$(VENV)/bin/assistant eval

# Prints figures (torch beside ONNX, machine load with each); asserts nothing on time. About 15 minutes.
bench: setup
	uptime
	$(PY) -m pytest tests/bench -s -p no:cacheprovider -o addopts=""

lint:
	$(VENV)/bin/ruff check assistant tests

clean:
	rm -rf index data .pytest_cache
