"""Logging filters the project installs (Kedro's logging configuration may not
name one)."""

from __future__ import annotations

import logging


class DropMessages(logging.Filter):
    """Drops the records whose message holds one of ``fragments``.

    Some advice reaches every run as a warning that no setting of this project
    can answer, and a warnings filter cannot always hide it: MLflow, for one,
    shows its own under a ``warnings`` filter it sets itself. Kedro logs warnings
    (the ``py.warnings`` logger), so they are dropped there instead.
    """

    def __init__(self, fragments: list[str]) -> None:
        super().__init__()
        self._fragments = tuple(fragments)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(fragment in message for fragment in self._fragments)
