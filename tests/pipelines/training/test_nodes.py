"""The starting model is built or loaded, and fine-tuning lowers the span loss."""

from __future__ import annotations

import json
import logging
import uuid

import datasets
import fsspec
import pytest
import torch
from torch._dynamo.utils import counters
from transformers import ElectraForQuestionAnswering

from extractive_qa.checkpoint_store import CheckpointFolder
from extractive_qa.datasets.model_directory import QAModelDataset
from extractive_qa.demo.synthetic import generate_korquad
from extractive_qa.pipelines.evaluation.nodes import score
from extractive_qa.pipelines.features.nodes import tokenize_train, tokenize_validation
from extractive_qa.pipelines.inference.nodes import postprocess, predict
from extractive_qa.pipelines.training.nodes import fine_tune, prepare_model
from extractive_qa.qa.batching import WindowCollator
from extractive_qa.qa_model import QAModel
from extractive_qa.records.shapes import to_examples

# The shape of conf/base/parameters_model.yml, much smaller.
TINY_DEMO = {
    "vocab_size": 400,
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "dropout": 0.1,
    "seed": 0,
}
TOKENIZATION = {
    "max_length": 128,
    "doc_stride": 32,
    "max_query_length": 32,
    "chunk_size": 1000,
}


@pytest.fixture(scope="module")
def train_examples() -> datasets.Dataset:
    """A few dozen synthetic questions, short contexts only."""
    document = generate_korquad(
        split="train", n_questions=56, seed=3, long_fraction=0.0
    )
    return to_examples(document, "raw_train")


@pytest.fixture(scope="module")
def validation_examples() -> datasets.Dataset:
    """A dozen synthetic validation questions."""
    document = generate_korquad(
        split="validation", n_questions=12, seed=3, long_fraction=0.0
    )
    return to_examples(document, "raw_validation")


def demo_model_parameters(**overrides) -> dict:
    return {"checkpoint": None, "trust_remote_code": False, "demo": TINY_DEMO} | (
        overrides
    )


POSTPROCESSING = {
    "n_best_size": 20,
    "max_answer_length": 30,
    "null_score_diff_threshold": 0.0,
}


def training_parameters() -> dict:
    return {
        "learning_rate": 1.0e-3,
        "num_train_epochs": 2,
        "batch_size": 16,
        "weight_decay": 0.01,
        "warmup_ratio": 0.0,
        "lr_scheduler_type": "linear",
        "report_to": "none",
        "seed": 0,
        "bf16_on_gpu": False,
        "sampling_strategy": "length_buckets",
        "length_bucket_batches": 4,
        "logging_steps": 50,
        "dataloader_num_workers": 0,
        "compile_layers": False,
        "keep_checkpoints": False,
        "eval_strategy": "epoch",
        "eval_steps": None,
        "eval_metric": "korquad",
        "eval_batch_size": 32,
        "eval_postprocessing": POSTPROCESSING,
    }


def span_loss(model: torch.nn.Module, features: datasets.Dataset, pad_id: int) -> float:
    """Mean start/end cross-entropy of the model, in eval mode, on all features."""
    batch = WindowCollator(pad_token_id=pad_id)(list(features))
    model.eval()
    with torch.no_grad():
        return float(model(**batch).loss)


def test_demo_model_vocabulary_covers_the_training_text(train_examples):
    outputs = prepare_model(train_examples, demo_model_parameters())

    assert set(outputs) == {"tokenizer", "base_model"}
    tokenizer, base_model = outputs["tokenizer"], outputs["base_model"]
    assert isinstance(base_model, QAModel)
    assert base_model.tokenizer is tokenizer
    assert isinstance(base_model.model, ElectraForQuestionAnswering)
    assert base_model.model.config.vocab_size == len(tokenizer)
    assert base_model.model.config.hidden_size == TINY_DEMO["hidden_size"]
    texts = list(train_examples["context"]) + list(train_examples["question"])
    token_ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert all(tokenizer.unk_token_id not in ids for ids in token_ids)


