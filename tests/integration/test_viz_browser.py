"""kedro viz, served and drawn in a real headless Chromium.

The server runs on 127.0.0.1 on a free port over the reduced project; the page
is driven through the Chrome DevTools Protocol: the test reads the node names
the app drew into the SVG, checks layers and a dataset preview through the
server's API, and saves a screenshot to data/08_reporting/kedro_viz.png in the
repository (the picture README shows, copied to docs/images/).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64decode
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect

from extractive_qa.pipeline_registry import register_pipelines

from .servers import CHROMIUM_FLAGS, find_chromium, free_port, stop_process_tree

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "data" / "08_reporting" / "kedro_viz.png"
VIEWPORT = (1600, 1000)
# kedro-viz keeps its settings in localStorage: no feature tour over the graph,
# the light theme for the README.
VIZ_SETTINGS = {"showFeatureHints": False, "theme": "light"}
SECONDS_TO_START = 120
SECONDS_TO_DRAW = 60


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's `chromium` package "
            "(apt-get install -y chromium; .ci/run does) to run the kedro viz "
            "browser test"
        )
    return path


@pytest.fixture(scope="module")
def viz_url(reduced_project: Path, subprocess_env: dict) -> Iterator[str]:
    """``kedro viz run`` on 127.0.0.1 over the reduced project, until the API
    answers; stopped with its child process afterwards."""
    port = free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "kedro", "viz", "run", "--host", "127.0.0.1"]
        + ["--port", str(port), "--no-browser", "--env", "reduced"],
        cwd=reduced_project,
        env=subprocess_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SECONDS_TO_START
        while True:
            try:
                get_json(f"{url}/api/main")
                break
            except (urllib.error.URLError, ConnectionError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read().decode()
                pytest.fail(
                    f"kedro viz did not serve its API within {SECONDS_TO_START} s "
                    f"(exit status {server.poll()}):\n{output[:1500]}\n...\n"
                    f"{output[-1500:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        stop_process_tree(server)
        log.close()


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs, over one page."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._next_id = 0

    def call(self, method: str, **params: object) -> dict:
        self._next_id += 1
        self._connection.send(
            json.dumps({"id": self._next_id, "method": method, "params": params})
        )
        # Events arrive between replies; at most this many are skipped.
        for _ in range(10_000):
            message = json.loads(self._connection.recv(timeout=30))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
        raise RuntimeError(f"{method}: no reply among 10000 messages")

    def evaluate(self, expression: str) -> object:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result["result"].get("value")


@pytest.fixture(scope="module")
def page(chromium: str, viz_url: str) -> Iterator[DevTools]:
    """A headless Chromium tab on the viz page, through DevTools."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    browser = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        + ["--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
        + ["about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active_port = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not active_port.exists() or not active_port.read_text().strip():
            if browser.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Chromium did not open its DevTools port within 30 s")
            time.sleep(0.1)
        port = active_port.read_text().split()[0]
        targets = get_json(f"http://127.0.0.1:{port}/json/list")
        socket_url = next(t for t in targets if t["type"] == "page")[
            "webSocketDebuggerUrl"
        ]
        with connect(socket_url, max_size=64 * 2**20) as connection:
            devtools = DevTools(connection)
            devtools.call(
                "Emulation.setDeviceMetricsOverride",
                width=VIEWPORT[0],
                height=VIEWPORT[1],
                deviceScaleFactor=1,
                mobile=False,
            )
            # Settings go in before the app starts (it saves its own state when
            # a page unloads), from a page of the same origin.
            devtools.call("Page.navigate", url=f"{viz_url}/api/version")
            wait_for(devtools, "document.readyState === 'complete'")
            devtools.evaluate(
                f"localStorage.setItem('KedroViz', '{json.dumps(VIZ_SETTINGS)}')"
            )
            devtools.call("Page.navigate", url=viz_url)
            wait_for(devtools, "document.readyState === 'complete'")
            yield devtools
    finally:
        stop_process_tree(browser)
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(devtools: DevTools, condition: str) -> None:
    deadline = time.monotonic() + SECONDS_TO_DRAW
    while not devtools.evaluate(f"Boolean({condition})"):
        if time.monotonic() > deadline:
            pytest.fail(f"the page never satisfied {condition!r}")
        time.sleep(0.25)


def drawn_node_names(devtools: DevTools) -> set[str]:
    return set(
        devtools.evaluate(
            "Array.from(document.querySelectorAll('.pipeline-node__text'))"
            ".map(e => e.textContent)"
        )
        or []
    )


def test_every_default_node_and_dataset_is_drawn(page: DevTools) -> None:
    default = register_pipelines()["__default__"]
    expected = {node.name for node in default.nodes}
    expected |= {d for d in default.datasets() if not d.startswith("params:")}
    assert {"load", "tokenize_train", "fine_tune", "score"} <= expected
    deadline = time.monotonic() + SECONDS_TO_DRAW
    while not expected <= drawn_node_names(page) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert expected <= drawn_node_names(page), expected - drawn_node_names(page)


def test_layers_are_drawn_in_pipeline_order(page: DevTools) -> None:
    wait_for(page, "document.querySelectorAll('.pipeline-layer-name').length > 0")
    layers = page.evaluate(
        "Array.from(document.querySelectorAll('.pipeline-layer-name'))"
        ".map(e => e.textContent)"
    )
    assert layers == [
        "raw",
        "intermediate",
        "primary",
        "feature",
        "model",
        "model_output",
        "reporting",
    ]


def test_examples_preview_shows_their_first_rows(viz_url: str) -> None:
    graph = get_json(f"{viz_url}/api/main")
    ids = {node["name"]: node["id"] for node in graph["nodes"]}
    details = get_json(f"{viz_url}/api/nodes/{ids['validation_examples']}")
    assert details["preview_type"] == "TablePreview"
    preview = details["preview"]
    assert preview["columns"] == ["id", "title", "context", "question", "answers"]
    assert len(preview["data"]) == 5
    assert preview["data"][0][0].startswith("validation-")


def test_screenshot_of_the_drawn_pipeline(page: DevTools) -> None:
    # An offline server cannot look up the newest release and reports itself
    # outdated; dismiss that banner as a user would.
    page.evaluate(
        "Array.from(document.querySelectorAll('.update-reminder-unexpanded button'))"
        ".filter(b => b.textContent === 'Dismiss').forEach(b => b.click())"
    )
    wait_for(page, "document.querySelectorAll('.pipeline-node__text').length > 0")
    # Nodes fade in: wait until no CSS transition is still running (the page
    # also runs endless animations, which never finish).
    wait_for(
        page,
        "document.getAnimations().filter(a => a instanceof CSSTransition)"
        ".every(a => a.playState !== 'running')",
    )
    assert not page.evaluate("document.querySelector('.feature-hints')")
    shot = b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    assert shot.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = (int.from_bytes(shot[16:20]), int.from_bytes(shot[20:24]))
    assert (width, height) == VIEWPORT
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(shot)
