"""What moving the storage root costs: each machine stage on local disk and on
an S3 server, the bytes each stage reads and writes, and Arrow against Parquet.

    python -m extractive_qa.bench.storage [--env ENV] [--endpoint URL]

Runs ``kedro run --pipelines=<stage> --params=storage=<root>`` for prepare,
train and report, first with a local root, then with ``s3://`` on the server at
``--endpoint`` (without one, moto's S3 server is started on 127.0.0.1 and
stopped afterwards). Wall times include Kedro's start-up, as a user sees them.
Writes ``storage_benchmark.{json,md}`` to ``data/08_reporting``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import fsspec
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from extractive_qa.bench.machine import describe_machine
from extractive_qa.datasets import ArrowTableDataset
from extractive_qa.stages import STAGES

logger = logging.getLogger(__name__)

TABLES = ("train_examples", "train_features", "validation_logits")
BUCKET = "storage-bench"
# moto accepts any key pair; a real server takes the AWS_* variables as given.
MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
REPEATS = 3


@contextmanager
def moto_server(environment: dict[str, str] | None = None) -> Iterator[str]:
    """moto's standalone S3 server on a free 127.0.0.1 port, with these
    environment variables added; its endpoint URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        raise RuntimeError(
            "moto_server is not installed; `pip install 'moto[server]'` (part of "
            "the test extra), or pass --endpoint of an S3 server you run."
        )
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(environment or {})},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"moto_server did not listen on port {port} in 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def run_stage(project: Path, env_name: str | None, stage: str, root: str) -> float:
    """Wall seconds of ``kedro run --pipelines=<stage>`` with this storage root."""
    command = [sys.executable, "-m", "kedro", "run", f"--pipelines={stage}"]
    command += [f"--params=storage={root}"]
    if env_name:
        command += ["--env", env_name]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return seconds


def entry_location(dataset: Any) -> tuple[fsspec.AbstractFileSystem, str] | None:
    """The filesystem and path of a persisted catalog entry; None in memory."""
    described = dataset._describe()
    location = described.get("filepath") or described.get("path")
    if location is None:
        return None
    if not hasattr(dataset, "_fs"):
        return fsspec.core.url_to_fs(str(location))
    return dataset._fs, dataset._fs._strip_protocol(str(location))


def stage_bytes(project: Path, env_name: str | None, root: str) -> dict[str, Any]:
    """Per stage, the bytes of the persisted entries it reads and writes."""
    bootstrap_project(project)
    runtime = {"storage": root}
    with KedroSession.create(
        project_path=project, env=env_name, runtime_params=runtime
    ) as session:
        catalog = session.load_context().catalog
        sizes = {}
        for stage in STAGES:
            reads = pipelines[stage].inputs()
            writes = pipelines[stage].all_outputs()
            sizes[stage] = {
                "read": _total(catalog, reads),
                "written": _total(catalog, writes),
            }
    return sizes


def _total(catalog: Any, names: set[str]) -> dict[str, int]:
    """Bytes per persisted entry among ``names``."""
    sizes = {}
    for name in sorted(names):
        if name.startswith("params:") or name not in catalog:
            continue
        location = entry_location(catalog[name])
        if location is not None and location[0].exists(location[1]):
            sizes[name] = int(location[0].du(location[1], total=True))
    return sizes


def read_metrics(root: str) -> dict[str, Any]:
    """The metrics the report stage wrote under ``root``."""
    with fsspec.open(f"{root}/08_reporting/metrics.json", "r") as metrics:
        return json.load(metrics)


def best_seconds(call: Any) -> float:
    """The fastest of ``REPEATS`` calls: other work on the machine only adds."""
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return min(timings)


