"""Whether the tracking server a run is pointed at answers, found out within a
few seconds; MLflow's own client retries for minutes before it gives up."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

# Seconds for looking the server's name up and connecting to its port, together.
CONNECT_TIMEOUT_S = 5


class TrackingServerError(ConnectionError):
    """The tracking server a run was pointed at does not answer."""


def _addresses(host: str, port: int, timeout: float) -> list[tuple]:
    """``host``'s addresses for ``port``; the system's resolver has no timeout
    of its own, so it runs in a thread that is left behind after ``timeout``."""
    found: dict[str, object] = {}

    def resolve() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            found["error"] = error

    thread = threading.Thread(target=resolve, name="tracking-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise OSError(f"the name {host} was not resolved within {timeout:g} s")
    if "error" in found:
        raise found["error"]  # type: ignore[misc]
    return found["addresses"]  # type: ignore[return-value]


def connect_within(host: str, port: int, timeout: float) -> None:
    """Open and close a TCP connection to ``host:port``, name lookup included,
    or raise ``OSError`` once ``timeout`` seconds have gone."""
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    for family, kind, protocol, _, address in _addresses(host, port, timeout):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.socket(family, kind, protocol) as connection:
                connection.settimeout(left)
                connection.connect(address)
            return
        except OSError as error:
            last = error
    raise last or OSError(f"no address of {host} answered within {timeout:g} s")


def check_tracking_server(uri: str, source: str, local_store: str) -> None:
    """Raise ``TrackingServerError`` when ``uri`` is an http(s) server whose
    port cannot be connected to; ``source`` says where the URI came from and
    ``local_store`` where runs go without one."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return
    if parts.scheme in getproxies() and not proxy_bypass(parts.hostname):
        return  # reached through a proxy, which MLflow's client uses too
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        connect_within(parts.hostname, port, CONNECT_TIMEOUT_S)
    except OSError as error:
        raise TrackingServerError(
            f"The tracking server {uri} (from {source}) cannot be reached: "
            f"{error}. Start it (e.g. `mlflow server --host 127.0.0.1 --port "
            f"{port}`) or correct the URI; without one, runs go to the "
            f"project's own {local_store} (unset MLFLOW_TRACKING_URI and leave "
            "server.mlflow_tracking_uri out of conf/<env>/mlflow.yml)."
        ) from None