def test_checkpoint_directory_is_loaded_with_from_pretrained(
    train_examples, tmp_path, korean_tokenizer, tiny_qa_model
):
    checkpoint = tmp_path / "checkpoint"
    tiny_qa_model.save_pretrained(checkpoint)
    korean_tokenizer.save_pretrained(checkpoint)

    outputs = prepare_model(
        train_examples, demo_model_parameters(checkpoint=str(checkpoint))
    )

    loaded = outputs["base_model"]
    assert isinstance(loaded.model, ElectraForQuestionAnswering)
    assert outputs["tokenizer"].is_fast
    assert outputs["tokenizer"].get_vocab() == korean_tokenizer.get_vocab()
    expected = tiny_qa_model.state_dict()
    for name, tensor in loaded.model.state_dict().items():
        assert torch.equal(tensor, expected[name]), name


def test_fine_tune_changes_the_weights_and_lowers_the_loss(
    train_examples, validation_examples, tmp_path
):
    base = prepare_model(train_examples, demo_model_parameters())["base_model"]
    features = tokenize_train(train_examples, base.tokenizer, TOKENIZATION)
    features = features.select(range(min(64, len(features))))
    validation = tokenize_validation(validation_examples, base.tokenizer, TOKENIZATION)
    pad_id = base.tokenizer.pad_token_id
    before = {k: v.clone() for k, v in base.model.state_dict().items()}
    loss_before = span_loss(base.model, features, pad_id)

    outputs = fine_tune(
        features,
        validation_examples,
        validation,
        base,
        CheckpointFolder(str(tmp_path / "work")),
        training_parameters(),
        TOKENIZATION,
        False,
    )
    tuned = outputs["fine_tuned_model"]

    assert isinstance(tuned, QAModel)
    assert tuned.tokenizer is base.tokenizer
    # Saved with the model: how it was evaluated, for whoever answers with it.
    windows = {
        k: TOKENIZATION[k] for k in ("max_length", "doc_stride", "max_query_length")
    }
    assert tuned.settings == {
        "tokenization": windows,
        "postprocessing": training_parameters()["eval_postprocessing"],
        "version_2_with_negative": False,
    }
    after = tuned.model.cpu().state_dict()
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert "qa_outputs.weight" in changed
    assert any(name.startswith("electra.encoder") for name in changed)
    assert span_loss(tuned.model, features, pad_id) < loss_before


def test_fine_tune_returns_the_best_epoch_by_f1_and_its_curve(
    train_examples, validation_examples, tmp_path
):
    base = prepare_model(train_examples, demo_model_parameters())["base_model"]
    features = tokenize_train(train_examples, base.tokenizer, TOKENIZATION)
    validation = tokenize_validation(validation_examples, base.tokenizer, TOKENIZATION)
    parameters = training_parameters() | {
        "num_train_epochs": 3,
        "learning_rate": 3.0e-3,
        "logging_steps": 2,
    }

    checkpoints = CheckpointFolder(str(tmp_path / "work"))
    outputs = fine_tune(
        features,
        validation_examples,
        validation,
        base,
        checkpoints,
        parameters,
        TOKENIZATION,
        False,
    )

    curve = outputs["training_curve"]
    assert all(
        set(record) == {"epoch", "step", "train_loss", "eval_exact_match", "eval_f1"}
        for record in curve
    )
    json.dumps(curve)  # the catalog writes it as JSON
    evaluated = [r for r in curve if r["eval_f1"] is not None]
    assert [r["epoch"] for r in evaluated] == [1.0, 2.0, 3.0]
    # Epochs differ, so picking the best is a real choice.
    assert len({r["eval_f1"] for r in evaluated}) > 1
    assert all(isinstance(r["step"], int) for r in curve)
    assert any(r["train_loss"] is not None for r in curve)
    # The pipeline's own predict/postprocess/score on the returned model give the
    # best F1 of the curve: evaluation is the real metric and the best is kept.
    model = outputs["fine_tuned_model"]
    logits = predict(validation, model, {"batch_size": 32, "device": "cpu"})
    answers = postprocess(
        validation_examples, validation, logits, POSTPROCESSING, False
    )
    report = score(validation_examples, answers, None, False)
    best = max(evaluated, key=lambda r: r["eval_f1"])
    assert report["korquad"]["f1"] == pytest.approx(best["eval_f1"], abs=1e-3)
    assert report["korquad"]["exact_match"] == pytest.approx(
        best["eval_exact_match"], abs=1e-3
    )
    # The checkpoints stay until the model is saved for good (the
    # CheckpointCleanup hook then calls after_saved), and go then.
    assert list((tmp_path / "work").glob("run-*/checkpoint-*"))
    model.after_saved()
    assert not list((tmp_path / "work").glob("run-*/checkpoint-*"))


