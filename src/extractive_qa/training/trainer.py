"""Fine-tuning for span prediction with the Trainer: its arguments, the input
checks, where a run resumes, and removing its checkpoints once the model is
saved."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import torch
from transformers import TrainingArguments

from extractive_qa.checkpoint_store import CheckpointFolder, RemoteCheckpoints
from extractive_qa.qa.answer_settings import AnswerSettings
from extractive_qa.qa.batching import WindowCollator
from extractive_qa.qa.fingerprint import (
    check_value,
    examples_fingerprint,
    read_stamp,
    tokenizer_fingerprint,
)
from extractive_qa.qa.inference import (
    check_window_width,
    pick_device,
    usable_positions,
)
from extractive_qa.qa_model import QAModel
from extractive_qa.training.arguments import optimisation_arguments
from extractive_qa.training.checkpoints import (
    CheckpointLog,
    last_complete_checkpoint,
    local_other_runs,
    note_other_runs,
    run_directory,
    run_fingerprint,
)
from extractive_qa.training.compilation import compile_encoder_layers
from extractive_qa.training.evaluation import (
    SpanEvaluation,
    SpanEvaluationTrainer,
    training_curve,
)
from extractive_qa.training.sampling import bucket_batches, trainer_sampling

logger = logging.getLogger(__name__)


def training_arguments(training: dict[str, Any], output_dir: str) -> TrainingArguments:
    """The ``training`` parameter group as ``TrainingArguments`` writing checkpoints
    to ``output_dir``; evaluation and checkpoints happen together, so the best
    checkpoint by F1 can be reloaded at the end."""
    on_gpu = pick_device().type == "cuda"
    bf16 = on_gpu and training["bf16_on_gpu"] and torch.cuda.is_bf16_supported()
    strategy = training["eval_strategy"]
    return TrainingArguments(
        **optimisation_arguments(training),
        output_dir=output_dir,
        # bf16 and TF32 arrive together with Ampere; older GPUs train in fp32.
        bf16=bf16,
        tf32=bf16 or None,
        train_sampling_strategy=trainer_sampling(training["sampling_strategy"]),
        eval_strategy=strategy,
        eval_steps=training["eval_steps"] if strategy == "steps" else None,
        save_strategy=strategy,
        save_steps=training["eval_steps"] if strategy == "steps" else None,
        # The Trainer also keeps the best checkpoint when it is not the last one.
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="f1",
        greater_is_better=True,
    )


def check_training_inputs(
    train_features: datasets.Dataset,
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    base_model: QAModel,
) -> None:
    """Stop when the windows were cut with another tokenizer than the model's,
    are longer than the model has positions for, or the validation windows
    come from other examples."""
    model_tokenizer = tokenizer_fingerprint(base_model.tokenizer)
    remedy = "Rebuild the windows: `kedro run --from-nodes=prepare_model`."
    for name, features in (
        ("train_features", train_features),
        ("validation_features", validation_features),
    ):
        stamped = read_stamp(features)
        check_value(
            "tokenizer",
            name,
            stamped and stamped.tokenizer,
            "base_model",
            model_tokenizer,
            remedy,
        )
        check_window_width(features, usable_positions(base_model.model), name)
    stamped = read_stamp(validation_features)
    check_value(
        "examples",
        "validation_features",
        stamped and stamped.examples,
        "validation_examples",
        examples_fingerprint(validation_examples),
        "Rebuild them: `kedro run --from-nodes=tokenize_validation`.",
    )


def resume_point(
    checkpoint_folder: CheckpointFolder,
    training: dict[str, Any],
    train_features: datasets.Dataset,
    validation_features: datasets.Dataset,
    base_model: QAModel,
) -> tuple[Path, Path | None, RemoteCheckpoints | None]:
    """This run's local working folder, the checkpoint to resume from, if any,
    and the remote store of its checkpoints when the folder is not local."""
    fingerprint = run_fingerprint(
        training, train_features, validation_features, base_model.model
    )
    store = None
    if checkpoint_folder.remote:
        store = RemoteCheckpoints(checkpoint_folder, f"run-{fingerprint}")
        note_other_runs(checkpoint_folder.location, store.other_runs())
        run_dir, checkpoint = store.local_run_dir, store.fetch_latest()
    else:
        run_dir = run_directory(checkpoint_folder.location, fingerprint)
        others = local_other_runs(checkpoint_folder.location, run_dir)
        note_other_runs(checkpoint_folder.location, others)
        checkpoint = last_complete_checkpoint(run_dir)
    if checkpoint is not None:
        logger.info("resuming fine-tuning from %s", checkpoint)
    return run_dir, checkpoint, store


def span_trainer(
    train_features: datasets.Dataset,
    evaluation: SpanEvaluation,
    base_model: QAModel,
    training: dict[str, Any],
    run_dir: Path,
) -> SpanEvaluationTrainer:
    """A Trainer on the training windows that evaluates with ``evaluation`` and
    checkpoints to ``run_dir``."""
    tokenizer = base_model.tokenizer
    return SpanEvaluationTrainer(
        model=base_model.model,
        args=training_arguments(training, str(run_dir)),
        train_dataset=train_features,
        eval_dataset=evaluation.features,
        data_collator=WindowCollator(
            pad_token_id=tokenizer.pad_token_id,
            max_width=usable_positions(base_model.model),
        ),
        processing_class=tokenizer,
        evaluation=evaluation,
        bucket_batches=bucket_batches(training),
        callbacks=[CheckpointLog()],
    )


def checkpoint_cleanup(
    run_dir: Path, store: RemoteCheckpoints | None, keep: bool
) -> Callable[[], None]:
    """What removes a finished run's checkpoints (kept ones stay on the store)."""

    def cleanup() -> None:
        if store is not None:
            store.discard(keep_remote=keep)
        elif not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        logger.info("removed the checkpoints of %s", run_dir)

    return cleanup


