"""The model fine-tuning starts from: a checkpoint, or the embedded default."""

from __future__ import annotations

import logging
from typing import Any

import datasets
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from extractive_qa.demo.synthetic import inventory_characters
from extractive_qa.demo.tiny_model import build_tiny_electra, train_wordpiece_tokenizer
from extractive_qa.qa_model import QAModel, checkpoint_folder_problem, load_qa_weights

logger = logging.getLogger(__name__)


def learnt_tokenizer(
    examples: datasets.Dataset, vocab_size: int, model_max_length: int
) -> PreTrainedTokenizerFast:
    """A WordPiece tokenizer learnt on the examples' contexts and questions,
    keeping every character the synthetic generator can emit."""
    texts = list(examples["context"]) + list(examples["question"])
    return train_wordpiece_tokenizer(
        texts,
        vocab_size=vocab_size,
        alphabet=inventory_characters(),
        model_max_length=model_max_length,
    )


def demo_model(train_examples: datasets.Dataset, demo: dict[str, Any]) -> QAModel:
    """A tokenizer trained on the training text and a random small ELECTRA."""
    tokenizer = learnt_tokenizer(
        train_examples, demo["vocab_size"], demo["max_position_embeddings"]
    )
    model = build_tiny_electra(
        tokenizer,
        hidden_size=demo["hidden_size"],
        num_hidden_layers=demo["num_hidden_layers"],
        num_attention_heads=demo["num_attention_heads"],
        intermediate_size=demo["intermediate_size"],
        max_position_embeddings=demo["max_position_embeddings"],
        seed=demo["seed"],
        dropout=demo["dropout"],
    )
    return QAModel(model=model, tokenizer=tokenizer)


def pretrained_model(checkpoint: str, trust_remote_code: bool) -> QAModel:
    """A checkpoint by hub id or local directory, through ``from_pretrained``."""
    problem = checkpoint_folder_problem(checkpoint, trust_remote_code)
    if problem is not None:
        raise problem
    tokenizer = AutoTokenizer.from_pretrained(
        checkpoint, trust_remote_code=trust_remote_code
    )
    if not tokenizer.is_fast:
        raise ValueError(
            f"{checkpoint}: the tokenizer is not a fast tokenizer; windows need "
            "offset mappings, which only fast tokenizers give."
        )
    model = load_qa_weights(checkpoint, trust_remote_code=trust_remote_code)
    return QAModel(model=model, tokenizer=tokenizer)


def starting_model(train_examples: datasets.Dataset, model: dict[str, Any]) -> QAModel:
    """The ``model`` parameter group's checkpoint, loaded; without one, the
    embedded default built from the training text."""
    checkpoint = model["checkpoint"]
    if checkpoint:
        qa_model = pretrained_model(checkpoint, model["trust_remote_code"])
    else:
        qa_model = demo_model(train_examples, model["demo"])
    parameters = sum(p.numel() for p in qa_model.model.parameters())
    logger.info(
        "base model: %s, %.1fM parameters, vocabulary %d",
        checkpoint or "embedded default (random ELECTRA)",
        parameters / 1e6,
        len(qa_model.tokenizer),
    )
    return qa_model
