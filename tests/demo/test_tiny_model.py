"""The demo tokenizer keeps Hangul syllables and round-trips through
save_pretrained; the tiny ELECTRA has the configured sizes and is seeded."""

from __future__ import annotations

import unicodedata

import pytest
import torch
from transformers import AutoTokenizer

from extractive_qa.demo.synthetic import generate_korquad, inventory_characters
from extractive_qa.demo.tiny_model import build_tiny_electra, train_wordpiece_tokenizer

SIZES = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 48,
    "max_position_embeddings": 96,
}


def texts(document: dict) -> list[str]:
    return [
        text
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for text in [paragraph["context"]] + [qa["question"] for qa in paragraph["qas"]]
    ]


def is_jamo(char: str) -> bool:
    return "\u1100" <= char <= "\u11ff" or "\u3130" <= char <= "\u318f"


@pytest.fixture(scope="module")
def demo_tokenizer():
    train = generate_korquad(split="train", n_questions=200, seed=5)
    return train_wordpiece_tokenizer(
        texts(train), vocab_size=400, alphabet=inventory_characters()
    )


@pytest.fixture(scope="module")
def unseen_text() -> list[str]:
    """Validation text: names, places and titles the tokenizer never saw."""
    return texts(generate_korquad(split="validation", n_questions=60, seed=5))


def test_unseen_text_has_no_unknown_tokens(demo_tokenizer, unseen_text):
    encoding = demo_tokenizer(unseen_text, add_special_tokens=False)

    for ids in encoding["input_ids"]:
        assert demo_tokenizer.unk_token_id not in ids


def test_tokens_are_whole_syllables_of_the_text(demo_tokenizer, unseen_text):
    for text in unseen_text:
        tokens = demo_tokenizer.tokenize(text)
        pieces = [token.removeprefix("##") for token in tokens]
        assert not any(is_jamo(char) for piece in pieces for char in piece)
        assert "".join(pieces) == text.replace(" ", "")


def test_decomposed_input_is_composed_back(demo_tokenizer, unseen_text):
    text = unseen_text[0]
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text

    assert demo_tokenizer(decomposed)["input_ids"] == demo_tokenizer(text)["input_ids"]


def test_pairs_get_token_type_ids(demo_tokenizer):
    encoding = demo_tokenizer(
        "김민수는 어디에서 태어났는가?", "김민수는 부산에서 태어났다."
    )

    types = encoding["token_type_ids"]
    first_context = types.index(1)
    assert set(types[:first_context]) == {0}
    assert set(types[first_context:]) == {1}
    assert encoding["input_ids"][0] == demo_tokenizer.cls_token_id
    assert encoding["input_ids"][first_context - 1] == demo_tokenizer.sep_token_id
    assert encoding["input_ids"][-1] == demo_tokenizer.sep_token_id


def test_tokenizer_survives_save_and_auto_load(demo_tokenizer, unseen_text, tmp_path):
    demo_tokenizer.save_pretrained(tmp_path)

    reloaded = AutoTokenizer.from_pretrained(tmp_path)

    assert reloaded.is_fast
    questions, contexts = unseen_text[1:4], [unseen_text[0]] * 3
    expected = demo_tokenizer(questions, contexts)
    actual = reloaded(questions, contexts)
    assert actual["input_ids"] == expected["input_ids"]
    assert actual["token_type_ids"] == expected["token_type_ids"]


def test_tiny_electra_has_the_configured_sizes(korean_tokenizer):
    model = build_tiny_electra(korean_tokenizer, seed=0, **SIZES)

    config = model.config
    assert config.vocab_size == len(korean_tokenizer)
    assert config.pad_token_id == korean_tokenizer.pad_token_id
    for name, value in SIZES.items():
        assert getattr(config, name) == value
    assert len(model.electra.encoder.layer) == SIZES["num_hidden_layers"]
    embeddings = model.electra.embeddings
    assert tuple(embeddings.word_embeddings.weight.shape) == (
        len(korean_tokenizer),
        SIZES["hidden_size"],
    )
    assert tuple(embeddings.position_embeddings.weight.shape) == (
        SIZES["max_position_embeddings"],
        SIZES["hidden_size"],
    )
    assert model.qa_outputs.out_features == 2


def test_same_seed_gives_the_same_weights(korean_tokenizer):
    first = build_tiny_electra(korean_tokenizer, seed=7, **SIZES).state_dict()
    second = build_tiny_electra(korean_tokenizer, seed=7, **SIZES).state_dict()
    other = build_tiny_electra(korean_tokenizer, seed=8, **SIZES).state_dict()

    assert first.keys() == second.keys()
    for name in first:
        assert torch.equal(first[name], second[name]), name
    assert not torch.equal(
        first["electra.embeddings.word_embeddings.weight"],
        other["electra.embeddings.word_embeddings.weight"],
    )


def test_training_twice_gives_the_same_vocabulary_ids():
    texts = [
        "김민수는 1932년에 부산에서 태어났다.",
        "이영희의 대표작은 《푸른 바다》이다.",
        "박서준은 한별전자에 들어가 12년 동안 일했다.",
    ] * 3
    alphabet = "".join(sorted(set("".join(texts)) - {" "}))
    first = train_wordpiece_tokenizer(texts, vocab_size=120, alphabet=alphabet)
    second = train_wordpiece_tokenizer(texts, vocab_size=120, alphabet=alphabet)
    assert first.get_vocab() == second.get_vocab()
    assert first.convert_tokens_to_ids(["[PAD]", "[UNK]", "[CLS]"]) == [0, 1, 2]
