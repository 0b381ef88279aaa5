"""Windows and their labels, on hand-written Korean examples and against the
reference recipe (Hugging Face's question-answering example)."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast

from extractive_qa.demo.synthetic import generate_korquad, inventory_characters
from extractive_qa.demo.tiny_model import train_wordpiece_tokenizer
from extractive_qa.qa.features import build_train_features, build_validation_features
from extractive_qa.qa.windows import WindowSettings, question_lengths, tokenize_windows
from extractive_qa.records.shapes import EXAMPLE_FEATURES

BIRTH_CONTEXT = (
    "김민수는 1932년에 부산에서 태어났다. "
    "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다."
)
BIRTH_QUESTION = "김민수는 어디에서 태어났는가?"
WRITING_CONTEXT = "이영희는 광주에서 소설 세 권을 썼다."
WRITING_QUESTION = "이영희는 어디에서 소설을 썼는가?"
# Only the start of the long context holds the answer; the rest is filler.
FILLER = "서울은 대한민국의 수도이다. "
LONG_CONTEXT = BIRTH_CONTEXT + " " + FILLER * 8


def example(example_id: str, context: str, question: str, answer: str | None) -> dict:
    """One example in the squad_kor_v1 layout; ``answer`` None means unanswerable."""
    if answer is None:
        answers = {"text": [], "answer_start": []}
    else:
        answers = {"text": [answer], "answer_start": [context.index(answer)]}
    return {
        "id": example_id,
        "title": "",
        "context": context,
        "question": question,
        "answers": answers,
    }


def examples(*rows: dict) -> datasets.Dataset:
    return datasets.Dataset.from_list(list(rows), features=EXAMPLE_FEATURES)


def labelled_text(
    tokenizer: PreTrainedTokenizerFast, context: str, question: str, feature: dict
) -> str:
    """The context text under a window's start/end labels, found through the
    offsets of the window's own tokens."""
    encoding = tokenizer(
        question, context, add_special_tokens=True, return_offsets_mapping=True
    )
    assert feature["input_ids"] == encoding["input_ids"]
    offsets = encoding["offset_mapping"]
    return context[
        offsets[feature["start_positions"]][0] : offsets[feature["end_positions"]][1]
    ]


# --------------------------------------------------------------------- settings


def test_window_settings_rejects_a_stride_that_fills_the_context_part() -> None:
    # 32 - 8 (question) - 3 (special tokens) = 21 context tokens per window.
    with pytest.raises(ValueError, match="doc_stride"):
        WindowSettings(max_length=32, doc_stride=21, max_query_length=8)
    with pytest.raises(ValueError, match="doc_stride"):
        WindowSettings(max_length=32, doc_stride=64, max_query_length=8)
    assert WindowSettings(max_length=32, doc_stride=20, max_query_length=8)


# ------------------------------------------------------------- training labels


