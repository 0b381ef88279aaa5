"""A question-answering model paired with the tokenizer it was trained with."""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class QAModel:
    """Model and tokenizer travel together: token ids only mean something to the
    model whose embeddings were trained on that vocabulary."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
