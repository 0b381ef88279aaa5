"""The advice MLflow gives every pyfunc class is dropped from Kedro's log of
warnings, under MLflow's own warnings filter too; other warnings still show."""

from __future__ import annotations

import logging
import warnings

import extractive_qa  # noqa: F401 - installs the filter, as every kedro command does


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_mlflow_advice_is_dropped_and_other_warnings_are_logged():
    records = Records()
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.addHandler(records)
    # Kedro may have turned the capture on already, and pytest puts its own
    # recorder in place for each test: the capture is set up afresh here, and
    # left on or off as it was.
    capturing = logging._warnings_showwarning is not None
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    try:
        # What MLflow does: a warnings filter of its own, which overrides any
        # filter set outside it (MLflow's is "once"; "always" here, so that the
        # test sees its warnings however often it runs in one process).
        with warnings.catch_warnings():
            warnings.simplefilter("always", category=UserWarning)
            warnings.warn(
                "\x1b[33mAdd type hints to the `predict` method to enable data "
                "validation\x1b[0m",
                UserWarning,
                stacklevel=1,
            )
            warnings.warn("the tokenizer lowercases Hangul", UserWarning, stacklevel=1)
    finally:
        logging.captureWarnings(False)
        logging.captureWarnings(capturing)
        warnings_logger.removeHandler(records)

    assert len(records.messages) == 1
    assert "the tokenizer lowercases Hangul" in records.messages[0]
