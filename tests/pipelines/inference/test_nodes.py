"""Window logits from the tiny model become one answer per example, cut from its
context."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest

from extractive_qa.pipelines.features.nodes import tokenize_validation
from extractive_qa.pipelines.inference.nodes import postprocess, predict
from extractive_qa.qa_model import QAModel
from extractive_qa.records.shapes import EXAMPLE_FEATURES

# Windows must fit the tiny model's 64 positions; the long context needs three.
TOKENIZATION = {
    "max_length": 32,
    "doc_stride": 8,
    "max_query_length": 16,
    "chunk_size": 1000,
}
INFERENCE = {"batch_size": 2, "device": "cpu"}
POSTPROCESSING = {
    "n_best_size": 5,
    "max_answer_length": 10,
    "null_score_diff_threshold": 0.0,
}

EXAMPLES = [
    ("short", "서울은 대한민국의 수도이다.", "대한민국의 수도는 어디인가?"),
    (
        "long",
        "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다. "
        "서울은 대한민국의 수도이다. 이영희는 광주에서 소설 세 권을 썼다. "
        "김민수는 1932년에 부산에서 태어났다.",
        "김민수는 어디에서 태어났는가?",
    ),
    ("when", "김민수는 1932년에 부산에서 태어났다.", "김민수는 언제 태어났는가?"),
]


@pytest.fixture
def validation_examples() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "id": example_id,
                "title": "",
                "context": context,
                "question": question,
                "answers": {"text": [], "answer_start": []},
            }
            for example_id, context, question in EXAMPLES
        ],
        features=EXAMPLE_FEATURES,
    )


def test_predict_gives_one_logit_per_token_of_each_window(
    validation_examples, korean_tokenizer, tiny_qa_model
):
    features = tokenize_validation(validation_examples, korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    logits = predict(features, model, INFERENCE)

    assert logits.column_names == ["start_logits", "end_logits"]
    assert logits.data.schema.field("start_logits").type == pa.list_(pa.float32())
    assert len(logits) == len(features) > len(EXAMPLES)
    for window, window_logits in zip(features, logits, strict=True):
        assert len(window_logits["start_logits"]) == len(window["input_ids"])
        assert len(window_logits["end_logits"]) == len(window["input_ids"])
        assert np.isfinite(window_logits["start_logits"]).all()


def test_batching_does_not_change_the_logits(
    validation_examples, korean_tokenizer, tiny_qa_model
):
    features = tokenize_validation(validation_examples, korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    in_pairs = predict(features, model, INFERENCE)
    one_by_one = predict(features, model, INFERENCE | {"batch_size": 1})

    for paired, single in zip(in_pairs, one_by_one, strict=True):
        np.testing.assert_allclose(
            paired["start_logits"], single["start_logits"], atol=1e-5
        )
        np.testing.assert_allclose(
            paired["end_logits"], single["end_logits"], atol=1e-5
        )


def test_postprocess_gives_one_answer_from_each_context(
    validation_examples, korean_tokenizer, tiny_qa_model
):
    features = tokenize_validation(validation_examples, korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    logits = predict(features, model, INFERENCE)

    predictions = postprocess(
        validation_examples, features, logits, POSTPROCESSING, False
    )

    assert sorted(predictions) == sorted(validation_examples["id"])
    contexts = dict(
        zip(validation_examples["id"], validation_examples["context"], strict=True)
    )
    for example_id, answer in predictions.items():
        assert isinstance(answer, str)
        assert answer in contexts[example_id]
    assert any(predictions.values())


def test_postprocess_refuses_logits_of_other_features(
    validation_examples, korean_tokenizer, tiny_qa_model
):
    features = tokenize_validation(validation_examples, korean_tokenizer, TOKENIZATION)
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    logits = predict(features.select(range(2)), model, INFERENCE)

    with pytest.raises(ValueError, match="predict"):
        postprocess(validation_examples, features, logits, POSTPROCESSING, False)
