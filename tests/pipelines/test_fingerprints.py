"""Stale artifacts are refused: windows, logits and models carry fingerprints
that fine_tune, predict and postprocess compare before using them."""

from __future__ import annotations

import datasets
import pytest

from extractive_qa.checkpoint_store import CheckpointFolder
from extractive_qa.datasets import ArrowTableDataset
from extractive_qa.demo.tiny_model import train_wordpiece_tokenizer
from extractive_qa.pipelines.features.nodes import tokenize_train, tokenize_validation
from extractive_qa.pipelines.inference.nodes import postprocess, predict
from extractive_qa.pipelines.training.nodes import fine_tune
from extractive_qa.qa.fingerprint import StaleArtifactError, read_stamp
from extractive_qa.qa_model import QAModel
from extractive_qa.records.shapes import EXAMPLE_FEATURES

TOKENIZATION = {"max_length": 32, "doc_stride": 8, "max_query_length": 16}
TOKENIZATION["chunk_size"] = 1000
POSTPROCESSING = {
    "n_best_size": 5,
    "max_answer_length": 10,
    "null_score_diff_threshold": 0.0,
}
INFERENCE = {"batch_size": 4, "device": "cpu"}
CONTEXT = "김민수는 1932년에 부산에서 태어났다."


def examples(question: str = "김민수는 어디에서 태어났는가?") -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": "q1",
                "title": "",
                "context": CONTEXT,
                "question": question,
                "answers": {"text": ["부산"], "answer_start": [12]},
            }
        ],
        features=EXAMPLE_FEATURES,
    )


@pytest.fixture
def other_tokenizer():
    """A real tokenizer with another vocabulary (the 'new' tokenizer)."""
    corpus = [CONTEXT, "김민수는 어디에서 태어났는가?", "서울은 수도이다."]
    alphabet = "".join(sorted(set("".join(corpus)) - {" "}))
    return train_wordpiece_tokenizer(
        corpus, vocab_size=120, alphabet=alphabet, model_max_length=64
    )


def test_logits_of_old_windows_are_refused_after_a_tokenizer_change(
    tmp_path, korean_tokenizer, tiny_qa_model, other_tokenizer
):
    validation = examples()
    old_features = tokenize_validation(validation, korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    logits = predict(old_features, model, INFERENCE)
    # Through the catalog's dataset: the fingerprint survives a save and a load.
    store = ArrowTableDataset(path=str(tmp_path / "validation_logits"))
    store.save(logits)
    logits = store.load()
    assert read_stamp(logits) == read_stamp(old_features)
    new_features = tokenize_validation(validation, other_tokenizer, TOKENIZATION)

    with pytest.raises(StaleArtifactError) as error:
        postprocess(validation, new_features, logits, POSTPROCESSING, False)

    message = str(error.value)
    old, new = read_stamp(old_features), read_stamp(new_features)
    assert f"validation_logits (fingerprint {old.short()})" in message
    assert f"validation_features (fingerprint {new.short()})" in message
    assert old.tokenizer in message and new.tokenizer in message
    assert "kedro run --from-nodes=predict" in message
    # Not the only way out: on separate machines, predict is the train stage's.
    assert "`kedro run --pipelines=train` on the train machine" in message


def test_predict_refuses_windows_cut_with_another_tokenizer(
    korean_tokenizer, tiny_qa_model, other_tokenizer
):
    features = tokenize_validation(examples(), other_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    with pytest.raises(StaleArtifactError, match="disagree on the tokenizer"):
        predict(features, model, INFERENCE)


def test_postprocess_refuses_windows_of_other_examples(korean_tokenizer, tiny_qa_model):
    features = tokenize_validation(examples(), korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    logits = predict(features, model, INFERENCE)
    edited = examples(question="김민수는 언제 태어났는가?")

    with pytest.raises(StaleArtifactError, match="disagree on the examples"):
        postprocess(edited, features, logits, POSTPROCESSING, False)


def fine_tune_into(tmp_path, train, validation, model: QAModel) -> None:
    """fine_tune on ``examples()``, checkpointing under ``tmp_path``; the tests
    expect it to refuse its inputs before it trains or writes."""
    fine_tune(
        train,
        examples(),
        validation,
        model,
        CheckpointFolder(str(tmp_path)),
        {},
        TOKENIZATION,
        False,
    )


def test_fine_tune_refuses_windows_of_another_tokenizer(
    tmp_path, korean_tokenizer, tiny_qa_model, other_tokenizer
):
    train = tokenize_train(examples(), other_tokenizer, TOKENIZATION)
    validation = tokenize_validation(examples(), korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    with pytest.raises(StaleArtifactError) as error:
        fine_tune_into(tmp_path, train, validation, model)
    assert "train_features and base_model disagree on the tokenizer" in str(error.value)
    assert not list(tmp_path.iterdir()), "nothing may be written before the check"


def test_fine_tune_refuses_windows_longer_than_the_model_has_positions(
    tmp_path, korean_tokenizer, tiny_qa_model
):
    positions = tiny_qa_model.config.max_position_embeddings
    long_windows = TOKENIZATION | {"max_length": 2 * positions}
    long = examples()
    long = long.map(lambda example: {"context": " ".join([CONTEXT] * 12)})
    train = tokenize_train(long, korean_tokenizer, long_windows)
    validation = tokenize_validation(examples(), korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    with pytest.raises(ValueError) as error:
        fine_tune_into(tmp_path, train, validation, model)
    message = str(error.value)
    assert "train_features have windows of up to" in message
    assert f"the model has {positions} positions" in message
    assert "tokenization.max_length" in message
    assert not list(tmp_path.iterdir()), "nothing may be written before the check"