def test_checkpoints_on_object_storage_resume_in_another_scratch_folder(
    train_examples, validation_examples, caplog
):
    """output_dir on a filesystem without rename (memory://, as s3:// would be):
    checkpoints are uploaded whole, a later run fetches the newest to resume."""
    store = f"memory://fine-tune-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")

    def inputs() -> tuple:
        """What the catalog hands fine_tune: training changes the base model in
        place, so each run starts from a freshly built one."""
        base = prepare_model(train_examples, demo_model_parameters())["base_model"]
        features = tokenize_train(train_examples, base.tokenizer, TOKENIZATION)
        validation = tokenize_validation(
            validation_examples, base.tokenizer, TOKENIZATION
        )
        return features, validation_examples, validation, base, CheckpointFolder(store)

    kept = training_parameters() | {"keep_checkpoints": True}
    try:
        first = fine_tune(*inputs(), kept, TOKENIZATION, False)["fine_tuned_model"]
        states = fs.glob(f"{store[len('memory://') :]}/run-*/checkpoint-*/*.json")
        stored = {path.rsplit("/", 2)[-2] for path in states}
        assert stored and all(
            any(p.endswith(f"{name}/trainer_state.json") for p in states)
            for name in stored
        )
        last_step = max(int(name.split("-")[1]) for name in stored)

        with caplog.at_level(logging.INFO):
            second = fine_tune(*inputs(), training_parameters(), TOKENIZATION, False)
        assert f"checkpoint-{last_step} to resume from" in caplog.text
        tuned = second["fine_tuned_model"].model.state_dict()
        for name, weights in first.model.state_dict().items():
            assert torch.equal(tuned[name], weights), name
        # Not kept this time: once the model is saved, the store and the
        # scratch folder are emptied.
        assert fs.glob(f"{store[len('memory://') :]}/run-*")
        second["fine_tuned_model"].after_saved()
        assert not fs.glob(f"{store[len('memory://') :]}/run-*")
    finally:
        if fs.exists(store):
            fs.rm(store, recursive=True)


def test_fine_tune_with_compiled_layers_saves_a_plain_model(
    train_examples, validation_examples, tmp_path
):
    """training.compile_layers: each encoder layer trains compiled, the loss
    still falls, and the saved model has the plain model's parameter names and
    reloads with the trained weights."""
    base = prepare_model(
        train_examples,
        demo_model_parameters(demo=TINY_DEMO | {"num_hidden_layers": 2}),
    )["base_model"]
    features = tokenize_train(train_examples, base.tokenizer, TOKENIZATION)
    features = features.select(range(min(64, len(features))))
    validation = tokenize_validation(validation_examples, base.tokenizer, TOKENIZATION)
    pad_id = base.tokenizer.pad_token_id
    names = set(base.model.state_dict())
    loss_before = span_loss(base.model, features, pad_id)

    counters.clear()
    try:
        tuned = fine_tune(
            features,
            validation_examples,
            validation,
            base,
            CheckpointFolder(str(tmp_path / "work")),
            training_parameters() | {"compile_layers": True},
            TOKENIZATION,
            False,
        )["fine_tuned_model"]

        # The Trainer's steps ran the layers through compiled graphs.
        assert counters["stats"]["unique_graphs"] >= 1
        layers = tuned.model.electra.encoder.layer
        assert len(layers) == 2
        assert all(layer._compiled_call_impl is not None for layer in layers)
        assert tuned.model._compiled_call_impl is None
        assert set(tuned.model.state_dict()) == names
        assert span_loss(tuned.model, features, pad_id) < loss_before

        saved = QAModelDataset(filepath=str(tmp_path / "model"))
        saved.save(tuned)
        reloaded = saved.load().model
        assert reloaded.electra.encoder.layer[0]._compiled_call_impl is None
        trained = tuned.model.cpu().state_dict()
        for name, tensor in reloaded.state_dict().items():
            assert torch.equal(tensor, trained[name]), name
    finally:
        torch._dynamo.reset()
