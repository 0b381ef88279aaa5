"""AnswerSettings: built from the parameter groups, saved with a model and read
back from it, with single fields replaced; and answering honours SQuAD v2 mode."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import datasets
import pytest

from extractive_qa.qa.answer_settings import (
    AnswerSettings,
    DamagedSettingsError,
    MissingSettingsError,
)
from extractive_qa.qa.answering import QUESTION_FEATURES, answer_questions
from extractive_qa.qa.spans import SpanSettings
from extractive_qa.qa.windows import WindowSettings
from extractive_qa.qa_model import QAModel
from extractive_qa.records.text import clean_text

TOKENIZATION = {"max_length": 32, "doc_stride": 8, "max_query_length": 16}
POSTPROCESSING = {
    "n_best_size": 5,
    "max_answer_length": 10,
    "null_score_diff_threshold": 1.5,
}


def settings(version_2_with_negative: bool = False) -> AnswerSettings:
    return AnswerSettings.from_params(
        TOKENIZATION | {"chunk_size": 100}, POSTPROCESSING, version_2_with_negative
    )


def test_the_parameter_groups_become_settings() -> None:
    built = settings(True)
    assert built.windows == WindowSettings(32, 8, 16)
    assert built.spans == SpanSettings(n_best_size=5, max_answer_length=10)
    assert built.version_2_with_negative is True
    assert built.null_score_diff_threshold == 1.5


def test_saved_settings_read_back_the_same(korean_tokenizer, tiny_qa_model) -> None:
    saved = settings(True).saved()
    assert saved == {
        "tokenization": TOKENIZATION,
        "postprocessing": POSTPROCESSING,
        "version_2_with_negative": True,
    }
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer, settings=saved)
    assert AnswerSettings.of_model(model, "m") == settings(True)


def test_a_model_without_settings_or_with_a_part_missing_is_named(
    korean_tokenizer, tiny_qa_model
) -> None:
    bare = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)
    with pytest.raises(ValueError, match="models/x holds no qa_settings.json"):
        AnswerSettings.of_model(bare, "models/x")
    partial = QAModel(
        model=tiny_qa_model,
        tokenizer=korean_tokenizer,
        settings={"tokenization": TOKENIZATION, "version_2_with_negative": False},
    )
    with pytest.raises(ValueError, match="qa_settings.json lacks 'postprocessing'"):
        AnswerSettings.of_model(partial, "models/x")


@pytest.mark.parametrize(
    ("group", "field", "value", "message"),
    [
        (
            "tokenization",
            "max_length",
            "384",
            "'tokenization.max_length' is '384' (str), not a whole number",
        ),
        (
            "postprocessing",
            "n_best_size",
            True,
            "'postprocessing.n_best_size' is True (bool), not a whole number",
        ),
        (
            "postprocessing",
            "null_score_diff_threshold",
            None,
            "'postprocessing.null_score_diff_threshold' is None (NoneType), "
            "not a number",
        ),
        (
            None,
            "version_2_with_negative",
            "false",
            "'version_2_with_negative' is 'false' (str), not true or false",
        ),
        (None, "tokenization", [32, 8, 16], "'tokenization' is [32, 8, 16] (list)"),
    ],
)
def test_a_saved_field_of_the_wrong_type_is_named(
    korean_tokenizer, tiny_qa_model, group, field, value, message
) -> None:
    saved = settings().saved()
    if group is None:
        saved[field] = value
    else:
        saved[group] = saved[group] | {field: value}
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer, settings=saved)
    with pytest.raises(DamagedSettingsError) as raised:
        AnswerSettings.of_model(model, "models/x")
    assert str(raised.value).startswith(f"models/x/qa_settings.json: {message}")
    assert "fine-tune again" in str(raised.value)


def test_a_given_field_replaces_a_damaged_or_missing_saved_one(
    korean_tokenizer, tiny_qa_model
) -> None:
    saved = settings().saved()
    saved["tokenization"] = {"max_length": "32", "doc_stride": 8}
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer, settings=saved)
    given = AnswerSettings.of_model(
        model, "models/x", max_length=32, max_query_length=16
    )
    assert given.windows == WindowSettings(32, 8, 16)


def test_a_saved_field_that_is_missing_is_named(
    korean_tokenizer, tiny_qa_model
) -> None:
    saved = settings().saved()
    del saved["postprocessing"]["max_answer_length"]
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer, settings=saved)
    with pytest.raises(
        MissingSettingsError,
        match="qa_settings.json lacks 'postprocessing.max_answer_length'",
    ):
        AnswerSettings.of_model(model, "models/x")


def test_given_fields_replace_saved_ones_and_none_keeps_them(
    korean_tokenizer, tiny_qa_model
) -> None:
    model = QAModel(
        model=tiny_qa_model, tokenizer=korean_tokenizer, settings=settings().saved()
    )
    changed = AnswerSettings.of_model(
        model, "m", max_length=48, n_best_size=None, doc_stride=4
    )
    assert changed.windows == WindowSettings(48, 4, 16)
    assert changed.spans == settings().spans
    with pytest.raises(ValueError, match="doc_stride"):
        AnswerSettings.of_model(model, "m", doc_stride=30)
    with pytest.raises(ValueError, match="not a window or span setting"):
        AnswerSettings.of_model(model, "m", batch_size=3)
    # A saved setting that does not fit is replaced before it is checked.
    short = replace(
        model,
        settings=settings().saved()
        | {"tokenization": {**TOKENIZATION, "max_length": 10}},
    )
    with pytest.raises(ValueError, match="max_length"):
        AnswerSettings.of_model(short, "m")
    assert AnswerSettings.of_model(short, "m", max_length=32) == settings()


def test_v2_mode_leaves_a_question_unanswered_when_the_null_wins(
    korean_tokenizer, tiny_qa_model
) -> None:
    questions = datasets.Dataset.from_dict(
        {
            "id": ["1"],
            "question": ["대한민국의 수도는 어디인가?"],
            "context": ["서울은 대한민국의 수도이다."],
        },
        features=QUESTION_FEATURES,
    )
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    def answered(chosen: AnswerSettings):
        (answer,) = answer_questions(
            questions, model, chosen, chunk_size=10, batch_size=4, device="cpu"
        )
        return answer

    v1 = answered(settings())
    assert v1.answer and v1.score is not None
    assert 0.0 < v1.probability < 1.0
    null_wins = replace_threshold(settings(True), -1e9)
    unanswered = answered(null_wins)
    assert unanswered.answer == ""
    assert unanswered.answer_start == -1
    # The empty answer carries the null's probability; the span and the null
    # share the mass with the other n-best spans.
    assert 0.0 < unanswered.probability < 1.0 - v1.probability
    span_wins = replace_threshold(settings(True), 1e9)
    assert answered(span_wins) == v1


def replace_threshold(chosen: AnswerSettings, threshold: float) -> AnswerSettings:
    return replace(chosen, null_score_diff_threshold=threshold)


def test_decomposed_and_zero_width_text_gets_the_same_answer_in_its_own_form(
    korean_tokenizer, tiny_qa_model
) -> None:
    contexts = [
        "서울은 대한민국의 수도이다.",
        "김민수는 1932년에 부산에서 태어났다. 그는 1950년에 서울로 이사했다.",
    ]
    questions = ["대한민국의 수도는 어디인가?", "김민수는 어디에서 태어났는가?"]
    # As files from macOS (jamo) and web pages (zero-width spaces) hold them.
    raw = [
        unicodedata.normalize("NFD", text).replace(" ", " \u200b") for text in contexts
    ]
    model = QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)

    def answered(context_texts: list[str], question_texts: list[str]) -> list:
        table = datasets.Dataset.from_dict(
            {"id": ["a", "b"], "question": question_texts, "context": context_texts},
            features=QUESTION_FEATURES,
        )
        return answer_questions(
            table, model, settings(), chunk_size=10, batch_size=4, device="cpu"
        )

    clean = answered(contexts, questions)
    given = answered(raw, [unicodedata.normalize("NFD", q) for q in questions])

    assert all(answer.answer for answer in clean)
    for nfc, nfd, context in zip(clean, given, raw, strict=True):
        assert nfd.answer == context[nfd.answer_start : nfd.answer_end]
        assert clean_text(nfd.answer) == nfc.answer
        assert (nfd.score, nfd.probability) == (nfc.score, nfc.probability)
    # The question is returned as it was asked.
    assert given[1].question == unicodedata.normalize("NFD", questions[1])
