"""The benchmark: each stage run under the reference recipe and the project's,
on the same inputs in one process, outputs checked equal before timings count.
The bench pipeline's nodes are the three ``benchmark_*`` steps."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import datasets
from transformers import PreTrainedTokenizerBase

from extractive_qa.bench import reference
from extractive_qa.bench.machine import describe_machine
from extractive_qa.bench.measure import Measurement, disk_bytes, measure, measure_best
from extractive_qa.bench.parity import check_answers, check_labels, check_windows
from extractive_qa.bench.recipes import (
    bench_arguments,
    padding_masked,
    project_features,
    ragged_logits,
    reference_features,
    train_project,
)
from extractive_qa.bench.report import StageRow, markdown_table
from extractive_qa.metrics.report import score_answers
from extractive_qa.qa.decoding import decode_answers, predict_logits
from extractive_qa.qa.spans import span_settings
from extractive_qa.qa_model import QAModel
from extractive_qa.training.sampling import bucket_batches, trainer_sampling

if TYPE_CHECKING:
    from transformers import PreTrainedModel

logger = logging.getLogger(__name__)


def score(examples: datasets.Dataset, answers: dict[str, str]) -> dict[str, Any]:
    """The project's SQuAD v1 / KorQuAD 1.0 figures, as the score node gives."""
    return score_answers(examples, answers, None, False)


def predict(
    features: datasets.Dataset, model: QAModel, inference: dict[str, Any]
) -> datasets.Dataset:
    """The project's prediction, with the ``inference`` parameters."""
    return predict_logits(
        features, model, batch_size=inference["batch_size"], device=inference["device"]
    )


def postprocess(
    examples: datasets.Dataset,
    features: datasets.Dataset,
    logits: datasets.Dataset,
    postprocessing: dict[str, Any],
) -> dict[str, str]:
    """The project's post-processing (SQuAD v1), with the ``postprocessing``
    parameters."""
    return decode_answers(
        examples,
        features,
        logits,
        span_settings(postprocessing),
        False,
        postprocessing["null_score_diff_threshold"],
    )


@dataclass(frozen=True)
class FeatureRun:
    """Both recipes' windows of the same examples and how long they took."""

    train_examples: datasets.Dataset
    validation_examples: datasets.Dataset
    reference_train: datasets.Dataset
    reference_validation: datasets.Dataset
    project_train: datasets.Dataset
    project_validation: datasets.Dataset
    reference: Measurement
    project: Measurement
    parity: dict[str, int]


@dataclass(frozen=True)
class TrainingRun:
    """Both recipes' models, fine-tuned from the same start, and their timings."""

    reference_model: PreTrainedModel
    project_model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    epochs: float
    reference: Measurement
    project: Measurement


def _head(examples: datasets.Dataset, n: int | None) -> datasets.Dataset:
    return examples if n is None else examples.select(range(min(n, len(examples))))


def benchmark_features(
    train_examples: datasets.Dataset,
    validation_examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    tokenization: dict[str, Any],
    bench: dict[str, Any],
) -> FeatureRun:
    """Examples -> both recipes' train and validation windows, labels checked equal."""
    train = _head(train_examples, bench["n_train_examples"])
    validation = _head(validation_examples, bench["n_validation_examples"])
    repeats = bench["repeats"]
    ref = measure_best(
        repeats, reference_features, train, validation, tokenizer, tokenization
    )
    own = measure_best(
        repeats, project_features, train, validation, tokenizer, tokenization
    )
    parity = {
        "train_windows_labelled_alike": check_labels(ref.result[0], own.result[0]),
        "validation_windows_alike": check_windows(
            ref.result[1], own.result[1], "validation"
        ),
    }
    logger.info("features agree: %s", parity)
    return FeatureRun(train, validation, *ref.result, *own.result, ref, own, parity)


