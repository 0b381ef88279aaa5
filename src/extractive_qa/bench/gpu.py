"""A base-size ELECTRA on a CUDA GPU: ``make bench-gpu``.

Two steps, so that the GPU machine needs neither the synthetic data nor the
tokenizer-learning stack:

- ``prepare`` (any machine) cuts real synthetic windows of exactly
  ``bench.base_size.sequence_length`` tokens, as ``make bench-base`` does, and
  writes them, with the shape and ``bench.gpu``, to one torch file;
- ``run`` (the GPU machine) reads that file and measures each configuration of
  ``bench.gpu.configurations`` in turn:

  - ``train``: the fine-tuning step (forward, loss on the labelled start and
    end, backward, fused AdamW step) in samples/s;
  - ``predict``: forward passes under ``torch.inference_mode`` in windows/s;

  each after ``warmup_steps`` untimed steps (which hold the compilation), with
  the peak GPU memory of the timed steps (the prepared batches included)
  (``gpu_steps``); with ``bench.gpu.profile_steps``, a few more steps run
  under ``torch.profiler`` to say where the step's time goes (``gpu_profile``).

Every window is full, so no attention mask is passed and SDPA may pick flash
attention; ``attention: flash`` insists on it. Model FLOPs utilisation is
counted two ways, each over the datasheet's dense bf16 peak of the GPU
(``bench.gpu.dense_bf16_peak_tflops``):

- the usual 6 (training) or 2 (prediction) x parameters x tokens per second,
  also read against the bf16 matrix-product rate measured on the same GPU;
- the matrix work alone (``matrix_flop_per_token``): the embeddings are a
  lookup and do none, and the attention scores do some the parameter count
  misses.

With ``bench.gpu.project_predict_windows``, the project's own
``predict_window_logits`` (Arrow in, chunked, memory-mapped logits out) also
predicts the windows repeated to each of those counts, with the peak GPU memory
and resident-memory growth of each: its memory must not grow with the windows.

The report goes to ``data/08_reporting/gpu_benchmark.{md,json}``
(``gpu_report``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import torch

from extractive_qa.bench.electra_base import base_model
from extractive_qa.bench.gpu_report import markdown, save
from extractive_qa.bench.gpu_steps import (
    LABEL_KEYS,
    TOKEN_KEYS,
    datasheet_peak,
    matmul_ceiling,
    measure_configuration,
    peak_gpu_mib,
)
from extractive_qa.bench.machine import describe_machine
from extractive_qa.training.compilation import COMPILE_LAYER_MODES

logger = logging.getLogger(__name__)

PRECISIONS = ("bf16", "fp16", "tf32", "fp32")
ATTENTIONS = ("sdpa", "flash", "eager")
MODES = ("train", "predict")
COMPILE_SCOPES = ("model", "layers")
COMPILE_MODES = (
    "default",
    "reduce-overhead",
    "max-autotune",
    "max-autotune-no-cudagraphs",
)


def prepare(
    output: Path,
    shape_override: dict[str, Any] | None = None,
    gpu_override: dict[str, Any] | None = None,
) -> Path:
    """Write the windows, the model shape and ``bench.gpu`` to ``output``; the
    overrides replace fields of ``bench.base_size`` and ``bench.gpu``."""
    # Imported here: the GPU machine runs only ``run``, without these libraries.
    from extractive_qa.bench.base_size import full_windows
    from extractive_qa.bench.project import base_parameters, project_root

    bench = base_parameters(project_root())["bench"]
    shape = bench["base_size"] | (shape_override or {})
    gpu = bench["gpu"] | (gpu_override or {})
    for configuration in gpu["configurations"]:
        check_configuration(configuration)
    windows = full_windows(shape | {"questions": gpu["questions"]}, bench["scale_seed"])
    payload = {
        "shape": shape,
        "gpu": gpu,
        "seed": bench["scale_seed"],
        **{
            key: torch.as_tensor(windows[:][key]).to(torch.int32)
            for key in (*TOKEN_KEYS, *LABEL_KEYS)
        },
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, output)
    logger.info(
        "%d windows of %d tokens written to %s",
        len(windows),
        shape["sequence_length"],
        output,
    )
    return output


def check_configuration(configuration: dict[str, Any]) -> None:
    """Reject a configuration before any GPU time is spent on it."""
    checks = {
        "mode": MODES,
        "precision": PRECISIONS,
        "attention": ATTENTIONS,
        "compile_scope": COMPILE_SCOPES,
    }
    for key, allowed in checks.items():
        if configuration.get(key) not in allowed:
            raise ValueError(
                f"bench.gpu.configurations entry {configuration}: {key} must be "
                f"one of {', '.join(allowed)} (a windows file written before "
                f"{key} existed needs `prepare` again)."
            )
    compile_mode = configuration.get("compile")
    if not isinstance(compile_mode, bool) and compile_mode not in COMPILE_MODES:
        raise ValueError(
            f"bench.gpu.configurations entry {configuration}: compile must be "
            f"true, false or one of {', '.join(COMPILE_MODES)}."
        )
    if (
        configuration["compile_scope"] == "layers"
        and isinstance(compile_mode, str)
        and compile_mode not in COMPILE_LAYER_MODES
    ):
        raise ValueError(
            f"bench.gpu.configurations entry {configuration}: compile_scope "
            "layers is fine_tune's training.compile_layers, which takes true, "
            f"false or one of {', '.join(COMPILE_LAYER_MODES)}."
        )
    if not isinstance(configuration.get("batch_size"), int) or (
        configuration["batch_size"] < 1
    ):
        raise ValueError(
            f"bench.gpu.configurations entry {configuration}: batch_size must be "
            "a positive integer."
        )


def project_predict(
    payload: dict[str, Any], counts: list[int], batch_size: int, device: torch.device
) -> list[dict[str, Any]]:
    """The project's ``predict_window_logits`` on the windows repeated to each
    of ``counts``: speed, peak GPU memory and resident-memory growth."""
    # Imported here: only this part needs the Arrow and datasets stack.
    import datasets
    import numpy as np
    import pyarrow as pa

    from extractive_qa.bench.measure import measure
    from extractive_qa.qa.inference import predict_window_logits

    datasets.disable_progress_bars()
    model = base_model(payload["shape"], "sdpa", payload["seed"])
    results = []
    for count in counts:
        rows = np.arange(count) % len(payload["input_ids"])
        columns = {}
        for key in TOKEN_KEYS:
            values = payload[key].numpy()[rows]
            offsets = np.arange(0, values.size + 1, values.shape[1], dtype=np.int32)
            columns[key] = pa.ListArray.from_arrays(
                pa.array(offsets), pa.array(values.reshape(-1).astype(np.int64))
            )
        # A fingerprint given: hashing the table pickles it whole, which some
        # pyarrow and dill pairs cannot do.
        features = datasets.Dataset(
            pa.table(columns), fingerprint=f"gpu-bench-windows-{count}"
        )
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        measured = measure(
            predict_window_logits,
            model,
            features,
            pad_token_id=0,
            batch_size=batch_size,
            device=str(device),
        )
        logits = measured.result
        if len(logits) != count:
            raise RuntimeError(f"predict gave {len(logits)} rows for {count} windows")
        results.append(
            {
                "windows": count,
                "seconds": round(measured.seconds, 2),
                "windows_per_second": round(count / measured.seconds, 1),
                "peak_gpu_mib": peak_gpu_mib(device),
                "resident_growth_mib": round(measured.peak_mib, 1),
            }
        )
        logger.info("project predict: %s", results[-1])
        del logits, features
    return results


def run(windows: Path, device_name: str, output: Path | None = None) -> dict[str, Any]:
    """The project's predict, then every configuration of the prepared file, on
    ``device_name``. A part that fails is reported with its error and the rest
    still run; with ``output``, the report is rewritten after every part, so a
    run cut short keeps what it measured."""
    payload = torch.load(windows, weights_only=True)
    gpu = payload["gpu"]
    for configuration in gpu["configurations"]:
        check_configuration(configuration)
    device = torch.device(device_name)
    peak = datasheet_peak(device, gpu["dense_bf16_peak_tflops"])
    matmul = matmul_ceiling(device, gpu["matmul_size"], gpu["matmul_repeats"])
    logger.info("datasheet peak %s, measured matrix products %s TFLOP/s", peak, matmul)
    report = {
        "machine": describe_machine(),
        "shape": payload["shape"],
        "windows": len(payload["input_ids"]),
        "datasheet_dense_bf16_tflops": peak,
        "measured_matmul_bf16_tflops": matmul,
        "published": gpu["published"],
        "results": [],
    }
    if gpu["project_predict_windows"]:
        try:
            report["project_predict"] = project_predict(
                payload,
                gpu["project_predict_windows"],
                gpu["project_predict_batch_size"],
                device,
            )
        except Exception as error:  # noqa: BLE001 - the other figures stand
            logger.exception("the project's predict failed")
            report["project_predict_error"] = repr(error)[:500]
        save(report, output)
    for configuration in gpu["configurations"]:
        try:
            result = measure_configuration(configuration, payload, device, peak, matmul)
        except Exception as error:  # noqa: BLE001 - reported, and the rest still run
            logger.exception("configuration %s failed", configuration)
            result = {"configuration": configuration, "error": repr(error)[:500]}
        logger.info("%s", {k: v for k, v in result.items() if k != "profile"})
        report["results"].append(result)
        save(report, output)
        torch._dynamo.reset()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa.bench.gpu",
        description="Training and prediction speed of a base-size ELECTRA on a "
        "GPU (bench.gpu in conf/base/parameters_bench.yml). First `prepare` "
        "the windows on any machine, then `run` on the GPU machine.",
    )
    steps = parser.add_subparsers(dest="step", required=True)
    make = steps.add_parser("prepare", help="write the windows and settings")
    make.add_argument(
        "--windows",
        default="data/05_model_input/gpu_bench_windows.pt",
        help="file to write (default: data/05_model_input/gpu_bench_windows.pt)",
    )
    make.add_argument("--shape", help="JSON object replacing fields of bench.base_size")
    make.add_argument("--gpu", help="JSON object replacing fields of bench.gpu")
    measure = steps.add_parser("run", help="measure every configuration")
    measure.add_argument(
        "--windows",
        default="data/05_model_input/gpu_bench_windows.pt",
        help="file `prepare` wrote (default: data/05_model_input/gpu_bench_windows.pt)",
    )
    measure.add_argument(
        "--device", default="cuda", help="torch device (default: cuda)"
    )
    measure.add_argument(
        "--output",
        default="data/08_reporting/gpu_benchmark",
        help="report path without suffix: .md and .json are written "
        "(default: data/08_reporting/gpu_benchmark)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.step == "prepare":
        prepare(
            Path(args.windows),
            json.loads(args.shape or "{}"),
            json.loads(args.gpu or "{}"),
        )
        return 0
    windows = Path(args.windows)
    if not windows.is_file():
        parser.error(
            f"{windows} does not exist; write it first with "
            "`python -m extractive_qa.bench.gpu prepare`."
        )
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(
            f"--device {args.device}: torch {torch.__version__} sees no CUDA GPU "
            "here; run on a GPU machine, or pass --device cpu for a functional check."
        )
    output = Path(args.output)
    report = run(windows, args.device, output)
    logger.info("%s\nwritten to %s.{md,json}", markdown(report), output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
