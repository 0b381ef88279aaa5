"""The served model's device: the one it was logged with where this machine
has it, else ``auto``."""

from __future__ import annotations

import logging

from extractive_qa.serving.pyfunc import serving_device


def test_a_logged_device_this_machine_has_is_kept() -> None:
    assert serving_device("cpu") == "cpu"


def test_a_logged_device_this_machine_lacks_becomes_auto(caplog) -> None:
    # No Linux machine has Apple's MPS.
    with caplog.at_level(logging.WARNING, logger="extractive_qa.serving"):
        assert serving_device("mps") == "auto"
    assert "logged with device 'mps', which this machine lacks" in caplog.text