def benchmark_training(
    features: FeatureRun,
    base_model: QAModel,
    training: dict[str, Any],
    bench: dict[str, Any],
) -> TrainingRun:
    """Both recipes fine-tune copies of the base model: same data, seed, epochs;
    the reference draws random batches, the project its configured
    ``training.sampling_strategy`` (length buckets by default)."""
    tokenizer = base_model.tokenizer
    ref_arguments = bench_arguments(training, bench, sampling="random")
    ref = measure(
        reference.train,
        copy.deepcopy(base_model.model),
        features.reference_train,
        tokenizer,
        ref_arguments,
    )
    own = measure(
        train_project,
        copy.deepcopy(base_model.model),
        features.project_train,
        tokenizer,
        bench_arguments(
            training, bench, sampling=trainer_sampling(training["sampling_strategy"])
        ),
        bucket_batches(training),
    )
    return TrainingRun(
        ref.result, own.result, tokenizer, ref_arguments.num_train_epochs, ref, own
    )


def _answers_parity(
    features: FeatureRun,
    training: TrainingRun,
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
    bench: dict[str, Any],
) -> dict[str, Any]:
    """Prediction and post-processing of both recipes on the same model (the
    reference recipe's), answers checked equal.

    The reference ranks every position of its padded windows, padding
    included; for post-processing "the same logits" its padding gets -inf, so
    both recipes rank the same tokens.
    """
    examples, model = features.validation_examples, training.reference_model
    ref_predict = measure(
        reference.predict,
        model,
        features.reference_validation,
        training.tokenizer,
        reference.predict_arguments(bench["output_dir"], inference["batch_size"]),
    )
    own_predict = measure(
        predict,
        features.project_validation,
        QAModel(model=model, tokenizer=training.tokenizer),
        {**inference, "device": "cpu"},
    )
    n_best = {
        "n_best_size": postprocessing["n_best_size"],
        "max_answer_length": postprocessing["max_answer_length"],
    }
    ref_post = measure_best(
        bench["repeats"],
        reference.postprocess,
        examples,
        features.reference_validation,
        *padding_masked(*ref_predict.result, features.reference_validation),
        **n_best,
    )
    # The reference's own chain ranks the logits the model gave its padding.
    ref_chain_post = measure(
        reference.postprocess,
        examples,
        features.reference_validation,
        *ref_predict.result,
        **n_best,
    )
    same_logits = ragged_logits(*ref_predict.result, features.project_validation)
    own_post = measure_best(
        bench["repeats"],
        postprocess,
        examples,
        features.project_validation,
        same_logits,
        postprocessing,
    )
    own_answers = postprocess(
        examples, features.project_validation, own_predict.result, postprocessing
    )
    parity = {
        "postprocess_answers_alike": check_answers(
            ref_post.result, own_post.result, "post-processing of the same logits"
        ),
        "predict_answers_alike": check_answers(
            own_post.result, own_answers, "answers from the two recipes' logits"
        ),
    }
    logger.info("answers agree: %s", parity)
    return {
        "predict": (ref_predict, own_predict),
        "postprocess": (ref_post, own_post),
        "reference_chain": ref_chain_post,
        "parity": parity,
    }


def _project_chain(
    features: FeatureRun,
    training: TrainingRun,
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
) -> tuple[Measurement, Measurement]:
    """The project's prediction and post-processing with its own trained model."""
    own_predict = measure(
        predict,
        features.project_validation,
        QAModel(model=training.project_model, tokenizer=training.tokenizer),
        {**inference, "device": "cpu"},
    )
    own_post = measure(
        postprocess,
        features.validation_examples,
        features.project_validation,
        own_predict.result,
        postprocessing,
    )
    return own_predict, own_post


def _row(stage: str, ref: Measurement, own: Measurement, target: float) -> StageRow:
    return StageRow(
        stage,
        "s",
        ref.seconds,
        own.seconds,
        target,
        reference_peak_mib=ref.peak_mib,
        project_peak_mib=own.peak_mib,
    )


