"""Project commands: Kedro's ``run``, ending a failed run with its cause.

Kedro picks up ``<package>.cli`` and lets its ``run`` replace the built-in
one; options, help and behaviour are Kedro's own (``kedro run --help``).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from extractive_qa.failures import (
    failed_node,
    plain_console_when_piped,
    report_failure,
)


@click.group(name="extractive_qa")
def cli() -> None:
    """Commands of the extractive_qa project."""


def _run(**kwargs: Any) -> None:
    plain_console_when_piped()
    try:
        kedro_run.callback(**kwargs)
    except Exception as error:  # noqa: BLE001 - every failure ends the same way
        report_failure(error, failed_node())
        sys.exit(1)


cli.add_command(
    click.Command(
        name="run",
        params=kedro_run.params,
        callback=_run,
        help=kedro_run.help,
        short_help=kedro_run.short_help,
    )
)
