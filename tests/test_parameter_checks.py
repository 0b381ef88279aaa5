"""Every parameter group is checked before any node runs: ranges, relations
between settings, and unknown keys, each named with its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from transformers.integrations.integration_utils import (
    INTEGRATION_TO_CALLBACK,
    get_available_reporting_integrations,
)

from extractive_qa.parameter_checks import (
    SettingsError,
    check_parameters,
    check_runtime_settings,
)
from extractive_qa.settings import CONFIG_LOADER_ARGS

CONF = Path(__file__).resolve().parents[1] / "conf"


def parameters(env: str = "base", **runtime: dict) -> dict:
    """The project's parameters in ``env`` with ``runtime`` as --params gives
    them (Kedro's command line nests dotted keys)."""
    loader = OmegaConfigLoader(
        str(CONF), env=env, runtime_params=runtime, **CONFIG_LOADER_ARGS
    )
    return loader["parameters"]


@pytest.mark.parametrize("env", ["base", "korquad", "squad_v2"])
def test_every_shipped_environment_passes(env: str) -> None:
    check_parameters(parameters(env))


@pytest.mark.parametrize(
    ("runtime", "line"),
    [
        (
            {"postprocessing": {"max_answer_length": 0}},
            "- postprocessing.max_answer_length = 0: Input should be greater than "
            "or equal to 1",
        ),
        (
            {"postprocessing": {"n_best_size": 0}},
            "- postprocessing.n_best_size = 0: Input should be greater than or "
            "equal to 1",
        ),
        (
            {"postprocessing": {"n_bset_size": 5}},
            "- postprocessing.n_bset_size: unknown setting (a typo?)",
        ),
        (
            {"training": {"batch_size": 0}},
            "- training.batch_size = 0: Input should be greater than or equal to 1",
        ),
        (
            {"training": {"learning_rate": -0.001}},
            "- training.learning_rate = -0.001: Input should be greater than 0",
        ),
        (
            {"inference": {"batch_size": 0}},
            "- inference.batch_size = 0: Input should be greater than or equal to 1",
        ),
        (
            {"tokenization": {"max_length": 60}},
            "- tokenization: max_length (60) leaves no room for context after a "
            "question of up to max_query_length (64) tokens",
        ),
        (
            {"tokenization": {"doc_stride": 320}},
            "- tokenization: doc_stride (320) must be smaller than the context part",
        ),
        (
            {"training": {"eval_strategy": "steps"}},
            "- training: eval_strategy 'steps' needs eval_steps (>= 1)",
        ),
        (
            {"data_loading": {"on_invalid": "ignore"}},
            "- data_loading.on_invalid = 'ignore': Input should be 'error' or 'skip'",
        ),
        (
            {"table_format": "feather"},
            "- table_format = 'feather': Input should be 'arrow' or 'parquet'",
        ),
        (
            {"postprocesing": {"n_best_size": 5}},
            "- postprocesing: unknown setting (a typo?)",
        ),
        # --params passes inf, nan and quoted numbers as text.
        (
            {"training": {"learning_rate": "inf"}},
            "- training.learning_rate = 'inf': Input should be a valid number "
            "(text: unquote it in YAML; inf and nan are not allowed)",
        ),
        (
            {"training": {"learning_rate": float("inf")}},
            "- training.learning_rate = inf: Input should be a finite number",
        ),
        (
            {"training": {"batch_size": "16"}},
            "- training.batch_size = '16': Input should be a valid integer",
        ),
        (
            {"training": {"compile_layers": "max-autotune"}},
            "- training.compile_layers: 'max-autotune': use true, false or one of "
            "default, max-autotune-no-cudagraphs",
        ),
        (
            {"training": {"seed": -1}},
            "- training.seed = -1: Input should be greater than or equal to 0",
        ),
        (
            {"error_analysis": {"window_count_edges": [4, 2, 1]}},
            "- error_analysis: window_count_edges must increase, got [4, 2, 1]",
        ),
        (
            {"hub": {"push_to_hub": True}},
            "- hub: push_to_hub is true, so repo_id must name the repository",
        ),
        (
            {"tokenization": {"max_length": 600}},
            "- parameters: tokenization.max_length (600) is more than the built "
            "model's model.demo.max_position_embeddings (512)",
        ),
    ],
)
def test_a_bad_setting_is_named_with_its_value(runtime: dict, line: str) -> None:
    with pytest.raises(SettingsError) as error:
        check_parameters(parameters(**runtime))
    message = str(error.value)
    assert message.startswith("The run's parameters are not valid; no node ran:")
    assert line in message
    assert message.endswith("in this command's --params.")


def test_every_problem_is_listed_at_once() -> None:
    bad = parameters(postprocessing={"n_best_size": 0, "max_answer_length": 0})
    with pytest.raises(SettingsError) as error:
        check_parameters(bad)
    assert str(error.value).count("\n- ") == 2


def test_runtime_only_settings_are_known() -> None:
    check_parameters(
        parameters(
            storage="s3://bucket/run",
            table_format="parquet",
            train_file="/data/train.json",
            validation_file="/data/dev.json",
        )
    )


def test_settings_this_machine_checks_are_checked_for_the_nodes_that_use_them():
    missing = sorted(
        set(INTEGRATION_TO_CALLBACK) - set(get_available_reporting_integrations())
    )[0]
    bad = parameters(
        training={
            "lr_scheduler_type": "foo",
            "report_to": ["none", missing, "mlfow"],
        },
        inference={"device": "gpu"},
    )
    check_parameters(bad)
    # A run of the report nodes reads neither group.
    check_runtime_settings(bad, {"params:error_analysis"})

    with pytest.raises(SettingsError) as error:
        check_runtime_settings(bad, {"params:training", "params:inference"})

    lines = [line for line in str(error.value).splitlines() if line.startswith("- ")]
    assert lines[0].startswith(
        "- training.lr_scheduler_type = 'foo': not a schedule transformers knows; "
        "use one of ['linear', 'cosine'"
    )
    assert lines[1] == (
        f"- training.report_to = {missing!r}: its package is not installed; "
        "install it, or report to 'none'"
    )
    assert lines[2].startswith(
        "- training.report_to = 'mlfow': not a reporting integration transformers "
        "knows; use 'none' or one of ['azure_ml'"
    )
    assert lines[3].startswith(
        "- inference.device = 'gpu': device 'gpu' is not a device torch knows"
    )
    check_runtime_settings(parameters(), {"params:training", "params:inference"})


@pytest.mark.parametrize(
    ("storage", "line"),
    [
        (
            "s3:/my-bucket/run1",
            "- storage: 's3:/my-bucket/run1': a URL needs '://' after its "
            "protocol; write 's3://my-bucket/run1'",
        ),
        (
            "S3://my-bucket/run1",
            "- storage: 'S3://my-bucket/run1': protocols are lower case; write "
            "'s3://my-bucket/run1'",
        ),
        ("s3://My_Bucket/run1", "'My_Bucket' is not an S3 bucket name"),
        ("s3://bad..name/run1", "'bad..name' is not an S3 bucket name"),
        ("s3://", "names no bucket; write s3://<bucket>/<prefix>"),
        ("sftp3://host/x", "fsspec knows no protocol 'sftp3'"),
        (
            "s3://my-bucket/run1/",
            "drop the trailing '/': write 's3://my-bucket/run1'",
        ),
        (
            "s3://my-bucket//run6",
            "an empty folder name ('//') puts the models under another key than "
            "the tables; write 's3://my-bucket/run6'",
        ),
        ("gs://my-bucket/a//b", "the tables; write 'gs://my-bucket/a/b'"),
    ],
)
def test_a_storage_root_written_wrongly_is_named(storage: str, line: str) -> None:
    with pytest.raises(SettingsError) as error:
        check_parameters(parameters(storage=storage))
    assert line in str(error.value)


@pytest.mark.parametrize(
    "storage",
    [
        "data",
        "data/",
        "/tmp/run",
        "run:1",
        "file:///tmp/run",
        "file:///tmp//run",
        "simplecache::s3://my-bucket/run1",
        "gs://b/x",
        "memory://b",
    ],
)
def test_folders_and_urls_are_accepted_as_storage_roots(storage: str) -> None:
    check_parameters(parameters(storage=storage))
