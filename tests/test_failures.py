"""A failure is reported as its cause in the last lines, with the traceback in
the log file; piped output is not wrapped."""

from __future__ import annotations

import io
import logging
import os
import signal

import pytest
import rich.console
import rich.logging
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog
from kedro.io.core import DatasetError
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset

from extractive_qa.failures import (
    PLAIN_FORMAT,
    TRACEBACK_ENV,
    Terminated,
    failed_node,
    plain_console_when_piped,
    report_failure,
    stop_on_sigterm,
)
from extractive_qa.hooks.run import FailedNode


def raised(message: str) -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as error:
        return error


def test_last_lines_are_node_type_and_message_and_traceback_is_kept(
    caplog, monkeypatch, tmp_path
):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    stream = io.StringIO()
    log_file = tmp_path / "logs" / "failures.log"

    with caplog.at_level(logging.DEBUG, logger="extractive_qa.failures"):
        report_failure(raised("x is 0.\nSet x to 1."), "score", stream, log_file)

    lines = stream.getvalue().strip().splitlines()
    assert lines[-3:] == [
        "Run failed in node 'score': ValueError",
        "x is 0.",
        "Set x to 1.",
    ]
    assert (
        lines[-4]
        == f"The full traceback is in {log_file}; {TRACEBACK_ENV}=1 prints it."
    )
    assert "Traceback" not in stream.getvalue()
    kept = log_file.read_text()
    assert "Run failed in node 'score': ValueError" in kept
    assert "Traceback (most recent call last)" in kept
    assert "raise ValueError(message)" in kept
    (record,) = caplog.records
    assert record.levelno == logging.DEBUG


def test_without_a_log_file_the_variable_is_named(monkeypatch):
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    stream = io.StringIO()

    report_failure(raised("boom"), None, stream)

    assert stream.getvalue().strip().splitlines()[-3:] == [
        f"{TRACEBACK_ENV}=1 prints the full traceback.",
        "Run failed: ValueError",
        "boom",
    ]


def test_traceback_is_printed_when_asked_and_kept_as_well(monkeypatch, tmp_path):
    monkeypatch.setenv(TRACEBACK_ENV, "1")
    stream = io.StringIO()
    log_file = tmp_path / "failures.log"

    report_failure(raised("boom"), None, stream, log_file)

    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text
    assert text.strip().splitlines()[-2:] == ["Run failed: ValueError", "boom"]
    assert "Traceback (most recent call last)" in log_file.read_text()


def test_rich_console_on_a_pipe_becomes_plain_lines():
    root = logging.getLogger()
    saved = list(root.handlers)
    stream = io.StringIO()
    rich_handler = rich.logging.RichHandler(
        console=rich.console.Console(file=stream, width=80)
    )
    try:
        root.handlers[:] = [rich_handler]
        plain_console_when_piped()
        (handler,) = root.handlers
        long_message = "a long line " * 20
        logging.getLogger("extractive_qa.test").warning(long_message)
    finally:
        root.handlers[:] = saved

    assert handler is not rich_handler
    assert handler.formatter._fmt == PLAIN_FORMAT
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(f"WARNING extractive_qa.test: {long_message}")


def test_the_node_whose_input_cannot_load_is_the_failed_node(tmp_path):
    good, broken = tmp_path / "good.json", tmp_path / "broken.json"
    good.write_text('{"a": 1}')
    broken.write_text('{"a": ')
    catalog = DataCatalog(
        {
            "good": JSONDataset(filepath=str(good)),
            "broken": JSONDataset(filepath=str(broken)),
        }
    )
    pipeline = Pipeline(
        [
            node(lambda data: data, "good", "first_out", name="reads_good"),
            node(
                lambda data, _: data,
                ["broken", "first_out"],
                "out",
                name="reads_broken",
            ),
        ]
    )
    hooks = _create_hook_manager()
    hooks.register(FailedNode())

    with pytest.raises(DatasetError):
        SequentialRunner().run(pipeline, catalog, hooks)

    assert failed_node() == "reads_broken"


def test_sigterm_unwinds_once_and_the_handling_is_put_back():
    inherited = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        restore = stop_on_sigterm()
        with pytest.raises(Terminated):
            # The handler raises before the next instruction.
            os.kill(os.getpid(), signal.SIGTERM)
        # A second SIGTERM while cleaning up is ignored, not raised again.
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        restore()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, inherited)