def _chain_row(
    features: FeatureRun, training: TrainingRun, stages: dict[str, Any], target: float
) -> StageRow:
    """End to end: features -> train -> predict -> postprocess -> score."""
    ref_predict, ref_post, ref_score = (
        stages["predict"][0],
        stages["reference_chain"],
        stages["score"][0],
    )
    own_predict, own_post = stages["chain"]
    own_score = stages["score"][1]
    ref = [features.reference, training.reference, ref_predict, ref_post, ref_score]
    own = [features.project, training.project, own_predict, own_post, own_score]
    return StageRow(
        "end to end (features, train, predict, postprocess, score)",
        "s",
        sum(m.seconds for m in ref),
        sum(m.seconds for m in own),
        target,
        reference_peak_mib=max(m.peak_mib for m in ref),
        project_peak_mib=max(m.peak_mib for m in own),
    )


def _disk_mib(*tables: datasets.Dataset) -> float:
    return sum(map(disk_bytes, tables)) / 2**20


def _stage_rows(
    features: FeatureRun,
    training: TrainingRun,
    stages: dict[str, Any],
    metrics: dict[str, dict],
    targets: dict[str, float],
) -> list[StageRow]:
    """The table's rows, with their targets (``bench.targets``)."""
    samples = len(features.project_train) * training.epochs
    rows = [
        _row(
            "feature preparation (train + validation)",
            features.reference,
            features.project,
            targets["feature_preparation"],
        ),
        StageRow(
            "features on disk (Arrow, train + validation)",
            "MiB",
            _disk_mib(features.reference_train, features.reference_validation),
            _disk_mib(features.project_train, features.project_validation),
            targets["features_on_disk"],
        ),
        StageRow(
            "training throughput",
            "samples/s",
            samples / training.reference.seconds,
            samples / training.project.seconds,
            targets["training_throughput"],
            higher_is_better=True,
            reference_peak_mib=training.reference.peak_mib,
            project_peak_mib=training.project.peak_mib,
        ),
        _row("prediction", *stages["predict"], targets["prediction"]),
        _row("post-processing", *stages["postprocess"], targets["postprocessing"]),
        _chain_row(features, training, stages, targets["end_to_end"]),
    ]
    return rows + [
        StageRow(
            f"final F1 ({metric})",
            "F1",
            metrics["reference"][metric]["f1"],
            metrics["project"][metric]["f1"],
            targets["final_f1"],
            higher_is_better=True,
        )
        for metric in ("korquad", "squad")
    ]


def benchmark_inference(
    features: FeatureRun,
    training: TrainingRun,
    inference: dict[str, Any],
    postprocessing: dict[str, Any],
    bench: dict[str, Any],
) -> dict[str, Any]:
    """Prediction, post-processing and scoring of both recipes -> ``benchmark``
    (the JSON report) and ``benchmark_table`` (Markdown)."""
    stages = _answers_parity(features, training, inference, postprocessing, bench)
    stages["chain"] = _project_chain(features, training, inference, postprocessing)
    examples = features.validation_examples
    stages["score"] = (
        measure(score, examples, stages["reference_chain"].result),
        measure(score, examples, stages["chain"][1].result),
    )
    metrics = {
        "reference": stages["score"][0].result,
        "project": stages["score"][1].result,
    }
    rows = _stage_rows(features, training, stages, metrics, bench["targets"])
    table = markdown_table(rows)
    logger.info("benchmark, reference recipe vs this project:\n%s", table)
    report = {
        "machine": describe_machine(),
        "inputs": {
            "train_examples": len(features.train_examples),
            "train_windows": len(features.project_train),
            "validation_examples": len(examples),
            "validation_windows": len(features.project_validation),
            "epochs": training.epochs,
        },
        "parity": {**features.parity, **stages["parity"]},
        "stages": [row.record() for row in rows],
        "metrics": metrics,
    }
    return {"benchmark": report, "benchmark_table": table}