def fine_tune(
    train_features: datasets.Dataset,
    validation_examples: datasets.Dataset,
    validation_features: datasets.Dataset,
    base_model: QAModel,
    checkpoint_folder: CheckpointFolder,
    training: dict[str, Any],
    tokenization: dict[str, Any],
    version_2_with_negative: bool,
) -> dict[str, Any]:
    """Training windows + base model, scored on the validation split as it
    trains, checkpointed to ``checkpoint_folder`` -> ``fine_tuned_model``, the
    best model by F1 (same tokenizer; saving it removes the checkpoints) with
    the settings it was evaluated with, and ``training_curve``."""
    check_training_inputs(
        train_features, validation_examples, validation_features, base_model
    )
    run_dir, checkpoint, store = resume_point(
        checkpoint_folder, training, train_features, validation_features, base_model
    )
    evaluation = SpanEvaluation(
        examples=validation_examples,
        features=validation_features,
        tokenizer=base_model.tokenizer,
        postprocessing=training["eval_postprocessing"],
        batch_size=training["eval_batch_size"],
        metric=training["eval_metric"],
        version_2_with_negative=version_2_with_negative,
    )
    compile_encoder_layers(base_model.model, training["compile_layers"])
    trainer = span_trainer(train_features, evaluation, base_model, training, run_dir)
    if store is not None:
        trainer.add_callback(store)
    result = trainer.train(resume_from_checkpoint=checkpoint and str(checkpoint))
    logger.info(
        "fine-tuned for %d steps, training loss %.3f; best %s F1 %.2f (%s)",
        result.global_step,
        result.training_loss,
        evaluation.metric,
        trainer.state.best_metric or float("nan"),
        trainer.state.best_model_checkpoint,
    )
    # Under torchrun every process reloads the best checkpoint; the folder is
    # removed by one process, and only once fine_tuned_model is saved, so that
    # a kill while saving resumes from the last checkpoint.
    trainer.accelerator.wait_for_everyone()
    cleanup = None
    if trainer.is_world_process_zero():
        cleanup = checkpoint_cleanup(run_dir, store, training["keep_checkpoints"])
    settings = AnswerSettings.from_params(
        tokenization, training["eval_postprocessing"], version_2_with_negative
    )
    tuned = QAModel(
        model=trainer.model,
        tokenizer=base_model.tokenizer,
        settings=settings.saved(),
        after_saved=cleanup,
    )
    return {
        "fine_tuned_model": tuned,
        "training_curve": training_curve(trainer.state.log_history),
    }
