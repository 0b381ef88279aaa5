"""How the stages grow with the data: ``make bench-scale``.

For each size of ``bench.scale_sizes`` synthetic questions, in a process of its
own (so one size's memory does not count against the next), the stages run
under the project and, where the reference recipe has the stage, under the
reference recipe: load, tokenize (train and validation windows), predict,
postprocess, rank_answers, score and the error analysis. Each stage gets its
wall time, the growth of resident memory while it ran, and the bytes its output
takes on disk.

predict runs the demo model (random weights) on the CPU, to show that its memory
does not grow with the windows. The answers are decoded from made logits
instead: noise with a peak at each window's labelled start and end, so most
windows look like those of a trained model. Both recipes post-process the same
logits and must give the same answers before a figure counts.

The report (``scale_benchmark.md`` / ``.json`` and the log-log plot
``scale_benchmark.png`` in ``data/08_reporting/``) fits the growth exponent k
of time and of memory (value proportional to n^k) per stage and recipe.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from extractive_qa.bench import reference
from extractive_qa.bench.machine import describe_machine
from extractive_qa.bench.measure import disk_bytes, measure
from extractive_qa.bench.parity import check_answers
from extractive_qa.bench.project import base_parameters, project_root
from extractive_qa.bench.recipes import ragged_logits
from extractive_qa.bench.scale_report import markdown, plot, summarise
from extractive_qa.datasets.squad_json import parse_squad_json
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.metrics.report import score_answers
from extractive_qa.qa.decoding import decode_answers, ranked_answers
from extractive_qa.qa.feature_sets import train_windows, validation_windows
from extractive_qa.qa.inference import predict_window_logits
from extractive_qa.qa.spans import span_settings
from extractive_qa.qa.windows import window_settings
from extractive_qa.records import check_split
from extractive_qa.reporting.error_analysis import (
    break_down_errors,
    list_worst_questions,
    score_questions,
)
from extractive_qa.training.models import demo_model

logger = logging.getLogger(__name__)

# Logit added at a window's labelled start and end token, over N(0, 1) noise.
PEAK = 8.0


def project_load(content: bytes, on_invalid: str) -> datasets.Dataset:
    """The load node's path for one split: parse, then check every record."""
    examples, _ = check_split(
        parse_squad_json(content, "raw_validation"), "raw_validation", on_invalid
    )
    return examples


