"""conf/gpu: the GPU settings on top of conf/base, turned into TrainingArguments."""

from __future__ import annotations

from pathlib import Path

import torch
from kedro.config import OmegaConfigLoader

from extractive_qa.pipelines.training.nodes import training_arguments
from extractive_qa.settings import CONFIG_LOADER_ARGS

CONF = Path(__file__).resolve().parents[1] / "conf"


def test_gpu_env_overrides_single_knobs_and_keeps_the_rest(tmp_path):
    loader = OmegaConfigLoader(
        str(CONF), **{**CONFIG_LOADER_ARGS, "default_run_env": "gpu"}
    )
    parameters = loader["parameters"]
    base = OmegaConfigLoader(str(CONF), **CONFIG_LOADER_ARGS)["parameters"]
    training = parameters["training"]
    assert training["batch_size"] > base["training"]["batch_size"]
    assert training["dataloader_num_workers"] > 0
    assert training["bf16_on_gpu"] is True
    assert parameters["inference"]["batch_size"] > base["inference"]["batch_size"]
    # Knobs the environment does not name come from conf/base.
    assert training["eval_strategy"] == base["training"]["eval_strategy"]
    assert (
        loader["catalog"]["raw_train"]["type"]
        == "extractive_qa.datasets.HubSplitDataset"
    )

    arguments = training_arguments(training, str(tmp_path))
    assert arguments.per_device_train_batch_size == training["batch_size"]
    assert arguments.dataloader_num_workers == training["dataloader_num_workers"]
    # bf16 only where a CUDA GPU supports it; never on the CPU.
    gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    assert arguments.bf16 is gpu_bf16
