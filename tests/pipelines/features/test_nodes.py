"""Examples become unpadded windows: labelled for training, offset-mapped for
validation; a context longer than a window is cut into overlapping windows."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from extractive_qa.pipelines.features.nodes import tokenize_train, tokenize_validation
from extractive_qa.records.shapes import EXAMPLE_FEATURES

LONG_CONTEXT = (
    "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다. "
    "서울은 대한민국의 수도이다. "
    "이영희는 광주에서 소설 세 권을 썼다. "
    "김민수는 1932년에 부산에서 태어났다."
)

# As in conf/base/parameters_tokenization.yml, scaled down so LONG_CONTEXT (40
# tokens) needs three windows of 32 tokens; two chunks for three examples.
TOKENIZATION = {
    "max_length": 32,
    "doc_stride": 8,
    "max_query_length": 16,
    "chunk_size": 2,
}


def example(example_id: str, context: str, question: str, answer: str | None) -> dict:
    answers = {"text": [], "answer_start": []}
    if answer is not None:
        answers = {"text": [answer], "answer_start": [context.index(answer)]}
    return {
        "id": example_id,
        "title": "",
        "context": context,
        "question": question,
        "answers": answers,
    }


@pytest.fixture
def examples() -> datasets.Dataset:
    """Answer in a one-window context, answer in the last window of a long
    context, and no answer."""
    return datasets.Dataset.from_list(
        [
            example(
                "short",
                "서울은 대한민국의 수도이다.",
                "대한민국의 수도는 어디인가?",
                "서울",
            ),
            example("long", LONG_CONTEXT, "김민수는 어디에서 태어났는가?", "부산"),
            example(
                "none", "이영희는 광주에서 소설 세 권을 썼다.", "누가 수도인가?", None
            ),
        ],
        features=EXAMPLE_FEATURES,
    )


def token_text(tokenizer, ids: list[int]) -> str:
    return "".join(
        token.removeprefix("##") for token in tokenizer.convert_ids_to_tokens(ids)
    )


def test_train_windows_have_token_columns_and_labels(examples, korean_tokenizer):
    features = tokenize_train(examples, korean_tokenizer, TOKENIZATION)

    schema = features.data.schema
    assert features.column_names == [
        "input_ids",
        "token_type_ids",
        "start_positions",
        "end_positions",
    ]
    assert schema.field("input_ids").type == pa.list_(pa.int32())
    assert schema.field("token_type_ids").type == pa.list_(pa.int8())
    assert schema.field("start_positions").type == pa.int32()
    assert schema.field("end_positions").type == pa.int32()


def test_train_labels_point_at_the_answer_or_at_cls(examples, korean_tokenizer):
    features = tokenize_train(examples, korean_tokenizer, TOKENIZATION)

    # short: 1 window, long: 3 windows, none: 1 window.
    assert len(features) == 5
    labels = list(
        zip(features["start_positions"], features["end_positions"], strict=True)
    )
    answers = {0: "서울", 3: "부산"}
    for row, (start, end) in enumerate(labels):
        if row in answers:
            ids = features[row]["input_ids"][start : end + 1]
            assert token_text(korean_tokenizer, ids) == answers[row]
            assert set(features[row]["token_type_ids"][start : end + 1]) == {1}
        else:
            # The answer is absent from this window (or from the example).
            assert (start, end) == (0, 0)
            assert features[row]["input_ids"][0] == korean_tokenizer.cls_token_id


def test_windows_are_stored_without_padding(examples, korean_tokenizer):
    features = tokenize_train(examples, korean_tokenizer, TOKENIZATION)

    for window in features:
        assert len(window["token_type_ids"]) == len(window["input_ids"])
        assert len(window["input_ids"]) <= TOKENIZATION["max_length"]
        assert korean_tokenizer.pad_token_id not in window["input_ids"]
    # A window shorter than max_length keeps exactly the tokens of its pair.
    whole = korean_tokenizer(examples[0]["question"], examples[0]["context"])
    assert features[0]["input_ids"] == whole["input_ids"]
    assert len(features[0]["input_ids"]) < TOKENIZATION["max_length"]
    assert len(features[1]["input_ids"]) == TOKENIZATION["max_length"]


def test_validation_windows_carry_example_ids_and_offsets(examples, korean_tokenizer):
    features = tokenize_validation(examples, korean_tokenizer, TOKENIZATION)

    schema = features.data.schema
    assert features.column_names == [
        "input_ids",
        "token_type_ids",
        "example_id",
        "offset_mapping",
        "cls_index",
    ]
    assert schema.field("input_ids").type == pa.list_(pa.int32())
    assert schema.field("token_type_ids").type == pa.list_(pa.int8())
    assert schema.field("example_id").type == pa.string()
    assert schema.field("offset_mapping").type == pa.list_(pa.list_(pa.int32()))
    assert schema.field("cls_index").type == pa.int32()
    assert features["cls_index"] == [0] * 5
    assert features["example_id"] == ["short", "long", "long", "long", "none"]


def test_validation_offsets_are_null_outside_the_context(examples, korean_tokenizer):
    features = tokenize_validation(examples, korean_tokenizer, TOKENIZATION)
    contexts = dict(zip(examples["id"], examples["context"], strict=True))

    for window in features:
        ids, offsets = window["input_ids"], window["offset_mapping"]
        assert len(offsets) == len(ids)
        assert len(window["token_type_ids"]) == len(ids)
        assert korean_tokenizer.pad_token_id not in ids
        # Question, [CLS] and both [SEP] have no context offsets.
        context_part = [
            position
            for position, type_id in enumerate(window["token_type_ids"])
            if type_id == 1 and position < len(ids) - 1
        ]
        assert [i for i, pair in enumerate(offsets) if pair is not None] == (
            context_part
        )
        context = contexts[window["example_id"]]
        for position in context_part:
            start, end = offsets[position]
            assert context[start:end] == token_text(korean_tokenizer, [ids[position]])


def test_long_context_windows_overlap_and_cover_it(examples, korean_tokenizer):
    features = tokenize_validation(examples, korean_tokenizer, TOKENIZATION)
    windows = [
        [tuple(pair) for pair in window["offset_mapping"] if pair is not None]
        for window in features
        if window["example_id"] == "long"
    ]

    context_alone = korean_tokenizer(
        LONG_CONTEXT, add_special_tokens=False, return_offsets_mapping=True
    )["offset_mapping"]
    covered = {pair for window in windows for pair in window}
    assert covered == {tuple(pair) for pair in context_alone}
    for first, second in zip(windows, windows[1:], strict=False):
        overlap = set(first) & set(second)
        assert len(overlap) == TOKENIZATION["doc_stride"]