def made_logits(
    train_features: datasets.Dataset, max_length: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Padded ``(windows, max_length)`` start and end logits: N(0, 1) noise,
    ``PEAK`` added at each window's labelled start and end, -inf on padding."""
    lengths = np.fromiter(map(len, train_features["input_ids"][:]), dtype=np.int64)
    rng = np.random.default_rng(seed)
    padding = np.arange(max_length)[None, :] >= lengths[:, None]
    rows = np.arange(len(lengths))
    padded = []
    for column in ("start_positions", "end_positions"):
        logits = rng.standard_normal((len(lengths), max_length), dtype=np.float32)
        logits[rows, np.asarray(train_features[column][:])] += PEAK
        logits[padding] = -np.inf
        padded.append(logits)
    return padded[0], padded[1]


def _record(measurement: Any, output_bytes: int | None) -> dict[str, Any]:
    return {
        "seconds": round(measurement.seconds, 4),
        "peak_mib": round(measurement.peak_mib, 1),
        "output_bytes": output_bytes,
    }


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def measure_size(
    n_questions: int, parameters: dict[str, Any], tokenizer_questions: int
) -> dict[str, Any]:
    """Every stage at ``n_questions`` synthetic questions, both recipes."""
    bench = parameters["bench"]
    tokenization = parameters["tokenization"]
    postprocessing = parameters["postprocessing"]
    settings = window_settings(tokenization)
    document = generate_korquad(
        split="validation",
        n_questions=n_questions,
        seed=bench["scale_seed"],
        long_fraction=bench["scale_long_fraction"],
    )
    content = json.dumps(document, ensure_ascii=False).encode("utf-8")
    # The tokenizer is learnt on a fixed sample, so it is the same at each size.
    sample, _ = check_split(
        generate_korquad(
            split="train", n_questions=tokenizer_questions, seed=bench["scale_seed"]
        ),
        "synthetic",
        "error",
    )
    qa_model = demo_model(sample, parameters["model"]["demo"])
    tokenizer = qa_model.tokenizer
    stages: dict[str, dict[str, Any]] = {}

    def run(
        stage: str, recipe: str, call: Any, *args: Any, size: Any, **kwargs: Any
    ) -> Any:
        gc.collect()
        measurement = measure(call, *args, **kwargs)
        output = None if size is None else size(measurement.result)
        stages.setdefault(stage, {})[recipe] = _record(measurement, output)
        logger.info(
            "%d questions, %s (%s): %.2f s, +%.0f MiB",
            n_questions,
            stage,
            recipe,
            measurement.seconds,
            measurement.peak_mib,
        )
        return measurement.result

    ref_examples = run(
        "load", "reference", reference.load_squad_json, content, size=disk_bytes
    )
    examples = run(
        "load",
        "project",
        project_load,
        content,
        parameters["data_loading"]["on_invalid"],
        size=disk_bytes,
    )
    del ref_examples
    run(
        "tokenize_train",
        "reference",
        reference.build_features,
        examples,
        tokenizer,
        settings,
        train=True,
        size=disk_bytes,
    )
    train_features = run(
        "tokenize_train",
        "project",
        train_windows,
        examples,
        tokenizer,
        tokenization,
        size=disk_bytes,
    )
    ref_validation = run(
        "tokenize_validation",
        "reference",
        reference.build_features,
        examples,
        tokenizer,
        settings,
        train=False,
        size=disk_bytes,
    )
    features = run(
        "tokenize_validation",
        "project",
        validation_windows,
        examples,
        tokenizer,
        tokenization,
        size=disk_bytes,
    )
    if len(features) != len(train_features):
        raise RuntimeError(
            f"{len(features)} validation windows but {len(train_features)} "
            "training windows: the logits are made from the training labels and "
            "need the same windows."
        )
    # The demo model's own logits only show predict's cost; the answers are
    # decoded from made logits below.
    run(
        "predict",
        "project",
        predict_window_logits,
        qa_model.model,
        features,
        pad_token_id=tokenizer.pad_token_id,
        batch_size=parameters["inference"]["batch_size"],
        device="cpu",
        size=disk_bytes,
    )
    start, end = made_logits(train_features, settings.max_length, bench["scale_seed"])
    del train_features
    logits = ragged_logits(start, end, features)
    spans = span_settings(postprocessing)
    reference_answers = run(
        "postprocess",
        "reference",
        reference.postprocess,
        examples,
        ref_validation,
        start,
        end,
        n_best_size=spans.n_best_size,
        max_answer_length=spans.max_answer_length,
        size=_json_bytes,
    )
    del start, end, ref_validation
    # SQuAD v1 decoding, as the reference recipe decodes.
    decoding = (examples, features, logits, spans, False, 0.0)
    answers = run(
        "postprocess",
        "project",
        decode_answers,
        *decoding,
        size=_json_bytes,
    )
    check_answers(reference_answers, answers, f"postprocess at {n_questions}")
    run(
        "rank_answers",
        "project",
        ranked_answers,
        *decoding,
        size=_json_bytes,
    )
    run(
        "score",
        "project",
        score_answers,
        examples,
        answers,
        None,
        False,
        size=_json_bytes,
    )
    error_analysis = parameters["error_analysis"]

    def analyse() -> Any:
        scores = score_questions(examples, features, answers)
        break_down_errors(scores, error_analysis)
        list_worst_questions(scores, error_analysis)
        return scores

    run(
        "error_analysis",
        "project",
        analyse,
        size=lambda scores: len(scores.to_csv(index=False).encode("utf-8")),
    )
    return {
        "questions": len(examples),
        "windows": len(features),
        "windows_per_question": round(len(features) / len(examples), 3),
        "input_bytes": len(content),
        "stages": stages,
    }


def _one_size(n_questions: int, output: Path, tokenizer_questions: int) -> int:
    parameters = base_parameters(project_root())
    result = measure_size(n_questions, parameters, tokenizer_questions)
    output.write_text(json.dumps(result, indent=2))
    return 0


def run_sizes(
    sizes: list[int], tokenizer_questions: int, folder: Path
) -> list[dict[str, Any]]:
    """Each size measured by a fresh ``python -m extractive_qa.bench.scale
    --one-size N`` process."""
    results = []
    for n in sizes:
        output = folder / f"size_{n}.json"
        command = [
            sys.executable,
            "-m",
            "extractive_qa.bench.scale",
            "--one-size",
            str(n),
            "--size-output",
            str(output),
            "--tokenizer-questions",
            str(tokenizer_questions),
        ]
        subprocess.run(command, check=True)
        results.append(json.loads(output.read_text()))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa.bench.scale",
        description="Time, peak memory and bytes of the CPU stages at growing "
        "numbers of synthetic questions, the project against the reference "
        "recipe. Sizes and targets: bench.scale_* in conf/base/parameters_bench.yml.",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="numbers of questions (default: bench.scale_sizes)",
    )
    parser.add_argument(
        "--output",
        default="data/08_reporting/scale_benchmark",
        help="report path without suffix: .md, .json and .png are written "
        "(default: data/08_reporting/scale_benchmark)",
    )
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--size-output", help=argparse.SUPPRESS)
    parser.add_argument(
        "--tokenizer-questions",
        type=int,
        help="questions the tokenizer is learnt on (default: "
        "bench.scale_tokenizer_questions)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    datasets.disable_progress_bars()
    parameters = base_parameters(project_root())
    bench = parameters["bench"]
    tokenizer_questions = args.tokenizer_questions or bench["scale_tokenizer_questions"]
    if args.one_size is not None:
        return _one_size(args.one_size, Path(args.size_output), tokenizer_questions)
    sizes = sorted(args.sizes or bench["scale_sizes"])
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as folder:
        results = run_sizes(sizes, tokenizer_questions, Path(folder))
    report = {
        "machine": describe_machine(),
        "sizes": results,
        "summary": summarise(results, bench["scale_targets"]),
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(report, indent=2))
    table = markdown(report)
    output.with_suffix(".md").write_text(table)
    plot(report, output.with_suffix(".png"))
    logger.info("%s\nwritten to %s.{md,json,png}", table, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
