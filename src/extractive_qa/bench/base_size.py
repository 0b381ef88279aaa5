"""A base-size ELECTRA on the CPU: ``make bench-base``.

The model has the shape of ELECTRA-base (``bench.base_size``: hidden 768, 12
layers, 12 heads, intermediate 3,072, vocabulary 35,000) with random weights,
and a tokenizer learnt on the synthetic data. Its windows are real synthetic
windows of exactly ``sequence_length`` tokens (long paragraphs, cut as the
project cuts them).

Each configuration of ``bench.base_size.configurations`` (attention
implementation, ``torch.compile`` on or off, thread count) runs in a process of
its own and measures:

- prediction: ``predict_batches`` forward passes under ``torch.inference_mode``,
  in windows/s, after ``warmup_steps`` untimed ones (which hold the compilation);
- training: the fine-tuning step (forward, loss on the labelled start and end,
  backward, AdamW step) for ``train_steps`` steps after ``warmup_steps``, in
  samples/s, with the warm-up timed apart;
- the growth of resident memory during each.

The report goes to ``data/08_reporting/base_size_benchmark.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import datasets
import torch

from extractive_qa.bench.electra_base import base_model
from extractive_qa.bench.machine import describe_machine
from extractive_qa.bench.measure import measure
from extractive_qa.bench.project import base_parameters, project_root
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.qa.feature_sets import train_windows
from extractive_qa.records import check_split
from extractive_qa.training.models import learnt_tokenizer

logger = logging.getLogger(__name__)


def full_windows(shape: dict[str, Any], seed: int) -> datasets.Dataset:
    """Training windows of exactly ``sequence_length`` tokens, cut from long
    synthetic paragraphs by the project's tokenizer and window settings."""
    length = shape["sequence_length"]
    document = generate_korquad(
        split="train",
        n_questions=shape["questions"],
        seed=seed,
        long_fraction=1.0,
    )
    examples, _ = check_split(document, "synthetic", "error")
    tokenizer = learnt_tokenizer(
        examples, shape["vocab_size"], shape["max_position_embeddings"]
    )
    tokenization = {
        "max_length": length,
        "doc_stride": length // 3,
        "max_query_length": min(64, length // 4),
        "chunk_size": 1000,
    }
    windows = train_windows(examples, tokenizer, tokenization)
    full = windows.filter(lambda ids: len(ids) == length, input_columns="input_ids")
    if not len(full):
        raise ValueError(
            f"no synthetic window reached {length} tokens; raise "
            "bench.base_size.questions or lower sequence_length."
        )
    return full.with_format(
        "torch",
        columns=[
            "input_ids",
            "token_type_ids",
            "start_positions",
            "end_positions",
        ],
    )


def _batches(windows: datasets.Dataset, batch_size: int, count: int) -> list[dict]:
    """``count`` batches, cycling through the windows."""
    batches = []
    for number in range(count):
        first = (number * batch_size) % max(1, len(windows) - batch_size + 1)
        batches.append(windows[first : first + batch_size])
    return batches


def _train(model: torch.nn.Module, batches: list[dict], warmup: int) -> dict:
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    times = []
    for batch in batches:
        began = time.perf_counter()
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - began)
    samples = sum(len(b["input_ids"]) for b in batches[warmup:])
    return {
        "warmup_seconds": round(sum(times[:warmup]), 2),
        "step_seconds": round(sum(times[warmup:]) / len(times[warmup:]), 3),
        "samples_per_second": round(samples / sum(times[warmup:]), 3),
        "final_loss": round(loss.item(), 4),
    }


def _predict(model: torch.nn.Module, batches: list[dict], warmup: int) -> dict:
    model.eval()
    times = []
    with torch.inference_mode():
        for batch in batches:
            inputs = {k: v for k, v in batch.items() if not k.endswith("_positions")}
            began = time.perf_counter()
            model(**inputs)
            times.append(time.perf_counter() - began)
    windows = sum(len(b["input_ids"]) for b in batches[warmup:])
    return {
        "warmup_seconds": round(sum(times[:warmup]), 2),
        "windows_per_second": round(windows / sum(times[warmup:]), 3),
    }


