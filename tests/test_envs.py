"""The shipped environments hold only what they change on top of conf/base,
every catalog entry keeps its kedro-viz layer in every environment, and the GPU
command line in conf/korquad gives GPU-sized Trainer arguments."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch
from kedro.config import OmegaConfigLoader
from kedro.framework.cli.utils import _split_params

from extractive_qa.settings import CONFIG_LOADER_ARGS
from extractive_qa.training.trainer import training_arguments

CONF = Path(__file__).resolve().parents[1] / "conf"
ENVS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "base")


def loader(env: str, runtime_params: dict[str, Any] | None = None):
    return OmegaConfigLoader(
        str(CONF),
        **{**CONFIG_LOADER_ARGS, "default_run_env": env},
        runtime_params=runtime_params,
    )


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(leaves(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def own_parameters(env: str) -> dict[str, Any]:
    """The parameters the environment's own files set, unresolved."""
    folder = OmegaConfigLoader(str(CONF / env), base_env="", default_run_env="")
    return leaves(folder["parameters"])


@pytest.mark.parametrize("env", [e for e in ENVS if e != "local"])
def test_an_environment_repeats_no_base_value(env: str) -> None:
    base = leaves(loader("local")["parameters"])
    own = own_parameters(env)
    assert own, f"conf/{env} sets no parameters"
    repeated = {
        key: value for key, value in own.items() if key in base and base[key] == value
    }
    assert repeated == {}, f"conf/{env} repeats conf/base: {repeated}"


@pytest.mark.parametrize("env", ENVS)
def test_every_entry_keeps_its_layer_and_no_credential_is_an_entry(env: str) -> None:
    catalog = loader(env)["catalog"]
    missing = [
        name
        for name, entry in catalog.items()
        if not entry.get("metadata", {}).get("kedro-viz", {}).get("layer")
    ]
    assert missing == []
    credentials = re.compile(r"(^|_)(token|secret|password|key)$")
    assert [name for name in catalog if credentials.search(name)] == []


def test_squad_v2_changes_the_synthetic_files_and_the_mode_only() -> None:
    squad_v2 = loader("squad_v2")
    catalog, base = squad_v2["catalog"], loader("local")["catalog"]
    assert catalog["raw_train"]["filepath"] == (
        "data/01_raw/synthetic_squad_v2_train.json"
    )
    assert catalog["raw_validation"]["unanswerable_fraction"] == 0.33
    assert base["raw_validation"]["filepath"] == (
        "data/01_raw/synthetic_korquad_validation.json"
    )
    assert base["raw_validation"]["unanswerable_fraction"] == 0.0
    assert squad_v2["parameters"]["task"] == {"version_2_with_negative": True}


def test_the_documented_gpu_command_gives_gpu_sized_arguments(tmp_path) -> None:
    text = (CONF / "korquad" / "parameters.yml").read_text(encoding="utf-8")
    (command,) = re.findall(r"kedro run --env korquad --params=(\S+)\n", text)[:1]
    runtime = _split_params(None, None, command)
    gpu = loader("korquad", runtime)["parameters"]
    cpu = loader("korquad")["parameters"]

    assert gpu["training"]["batch_size"] > cpu["training"]["batch_size"]
    assert gpu["training"]["learning_rate"] == pytest.approx(3.0e-5)
    assert gpu["inference"]["batch_size"] > cpu["inference"]["batch_size"]
    # What the command does not name stays as conf/korquad and conf/base set it.
    assert gpu["model"] == cpu["model"]
    assert gpu["training"]["num_train_epochs"] == cpu["training"]["num_train_epochs"]

    arguments = training_arguments(gpu["training"], str(tmp_path))
    # The command's values reach the Trainer's arguments.
    assert arguments.per_device_train_batch_size == gpu["training"]["batch_size"]
    assert arguments.learning_rate == gpu["training"]["learning_rate"]
    assert arguments.dataloader_num_workers == gpu["training"]["dataloader_num_workers"]
    assert arguments.dataloader_num_workers > cpu["training"]["dataloader_num_workers"]
    # bf16 only where a CUDA GPU supports it; never on the CPU.
    gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    assert arguments.bf16 is gpu_bf16
