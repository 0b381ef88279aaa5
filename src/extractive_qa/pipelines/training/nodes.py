"""Prepare the starting model and fine-tune it for span prediction."""

from __future__ import annotations

import logging
from typing import Any

import datasets
import torch
from transformers import (
    AutoModelForQuestionAnswering,
    AutoTokenizer,
    PreTrainedTokenizerBase,
    Trainer,
    TrainingArguments,
)

from extractive_qa.demo.synthetic import inventory_characters
from extractive_qa.demo.tiny_model import build_tiny_electra, train_wordpiece_tokenizer
from extractive_qa.qa.batching import WindowCollator
from extractive_qa.qa.inference import pick_device
from extractive_qa.qa_model import QAModel

logger = logging.getLogger(__name__)


def _demo_model(train_examples: datasets.Dataset, demo: dict[str, Any]) -> QAModel:
    """A tokenizer trained on the training text and a random small ELECTRA."""
    texts = list(train_examples["context"]) + list(train_examples["question"])
    tokenizer = train_wordpiece_tokenizer(
        texts,
        vocab_size=demo["vocab_size"],
        alphabet=inventory_characters(),
        model_max_length=demo["max_position_embeddings"],
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


def _pretrained_model(checkpoint: str, trust_remote_code: bool) -> QAModel:
    """A checkpoint by hub id or local directory, through ``from_pretrained``."""
    tokenizer = AutoTokenizer.from_pretrained(
        checkpoint, trust_remote_code=trust_remote_code
    )
    if not tokenizer.is_fast:
        raise ValueError(
            f"{checkpoint}: the tokenizer is not a fast tokenizer; windows need "
            "offset mappings, which only fast tokenizers give."
        )
    model = AutoModelForQuestionAnswering.from_pretrained(
        checkpoint, trust_remote_code=trust_remote_code, use_safetensors=None
    )
    return QAModel(model=model, tokenizer=tokenizer)


def prepare_model(
    train_examples: datasets.Dataset, model: dict[str, Any]
) -> dict[str, Any]:
    """Training examples + ``model`` parameters -> ``tokenizer`` and ``base_model``.

    With ``model.checkpoint`` set, that checkpoint is loaded; without, the
    embedded default builds a small model from the training text.
    """
    checkpoint = model.get("checkpoint")
    if checkpoint:
        qa_model = _pretrained_model(checkpoint, model.get("trust_remote_code", False))
    else:
        qa_model = _demo_model(train_examples, model["demo"])
    parameters = sum(p.numel() for p in qa_model.model.parameters())
    logger.info(
        "base model: %s, %.1fM parameters, vocabulary %d",
        checkpoint or "embedded default (random ELECTRA)",
        parameters / 1e6,
        len(qa_model.tokenizer),
    )
    return {"tokenizer": qa_model.tokenizer, "base_model": qa_model}


def training_arguments(training: dict[str, Any]) -> TrainingArguments:
    """The ``training`` parameter group as ``TrainingArguments``."""
    on_gpu = pick_device().type == "cuda"
    bf16 = on_gpu and training["bf16_on_gpu"] and torch.cuda.is_bf16_supported()
    return TrainingArguments(
        output_dir=training["output_dir"],
        learning_rate=training["learning_rate"],
        num_train_epochs=training["num_train_epochs"],
        per_device_train_batch_size=training["batch_size"],
        weight_decay=training["weight_decay"],
        warmup_steps=training["warmup_ratio"],
        lr_scheduler_type=training["lr_scheduler_type"],
        seed=training["seed"],
        data_seed=training["seed"],
        # bf16 and TF32 arrive together with Ampere; older GPUs train in fp32.
        bf16=bf16,
        tf32=bf16 or None,
        train_sampling_strategy=training["sampling_strategy"],
        logging_steps=training["logging_steps"],
        save_strategy="no",
        report_to=[],
        dataloader_num_workers=training["dataloader_num_workers"],
    )


def fine_tune(
    train_features: datasets.Dataset, base_model: QAModel, training: dict[str, Any]
) -> QAModel:
    """Labelled training windows + base model -> fine-tuned model (same tokenizer)."""
    tokenizer: PreTrainedTokenizerBase = base_model.tokenizer
    trainer = Trainer(
        model=base_model.model,
        args=training_arguments(training),
        train_dataset=train_features,
        data_collator=WindowCollator(
            pad_token_id=tokenizer.pad_token_id,
            max_width=base_model.model.config.max_position_embeddings,
        ),
        processing_class=tokenizer,
    )
    result = trainer.train()
    logger.info(
        "fine-tuned for %d steps, training loss %.3f",
        result.global_step,
        result.training_loss,
    )
    return QAModel(model=trainer.model, tokenizer=tokenizer)
