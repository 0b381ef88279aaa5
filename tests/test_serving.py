"""The served model's device: the one it was logged with where this machine
has it, else ``auto``; and the serving benchmark's missing input, named."""

from __future__ import annotations

import logging

import pytest
import torch

from extractive_qa.bench import serving
from extractive_qa.serving.pyfunc import serving_device


def test_a_logged_device_this_machine_has_is_kept() -> None:
    assert serving_device("cpu") == "cpu"


@pytest.mark.skipif(
    torch.backends.mps.is_available(), reason="this machine has Apple's MPS"
)
def test_a_logged_device_this_machine_lacks_becomes_auto(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="extractive_qa.serving"):
        assert serving_device("mps") == "auto"
    assert "logged with device 'mps', which this machine lacks" in caplog.text


def test_the_serving_benchmark_names_missing_examples(tmp_path, capsys) -> None:
    missing = tmp_path / "validation_examples"
    with pytest.raises(SystemExit) as exit_:
        serving.main(["--examples", str(missing), "--model-uri", "runs:/x/model"])
    assert exit_.value.code == 2
    assert f"--examples {missing}: no saved examples table there; run `make run`" in (
        capsys.readouterr().err
    )
