"""Each way a starting checkpoint can be unusable gets its own message, before
any node runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extractive_qa.parameter_checks import check_model_source
from extractive_qa.qa_model import ModelSourceError, UnsafeWeightsError


@pytest.fixture
def checkpoint(tmp_path, korean_tokenizer, tiny_qa_model) -> Path:
    """A complete save_pretrained folder: config, safetensors, tokenizer."""
    folder = tmp_path / "checkpoint"
    tiny_qa_model.save_pretrained(folder)
    korean_tokenizer.save_pretrained(folder)
    return folder


def problem(source: str | Path, trust_remote_code: bool = False) -> str:
    parameters = {
        "model": {"checkpoint": str(source), "trust_remote_code": trust_remote_code}
    }
    with pytest.raises(ModelSourceError) as error:
        check_model_source(parameters)
    return str(error.value)


def test_complete_folder_passes(checkpoint):
    check_model_source({"model": {"checkpoint": str(checkpoint)}})


def test_missing_folder(tmp_path):
    missing = tmp_path / "no-such-model"

    message = problem(missing)

    assert message.startswith(f"model.checkpoint: {missing}: no such folder")
    assert message.endswith("No node ran.")


def test_folder_without_weights(checkpoint):
    (checkpoint / "model.safetensors").unlink()

    message = problem(checkpoint)

    assert f"{checkpoint} holds no weights: no model.safetensors" in message
    assert "pickle" not in message


def test_folder_with_pickled_weights_only(checkpoint, tiny_qa_model):
    (checkpoint / "model.safetensors").unlink()
    (checkpoint / "pytorch_model.bin").write_bytes(b"not loaded")

    with pytest.raises(UnsafeWeightsError) as error:
        check_model_source({"model": {"checkpoint": str(checkpoint)}})

    assert "holds no safetensors weights (found ['pytorch_model.bin'])" in str(
        error.value
    )


def test_folder_without_tokenizer(checkpoint):
    for name in ("tokenizer.json", "vocab.txt"):
        (checkpoint / name).unlink(missing_ok=True)

    assert f"{checkpoint} holds no tokenizer (none of tokenizer.json" in problem(
        checkpoint
    )


def test_folder_without_config(checkpoint):
    (checkpoint / "config.json").unlink()

    assert f"{checkpoint} holds no config.json" in problem(checkpoint)


def test_custom_code_is_named_unless_trusted(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    config["auto_map"] = {"AutoModelForQuestionAnswering": "modeling_x.XForQA"}
    (checkpoint / "config.json").write_text(json.dumps(config))

    message = problem(checkpoint)

    assert "config.json names custom code (auto_map: " in message
    assert "['AutoModelForQuestionAnswering']" in message
    assert "model.trust_remote_code: true in the run's parameters" in message
    assert "the answer command and the served model load built-in classes" in message
    check_model_source(
        {"model": {"checkpoint": str(checkpoint), "trust_remote_code": True}}
    )


def test_hub_id_not_in_the_offline_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)

    message = problem("someone/not-cached-model")

    assert "someone/not-cached-model is not a folder here" in message
    assert "HF_HUB_OFFLINE=1" in message


def test_a_file_is_not_a_folder(checkpoint):
    weights = checkpoint / "model.safetensors"
    shutil.copy(weights, checkpoint.parent / "weights.safetensors")

    message = problem(checkpoint.parent / "weights.safetensors")

    assert "is a file; give the folder written by save_pretrained" in message


def cut_short(path: Path, keep: int) -> None:
    """Truncate ``path`` to ``keep`` bytes (negative: all but that many)."""
    content = path.read_bytes()
    path.write_bytes(content[:keep])


@pytest.mark.parametrize(
    ("name", "keep", "damage"),
    [
        ("config.json", 1, "it is not valid JSON (Expecting property name"),
        ("tokenizer.json", 20, "it is not valid JSON ("),
        ("model.safetensors", 20, "its header is cut short"),
        ("model.safetensors", -100, "it is cut short: its tensors need more"),
    ],
)
def test_a_file_cut_short_is_named_before_loading(checkpoint, name, keep, damage):
    cut_short(checkpoint / name, keep)

    message = problem(checkpoint)

    assert f"model.checkpoint: {checkpoint / name} cannot be read: {damage}" in (
        message
    )
    assert "save it again with save_pretrained, or copy it again" in message


@pytest.mark.parametrize("header", [b"[1, 2]", b'{"w": {"dtype": "F32"}}'])
def test_a_header_that_is_json_but_not_safetensors_is_named(checkpoint, header):
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(len(header).to_bytes(8, "little") + header)

    message = problem(checkpoint)

    assert f"{weights} cannot be read: its header is not a safetensors header" in (
        message
    )
