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

.PHONY: install run bench bench-storage bench-serving bench-scale bench-base bench-gpu test lint viz clean airflow-venv airflow-dag

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

# Each machine stage with its storage root on local disk and on an S3 server
# (moto on 127.0.0.1 unless S3_ENDPOINT names one), bytes per stage, Arrow
# against Parquet: data/08_reporting/storage_benchmark.{md,json}.
bench-storage: install
	$(BIN)/python -m extractive_qa.bench.storage $(if $(S3_ENDPOINT),--endpoint $(S3_ENDPOINT))

# Answers per second of the model the newest tracked run logged, served by
# `mlflow models serve` on 127.0.0.1, in batches of 1 and of 64 questions:
# data/08_reporting/serving_benchmark.{md,json}. Needs `make run` first.
bench-serving: install
	$(BIN)/python -m extractive_qa.bench.serving

# The CPU stages at 1k, 10k, 60k and 200k synthetic questions, the project against
# the reference recipe: data/08_reporting/scale_benchmark.{md,json,png}.
bench-scale: install
	HF_HUB_OFFLINE=1 TQDM_DISABLE=1 $(BIN)/python -m extractive_qa.bench.scale

# An ELECTRA-base-sized model with random weights on the CPU: training and
# prediction speed per attention implementation, torch.compile and thread count:
# data/08_reporting/base_size_benchmark.{md,json}.
bench-base: install
	HF_HUB_OFFLINE=1 TQDM_DISABLE=1 $(BIN)/python -m extractive_qa.bench.base_size

# The same model on a CUDA GPU: bf16, SDPA or flash attention, torch.compile
# and batch sizes, with model FLOPs utilisation, then the project's predict on
# 66,000 windows: data/08_reporting/gpu_benchmark.{md,json}. `prepare` needs no
# GPU; to run the second step on another machine, copy the windows file there.
bench-gpu: install
	HF_HUB_OFFLINE=1 TQDM_DISABLE=1 $(BIN)/python -m extractive_qa.bench.gpu prepare
	HF_HUB_OFFLINE=1 TQDM_DISABLE=1 $(BIN)/python -m extractive_qa.bench.gpu run

# The suite in TEST_WORKERS processes (pytest-xdist), each test module kept on
# one worker so that its module-scoped fixtures (the Airflow run, the
# three-machine bucket) are built once. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: install airflow-venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

viz: install
	$(BIN)/kedro viz build

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV)

# Airflow lives in a virtualenv of its own: its pins (SQLAlchemy, pydantic,
# FastAPI, ...) are not the project's, and its tasks run the project's kedro
# rather than importing the project. deploy/airflow/README.md says more.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
# The Kedro environment the DAG runs in (`make airflow-dag AIRFLOW_ENV=korquad`),
# and where the generated DAG goes: a folder to point Airflow's dags_folder at.
AIRFLOW_ENV ?= local
AIRFLOW_DAGS ?= deploy/airflow/dags

airflow-venv: $(AIRFLOW_STAMP)

$(AIRFLOW_STAMP): deploy/airflow/requirements.txt
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet -r deploy/airflow/requirements.txt
	touch $(AIRFLOW_STAMP)

# Regenerate the DAG after a node is added, renamed or moved between stages;
# tests/integration/test_airflow_dag.py fails while the committed one is stale.
airflow-dag: install
	$(BIN)/kedro airflow create --env $(AIRFLOW_ENV) --group-by memory \
		--jinja-file deploy/airflow/dag_template.j2 --target-dir $(AIRFLOW_DAGS)
