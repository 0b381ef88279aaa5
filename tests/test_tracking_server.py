"""The tracking server check: a server that listens passes, a closed port or a
name that is never resolved is named within the timeout."""

from __future__ import annotations

import socket
import threading

import pytest

from extractive_qa.hooks import tracking_server
from extractive_qa.hooks.tracking_server import (
    TrackingServerError,
    check_tracking_server,
)


def test_a_listening_server_passes():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        check_tracking_server(f"http://127.0.0.1:{port}", "MLFLOW_TRACKING_URI", "x")


def test_a_closed_port_is_named_with_where_the_uri_came_from():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
    # Closed now: nothing listens there.
    uri = f"http://127.0.0.1:{port}"

    with pytest.raises(TrackingServerError) as error:
        check_tracking_server(uri, "conf/<env>/mlflow.yml", "mlflow.db")

    message = str(error.value)
    assert message.startswith(
        f"The tracking server {uri} (from conf/<env>/mlflow.yml) cannot be reached"
    )
    assert f"mlflow server --host 127.0.0.1 --port {port}" in message
    assert "the project's own mlflow.db" in message


def test_a_name_lookup_that_never_ends_is_bounded(monkeypatch):
    released = threading.Event()

    def never_answers(*args, **kwargs):
        released.wait(60)
        raise socket.gaierror("released")

    monkeypatch.setattr(tracking_server.socket, "getaddrinfo", never_answers)
    monkeypatch.setattr(tracking_server, "CONNECT_TIMEOUT_S", 0.2)
    try:
        with pytest.raises(TrackingServerError, match="was not resolved within 0.2 s"):
            check_tracking_server("http://tracking.example:5000", "X", "mlflow.db")
    finally:
        released.set()


@pytest.mark.parametrize(
    "uri", ["sqlite:///mlflow.db", "file:///tmp/runs", "databricks"]
)
def test_stores_that_are_not_servers_are_not_checked(uri):
    check_tracking_server(uri, "MLFLOW_TRACKING_URI", "mlflow.db")
