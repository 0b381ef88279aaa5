"""Helpers of the tests that start real processes, servers and browsers on
127.0.0.1: a free port, stopping a process and its children by PID, killing a
run at a line of its log, Chromium."""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import threading

import psutil

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1600,1000",
]


def find_chromium() -> str | None:
    """Debian's chromium (installed by .ci/run), or any chromium on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def free_port() -> int:
    """A free port on 127.0.0.1 below 49152: kedro viz refuses higher ones, and
    the system's ephemeral ports (what binding port 0 gives) are often higher."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 45_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on 127.0.0.1 between 20000 and 45000")


def stop_process_tree(process: subprocess.Popen) -> None:
    """Terminate a process and every child it started, each by PID; kill what is
    still alive after 10 s."""
    try:
        family = [psutil.Process(process.pid)]
        family += family[0].children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        try:
            member.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(family, timeout=10)
    for member in alive:
        member.kill()
    psutil.wait_procs(alive, timeout=10)
    process.wait(timeout=10)


def kill_at_line(process: subprocess.Popen, text: str, limit_s: float) -> str:
    """SIGKILL ``process`` as soon as a line of its output (piped, as text)
    contains ``text``, and return that line. The lines are read as they come,
    never on a sleep; the loop ends with the output, and a watchdog kills the
    process after ``limit_s`` seconds."""
    watchdog = threading.Timer(limit_s, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            if text in line:
                process.send_signal(signal.SIGKILL)
                return line
        raise AssertionError(
            f"the process ended (exit {process.wait(timeout=60)}) or ran past "
            f"{limit_s} s without a line containing {text!r}"
        )
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        process.stdout.close()
