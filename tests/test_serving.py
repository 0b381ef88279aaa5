"""The served model's device: the one it was logged with where this machine
has it, else ``auto``."""

from __future__ import annotations

import logging

import pytest
import torch

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