def test_answer_inside_a_single_window_is_labelled_on_its_tokens(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    train = examples(
        example("birth", BIRTH_CONTEXT, BIRTH_QUESTION, "부산"),
        example("writing", WRITING_CONTEXT, WRITING_QUESTION, "광주"),
    )

    features = build_train_features(
        train, korean_tokenizer, WindowSettings(64, 16, 16), chunk_size=100
    )

    assert len(features) == 2
    birth, writing = features[0], features[1]
    assert birth["start_positions"] != 0
    assert (
        labelled_text(korean_tokenizer, BIRTH_CONTEXT, BIRTH_QUESTION, birth) == "부산"
    )
    assert (
        labelled_text(korean_tokenizer, WRITING_CONTEXT, WRITING_QUESTION, writing)
        == "광주"
    )


def test_a_long_context_is_cut_into_windows_labelled_only_where_the_answer_is(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    settings = WindowSettings(max_length=24, doc_stride=6, max_query_length=10)
    train = examples(example("long", LONG_CONTEXT, BIRTH_QUESTION, "부산"))

    features = build_train_features(train, korean_tokenizer, settings, chunk_size=100)
    encoding = korean_tokenizer(
        BIRTH_QUESTION,
        LONG_CONTEXT,
        truncation="only_second",
        max_length=24,
        stride=6,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )

    assert len(features) >= 4
    assert features["input_ids"] == encoding["input_ids"]
    answer_start = LONG_CONTEXT.index("부산")
    answer_end = answer_start + len("부산")
    labelled = 0
    for window, feature in enumerate(features):
        assert len(feature["input_ids"]) <= 24
        context_spans = [
            span
            for span, sequence in zip(
                encoding["offset_mapping"][window],
                encoding.sequence_ids(window),
                strict=True,
            )
            if sequence == 1
        ]
        holds_answer = (
            context_spans[0][0] <= answer_start and context_spans[-1][1] >= answer_end
        )
        if holds_answer:
            labelled += 1
            offsets = encoding["offset_mapping"][window]
            start, end = feature["start_positions"], feature["end_positions"]
            assert LONG_CONTEXT[offsets[start][0] : offsets[end][1]] == "부산"
        else:
            assert (feature["start_positions"], feature["end_positions"]) == (0, 0)
    assert 1 <= labelled < len(features)


def test_an_example_without_answer_is_labelled_cls_in_every_window(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    settings = WindowSettings(max_length=24, doc_stride=6, max_query_length=10)
    train = examples(
        example("none", LONG_CONTEXT, WRITING_QUESTION, None),
        example("short", WRITING_CONTEXT, BIRTH_QUESTION, None),
    )

    features = build_train_features(train, korean_tokenizer, settings, chunk_size=100)

    assert len(features) > 2
    assert set(features["start_positions"]) == {0}
    assert set(features["end_positions"]) == {0}


def test_a_question_longer_than_max_query_length_is_cut(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    long_question = "   " + " ".join([BIRTH_QUESTION] * 6)
    settings = WindowSettings(max_length=32, doc_stride=4, max_query_length=8)
    train = examples(example("long-question", LONG_CONTEXT, long_question, "부산"))

    features = build_train_features(train, korean_tokenizer, settings, chunk_size=100)

    assert len(features) > 1
    question_tokens = korean_tokenizer(long_question, add_special_tokens=False)
    for feature in features:
        ids = feature["input_ids"]
        assert len(ids) <= 32
        # Question tokens sit between [CLS] and the first [SEP].
        question = ids[1 : ids.index(korean_tokenizer.sep_token_id)]
        assert 0 < len(question) <= settings.max_query_length
        assert question == question_tokens["input_ids"][: len(question)]
    labelled = [f for f in features if f["start_positions"] != 0]
    assert labelled, "the answer should be labelled in at least one window"


def test_question_lengths_ignore_the_padding_of_an_earlier_call(
    korean_tokenizer,
) -> None:
    questions = ["서울은 어디에 있나?", "누가 1987년에 태어났는가?", ""]
    expected = [
        len(korean_tokenizer(q, add_special_tokens=False)["input_ids"])
        for q in questions
    ]
    # An earlier padded, truncated call leaves that state on the backend.
    korean_tokenizer(questions, padding="max_length", max_length=64, truncation=True)
    assert question_lengths(korean_tokenizer, questions).tolist() == expected
    assert expected[0] > 0 and expected[2] == 0


def test_a_cut_question_has_at_most_max_query_length_tokens(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    # Token 5 of the question is 태어났는 (가 is split off as a particle).
    settings = WindowSettings(max_length=32, doc_stride=4, max_query_length=5)

    windows = tokenize_windows(
        korean_tokenizer, [BIRTH_QUESTION], [LONG_CONTEXT], settings
    )

    first = windows.window_ids(0)
    question = first[1 : first.index(korean_tokenizer.sep_token_id)]
    assert len(question) <= settings.max_query_length
    assert windows.cut_questions == 1


def test_settings_accepted_by_validation_never_crash_tokenization(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    # The largest stride WindowSettings allows: 20 - 5 - 3 - 1.
    settings = WindowSettings(max_length=20, doc_stride=11, max_query_length=5)
    try:
        windows = tokenize_windows(
            korean_tokenizer, [BIRTH_QUESTION], [LONG_CONTEXT], settings
        )
    except BaseException as error:  # the tokenizer panics with a BaseException
        pytest.fail(f"tokenization crashed: {type(error).__name__}: {error}")
    assert len(windows) > 1


def test_context_first_tokenizers_label_the_answer_too(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    # A left-padding tokenizer reads the context first and the question second.
    korean_tokenizer.padding_side = "left"
    settings = WindowSettings(max_length=24, doc_stride=6, max_query_length=10)
    train = examples(example("long", LONG_CONTEXT, BIRTH_QUESTION, "부산"))

    features = build_train_features(train, korean_tokenizer, settings, chunk_size=100)
    encoding = korean_tokenizer(
        LONG_CONTEXT,
        BIRTH_QUESTION,
        truncation="only_first",
        max_length=24,
        stride=6,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )

    assert features["input_ids"] == encoding["input_ids"]
    labelled = [
        window for window, f in enumerate(features) if f["start_positions"] != 0
    ]
    assert labelled
    for window in labelled:
        offsets = encoding["offset_mapping"][window]
        start = features[window]["start_positions"]
        end = features[window]["end_positions"]
        assert LONG_CONTEXT[offsets[start][0] : offsets[end][1]] == "부산"


def cls_last(tokenizer: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """The tokenizer rebuilt the XLNet way: context, question, then [CLS] last,
    padding on the left."""
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single="$A:0 [SEP]:0 [CLS]:2",
        pair="$A:0 [SEP]:0 $B:1 [SEP]:1 [CLS]:2",
        special_tokens=[
            ("[SEP]", tokenizer.sep_token_id),
            ("[CLS]", tokenizer.cls_token_id),
        ],
    )
    tokenizer.padding_side = "left"
    return tokenizer


def test_cls_last_tokenizers_label_and_index_their_last_token(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    tokenizer = cls_last(korean_tokenizer)
    settings = WindowSettings(max_length=24, doc_stride=6, max_query_length=10)
    rows = examples(example("long", LONG_CONTEXT, BIRTH_QUESTION, "부산"))

    train = build_train_features(rows, tokenizer, settings, chunk_size=100)
    validation = build_validation_features(rows, tokenizer, settings, chunk_size=100)

    assert len(train) > 1
    assert train["input_ids"] == validation["input_ids"]
    for feature, cls_index in zip(train, validation["cls_index"], strict=True):
        assert cls_index == len(feature["input_ids"]) - 1
        assert feature["input_ids"][cls_index] == tokenizer.cls_token_id
    # Only the first window holds 부산; the others point at their CLS.
    assert train[0]["start_positions"] < validation["cls_index"][0]
    assert train["start_positions"][1:] == validation["cls_index"][1:]
    assert train["end_positions"][1:] == validation["cls_index"][1:]


# ---------------------------------------------------------- validation features


def test_validation_offsets_are_null_exactly_outside_the_context(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    settings = WindowSettings(max_length=24, doc_stride=6, max_query_length=10)
    validation = examples(
        example("long", LONG_CONTEXT, BIRTH_QUESTION, "부산"),
        example("short", WRITING_CONTEXT, WRITING_QUESTION, "광주"),
    )

    features = build_validation_features(
        validation, korean_tokenizer, settings, chunk_size=100
    )
    encoding = korean_tokenizer(
        [BIRTH_QUESTION, WRITING_QUESTION],
        [LONG_CONTEXT, WRITING_CONTEXT],
        truncation="only_second",
        max_length=24,
        stride=6,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )

    n_long = sum(1 for i in encoding["overflow_to_sample_mapping"] if i == 0)
    assert n_long > 1
    assert features["example_id"] == ["long"] * n_long + ["short"]
    assert features.features["offset_mapping"] == datasets.List(
        datasets.List(datasets.Value("int32"))
    )
    for window, feature in enumerate(features):
        offsets = feature["offset_mapping"]
        assert len(offsets) == len(feature["input_ids"])
        for token, sequence in enumerate(encoding.sequence_ids(window)):
            if sequence == 1:
                assert offsets[token] == list(encoding["offset_mapping"][window][token])
            else:
                assert offsets[token] is None


# ------------------------------------------------- equivalence with the recipe


def flatten_korquad(document: dict) -> datasets.Dataset:
    """KorQuAD JSON -> one row per question, the squad_kor_v1 layout."""
    rows = [
        {
            "id": qa["id"],
            "title": article["title"],
            "context": paragraph["context"],
            "question": qa["question"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    return datasets.Dataset.from_list(rows, features=EXAMPLE_FEATURES)


def reference_labels(
    tokenizer: PreTrainedTokenizerFast, row: dict, settings: WindowSettings
) -> tuple[list[list[int]], list[int], list[int]]:
    """The Hugging Face example's labelling, one window at a time, with its walks
    kept inside the context tokens."""
    encoding = tokenizer(
        row["question"].lstrip(),
        row["context"],
        truncation="only_second",
        max_length=settings.max_length,
        stride=settings.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    answers = row["answers"]
    start_char = answers["answer_start"][0] if answers["answer_start"] else -1
    end_char = start_char + len(answers["text"][0]) if answers["text"] else -1
    starts, ends = [], []
    for window, offsets in enumerate(encoding["offset_mapping"]):
        sequence_ids = encoding.sequence_ids(window)
        context = [i for i, s in enumerate(sequence_ids) if s == 1]
        first, last = context[0], context[-1]
        if start_char < 0 or not (
            offsets[first][0] <= start_char and offsets[last][1] >= end_char
        ):
            starts.append(0)
            ends.append(0)
            continue
        token = first
        while token <= last and offsets[token][0] <= start_char:
            token += 1
        starts.append(token - 1)
        token = last
        while token >= first and offsets[token][1] >= end_char:
            token -= 1
        ends.append(token + 1)
    return encoding["input_ids"], starts, ends


@pytest.fixture(scope="module")
def synthetic_train() -> datasets.Dataset:
    return flatten_korquad(generate_korquad(split="train", n_questions=300, seed=7))


@pytest.fixture(scope="module")
def synthetic_tokenizer(synthetic_train: datasets.Dataset) -> PreTrainedTokenizerFast:
    texts = list(dict.fromkeys(synthetic_train["context"])) + list(
        synthetic_train["question"]
    )
    return train_wordpiece_tokenizer(
        texts, vocab_size=600, alphabet=inventory_characters()
    )


def test_labels_equal_the_reference_recipe_on_generated_examples(
    synthetic_train: datasets.Dataset, synthetic_tokenizer: PreTrainedTokenizerFast
) -> None:
    settings = WindowSettings(max_length=128, doc_stride=32, max_query_length=64)

    # Small chunks so the labels of several chunks are concatenated.
    features = build_train_features(
        synthetic_train, synthetic_tokenizer, settings, chunk_size=64
    )

    expected_ids, expected_starts, expected_ends = [], [], []
    windows_per_example = []
    for row in synthetic_train:
        ids, starts, ends = reference_labels(synthetic_tokenizer, row, settings)
        expected_ids += ids
        expected_starts += starts
        expected_ends += ends
        windows_per_example.append(len(ids))
    assert len(synthetic_train) >= 300
    assert max(windows_per_example) > 2, "some contexts should overflow"
    assert features["input_ids"] == expected_ids
    assert features["start_positions"] == expected_starts
    assert features["end_positions"] == expected_ends
    # Every answer is short enough to be whole in at least one window.
    example_of_window = np.repeat(
        np.arange(len(windows_per_example)), windows_per_example
    )
    labelled = np.asarray(expected_starts) != 0
    assert set(example_of_window[labelled]) == set(range(len(synthetic_train)))


def roberta_style_tokenizer() -> PreTrainedTokenizerFast:
    """A real fast tokenizer that cuts a pair as RoBERTa does, with 4 special
    tokens: <s> question </s></s> context </s>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = "q c d e f g h".split()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    vocab |= {word: index + 4 for index, word in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )


def test_a_stride_with_no_room_for_four_special_tokens_is_named() -> None:
    tokenizer = roberta_style_tokenizer()
    assert tokenizer.num_special_tokens_to_add(pair=True) == 4
    # Room enough with 3 special tokens (20 - 8 - 3 = 9 > 8), not with 4.
    settings = WindowSettings(max_length=20, doc_stride=8, max_query_length=8)

    with pytest.raises(ValueError, match=r"doc_stride \(8\).*and 4 special tokens"):
        tokenize_windows(tokenizer, ["q " * 8], ["c d e f g h " * 5], settings)

    fits = WindowSettings(max_length=20, doc_stride=7, max_query_length=8)
    windows = tokenize_windows(tokenizer, ["q " * 8], ["c d e f g h " * 5], fits)
    assert len(windows.window_starts) > 1
