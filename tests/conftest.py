"""Real, tiny Korean tokenizer and QA model shared by the test suite."""

from __future__ import annotations

import pytest
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from tokenizers.trainers import WordPieceTrainer
from transformers import (
    ElectraConfig,
    ElectraForQuestionAnswering,
    PreTrainedTokenizerFast,
)

KOREAN_CORPUS = [
    "김민수는 1932년에 부산에서 태어났다.",
    "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다.",
    "김민수는 어디에서 태어났는가?",
    "이영희는 광주에서 소설 세 권을 썼다.",
    "서울은 대한민국의 수도이다.",
]
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_korean_tokenizer() -> PreTrainedTokenizerFast:
    """Train a WordPiece tokenizer on KOREAN_CORPUS, BERT-style but cased."""
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # Lowercasing or accent stripping would NFD-decompose Hangul syllables into
    # jamo, which a vocabulary trained on whole syllables cannot match.
    backend.normalizer = normalizers.BertNormalizer(
        lowercase=False, strip_accents=False
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.train_from_iterator(
        KOREAN_CORPUS, WordPieceTrainer(vocab_size=200, special_tokens=SPECIAL_TOKENS)
    )
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(t, backend.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
        # Transformers 5 defaults to input_ids and attention_mask only, dropping
        # the segment ids that BERT-style models such as ELECTRA read.
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def build_tiny_qa_model(vocab_size: int) -> ElectraForQuestionAnswering:
    """A randomly initialised ELECTRA QA model small enough for a unit test."""
    torch.manual_seed(0)
    config = ElectraConfig(
        vocab_size=vocab_size,
        embedding_size=16,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return ElectraForQuestionAnswering(config)


@pytest.fixture
def korean_tokenizer() -> PreTrainedTokenizerFast:
    return build_korean_tokenizer()


@pytest.fixture
def tiny_qa_model(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> ElectraForQuestionAnswering:
    return build_tiny_qa_model(len(korean_tokenizer))