def measure_configuration(
    configuration: dict[str, Any], shape: dict[str, Any], seed: int
) -> dict[str, Any]:
    """Training and prediction figures of one configuration."""
    torch.set_num_threads(configuration["threads"])
    windows = full_windows(shape, seed)
    model = base_model(shape, configuration["attention"], seed)
    parameters = sum(p.numel() for p in model.parameters())
    if configuration["compile"]:
        model = torch.compile(model)
    warmup = shape["warmup_steps"]
    # Prediction first: once training has grown the process (activations kept
    # for the backward pass, optimizer state), prediction's growth would not show.
    predict = measure(
        _predict,
        model,
        _batches(windows, shape["batch_size"], warmup + shape["predict_batches"]),
        warmup,
    )
    train = measure(
        _train,
        model,
        _batches(windows, shape["batch_size"], warmup + shape["train_steps"]),
        warmup,
    )
    tokens = shape["batch_size"] * shape["sequence_length"]
    return {
        "configuration": configuration,
        "parameters": parameters,
        "full_windows": len(windows),
        "train": train.result
        | {
            "peak_mib": round(train.peak_mib, 1),
            # 6 x parameters x tokens per step: the usual training FLOP count.
            "tflop_per_second": round(
                6 * parameters * tokens / train.result["step_seconds"] / 1e12, 4
            ),
        },
        "predict": predict.result | {"peak_mib": round(predict.peak_mib, 1)},
    }


def markdown(report: dict[str, Any]) -> str:
    """One row per configuration."""
    shape = report["shape"]
    lines = [
        f"ELECTRA, hidden {shape['hidden_size']}, {shape['num_hidden_layers']} "
        f"layers, vocabulary {shape['vocab_size']:,} "
        f"({report['results'][0]['parameters']:,} parameters), sequence length "
        f"{shape['sequence_length']}, batch {shape['batch_size']}:",
        "",
        "| attention | compile | threads | train samples/s | train TFLOP/s | "
        "train warm-up s | train +MiB | predict windows/s | predict warm-up s | "
        "predict +MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in report["results"]:
        c, t, p = result["configuration"], result["train"], result["predict"]
        lines.append(
            f"| {c['attention']} | {c['compile']} | {c['threads']} | "
            f"{t['samples_per_second']} | {t['tflop_per_second']} | "
            f"{t['warmup_seconds']} | {t['peak_mib']:.0f} | "
            f"{p['windows_per_second']} | {p['warmup_seconds']} | "
            f"{p['peak_mib']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa.bench.base_size",
        description="Training and prediction speed and memory of a base-size "
        "ELECTRA on this machine, per attention implementation, torch.compile "
        "and thread count (bench.base_size in conf/base/parameters_bench.yml).",
    )
    parser.add_argument(
        "--output",
        default="data/08_reporting/base_size_benchmark",
        help="report path without suffix: .md and .json are written "
        "(default: data/08_reporting/base_size_benchmark)",
    )
    parser.add_argument(
        "--shape",
        help="JSON object replacing fields of bench.base_size (e.g. a smaller "
        "model for a quick check)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--one-output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    datasets.disable_progress_bars()
    parameters = base_parameters(project_root())
    shape = parameters["bench"]["base_size"] | json.loads(args.shape or "{}")
    seed = parameters["bench"]["scale_seed"]
    if args.one is not None:
        result = measure_configuration(json.loads(args.one), shape, seed)
        Path(args.one_output).write_text(json.dumps(result, indent=2))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_base_") as folder:
        for number, configuration in enumerate(shape["configurations"]):
            output = Path(folder) / f"{number}.json"
            command = [
                sys.executable,
                "-m",
                "extractive_qa.bench.base_size",
                "--one",
                json.dumps(configuration),
                "--one-output",
                str(output),
            ]
            if args.shape:
                command += ["--shape", args.shape]
            subprocess.run(command, check=True)
            results.append(json.loads(output.read_text()))
            logger.info("%s", results[-1])
    report = {"machine": describe_machine(), "shape": shape, "results": results}
    report["machine"]["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(report, indent=2))
    table = markdown(report)
    output.with_suffix(".md").write_text(table)
    logger.info("%s\nwritten to %s.{md,json}", table, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
