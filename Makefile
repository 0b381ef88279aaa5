# Two entry points from a fresh clone: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# No step may reach a model hub, and Kedro's telemetry has nowhere to go.
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export KEDRO_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1

.PHONY: install run bench test lint viz clean

install: $(STAMP)

# torch goes first and pinned: an unpinned torch makes pip pull a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: install
	$(BIN)/kedro run

# The reference recipe against this project's stages; needs `make run` first.
bench: install
	$(BIN)/kedro run --pipelines=bench

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

viz: install
	$(BIN)/kedro viz build

clean:
	rm -rf $(VENV)