def compare_formats(local_root: str, s3_root: str, fs_args: dict) -> list[dict]:
    """Bytes, save and load seconds of the big tables as Arrow and as Parquet,
    on local disk and on S3."""
    rows = []
    scratch = tempfile.mkdtemp(prefix="storage-bench-")
    try:
        for table_name in TABLES:
            source = ArrowTableDataset(path=_table_path(local_root, table_name))
            table = source.load()
            for place, root, options in (
                ("local disk", scratch, {}),
                ("S3 server", f"{s3_root}/formats", fs_args),
            ):
                for file_format in ("arrow", "parquet"):
                    target = ArrowTableDataset(
                        path=f"{root}/{table_name}.{file_format}",
                        file_format=file_format,
                        fs_args=options,
                    )
                    save = best_seconds(partial(target.save, table))
                    load = best_seconds(target.load)
                    fs, path = fsspec.core.url_to_fs(
                        f"{root}/{table_name}.{file_format}", **options
                    )
                    rows.append(
                        {
                            "table": table_name,
                            "rows": len(table),
                            "where": place,
                            "format": file_format,
                            "bytes": int(fs.du(path, total=True)),
                            "save_s": round(save, 3),
                            "load_s": round(load, 3),
                        }
                    )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def _table_path(root: str, name: str) -> str:
    layer = {
        "train_examples": "02_intermediate",
        "train_features": "04_feature",
        "validation_logits": "07_model_output",
    }[name]
    return f"{root}/{layer}/{name}"


def markdown(report: dict[str, Any]) -> str:
    """The report as README-ready tables."""
    lines = [
        "| stage | local disk, s | S3 server, s | reads, MB | writes, MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage in STAGES:
        sizes = report["bytes"][stage]
        lines.append(
            f"| {stage} | {report['seconds']['local'][stage]:.1f} | "
            f"{report['seconds']['s3'][stage]:.1f} | "
            f"{sum(sizes['read'].values()) / 1e6:.2f} | "
            f"{sum(sizes['written'].values()) / 1e6:.2f} |"
        )
    lines += ["", "| storage root | SQuAD EM / F1 | KorQuAD EM / F1 |", "|---|---|---|"]
    for place, metrics in report["metrics"].items():
        squad, korquad = metrics["squad"], metrics["korquad"]
        lines.append(
            f"| {place} | {squad['exact_match']:.2f} / {squad['f1']:.2f} | "
            f"{korquad['exact_match']:.2f} / {korquad['f1']:.2f} |"
        )
    lines += ["", "| entry | stage that writes it | MB |", "|---|---|---:|"]
    for stage in STAGES:
        for name, size in report["bytes"][stage]["written"].items():
            lines.append(f"| {name} | {stage} | {size / 1e6:.2f} |")
    lines += [
        "",
        "| table | rows | where | format | MB | save, s | load, s |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    for row in report["formats"]:
        lines.append(
            f"| {row['table']} | {row['rows']} | {row['where']} | {row['format']} | "
            f"{row['bytes'] / 1e6:.2f} | {row['save_s']:.3f} | {row['load_s']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default=None, help="Kedro environment to run")
    parser.add_argument("--endpoint", default=None, help="S3 endpoint URL")
    parser.add_argument("--out", default="data/08_reporting")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    project = Path.cwd()
    local_root = tempfile.mkdtemp(prefix="storage-bench-local-", dir=project / "data")
    with _endpoint(args.endpoint) as endpoint:
        # The stages run in subprocesses, which find the server through these.
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        if not args.endpoint:
            os.environ.update(MOTO_KEYS)
        fs_args = {"client_kwargs": {"endpoint_url": endpoint}}
        fs = fsspec.filesystem("s3", **fs_args)
        if not fs.exists(BUCKET):
            fs.mkdir(BUCKET)
        s3_root = f"s3://{BUCKET}/run-{int(time.time())}"
        report: dict[str, Any] = {"machine": describe_machine(), "seconds": {}}
        for place, root in (("local", local_root), ("s3", s3_root)):
            report["seconds"][place] = {}
            for stage in STAGES:
                seconds = run_stage(project, args.env, stage, root)
                report["seconds"][place][stage] = round(seconds, 1)
                logger.info("%s on %s: %.1f s", stage, place, seconds)
        report["metrics"] = {
            place: read_metrics(root)
            for place, root in (("local", local_root), ("s3", s3_root))
        }
        report["bytes"] = stage_bytes(project, args.env, s3_root)
        report["formats"] = compare_formats(local_root, s3_root, fs_args)
    shutil.rmtree(local_root, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "storage_benchmark.json").write_text(json.dumps(report, indent=2))
    (out / "storage_benchmark.md").write_text(markdown(report))
    logger.info("%s", markdown(report))


@contextmanager
def _endpoint(endpoint: str | None) -> Iterator[str]:
    if endpoint:
        yield endpoint
    else:
        with moto_server() as started:
            yield started


if __name__ == "__main__":
    main()
