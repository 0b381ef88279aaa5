"""A failed run ends with its cause, not with a few hundred lines of traceback.

``report_failure`` appends the traceback to a log file (``logs/failures.log``
for ``kedro run``), logs it at debug level, and prints a short block to stderr
whose last lines are the exception type, the node it happened in and its
message, which says what to fix. Set ``EXTRACTIVE_QA_TRACEBACK=1`` to have the
traceback printed as well.

``stop_on_sigterm`` turns SIGTERM (a scheduler's timeout or kill) into an
exception that unwinds the run as Ctrl-C does, so that its exit handlers run
and the storage lock is removed.

``plain_console_when_piped`` swaps the Rich console handler for plain
one-line records when output goes to a file or a pipe (CI, ``> run.log``),
where Rich would wrap every message at 80 columns.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import rich.logging

logger = logging.getLogger(__name__)

TRACEBACK_ENV = "EXTRACTIVE_QA_TRACEBACK"
PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_failed_node: list[str] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is; a KeyboardInterrupt, so that whatever
    cleans up after Ctrl-C cleans up after it too."""


def _raise_terminated(signum: int, frame: object) -> None:
    # A second SIGTERM must not cut the clean-up short (a scheduler that
    # insists sends SIGKILL).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def stop_on_sigterm() -> Callable[[], None]:
    """Raise ``Terminated`` on SIGTERM instead of ending the process at once,
    where SIGTERM still has its default action and this is the main thread;
    returns what puts the previous handling back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    if previous != signal.SIG_DFL:
        return lambda: None
    signal.signal(signal.SIGTERM, _raise_terminated)
    return lambda: signal.signal(signal.SIGTERM, previous)


def note_failed_node(name: str | None) -> None:
    """Remember the node a run is in, which is the one it failed in if it fails
    now (called from Kedro hooks); None: between nodes."""
    _failed_node[:] = [name] if name else []


def failed_node() -> str | None:
    return _failed_node[0] if _failed_node else None


def traceback_wanted() -> bool:
    return os.environ.get(TRACEBACK_ENV, "").lower() in ("1", "true", "yes", "on")


def failure_summary(error: BaseException, node: str | None = None) -> str:
    """The lines that end a failed run: where, what, and the message."""
    where = f" in node '{node}'" if node else ""
    kind = type(error).__name__
    message = str(error).strip() or "(no message)"
    return f"Run failed{where}: {kind}\n{message}"


def write_traceback(error: BaseException, node: str | None, log_file: Path) -> None:
    """Append the failure, with its traceback, to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    header = f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} " + " ".join(sys.argv)
    with log_file.open("a", encoding="utf-8") as file:
        file.write(f"{header}\n{failure_summary(error, node)}\n\n")
        file.write("".join(traceback.format_exception(error)))
        file.write("\n")


def report_failure(
    error: BaseException,
    node: str | None = None,
    stream: TextIO | None = None,
    log_file: Path | None = None,
) -> None:
    """Keep the traceback (``log_file``, debug log), then print the cause."""
    stream = stream or sys.stderr
    logger.debug("run failed%s", f" in node {node}" if node else "", exc_info=error)
    try:
        if log_file is not None:
            write_traceback(error, node, log_file)
    except OSError:
        log_file = None
    lines = []
    if traceback_wanted():
        lines.append("".join(traceback.format_exception(error)).rstrip())
    else:
        lines.append(
            f"The full traceback is in {log_file}; {TRACEBACK_ENV}=1 prints it."
            if log_file is not None
            else f"{TRACEBACK_ENV}=1 prints the full traceback."
        )
    lines.append(failure_summary(error, node))
    stream.write("\n" + "\n".join(lines) + "\n")
    stream.flush()


def plain_console_when_piped() -> None:
    """Replace Rich console handlers that do not write to a terminal with plain
    handlers on the same stream, one unwrapped line per record."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler, rich.logging.RichHandler):
            continue
        if handler.console.is_terminal:
            continue
        plain = logging.StreamHandler(handler.console.file)
        plain.setLevel(handler.level)
        plain.setFormatter(logging.Formatter(PLAIN_FORMAT))
        root.removeHandler(handler)
        root.addHandler(plain)
