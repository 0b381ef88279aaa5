"""The reference recipe: the Hugging Face question-answering notebook as users copy it.

SQuAD JSON flattened record by record in Python, as the loading script does;
windows padded to ``max_length`` by ``datasets.map``, labels found by walking
each window's offsets in Python, ``Trainer`` on the padded windows,
``Trainer.predict`` for the logits, and post-processing that loops over the
windows of every example, takes the n-best starts and ends with ``np.argsort``
and builds every candidate span in Python. It exists only to be measured
against; the pipeline never uses it. The functions are module-level and take
the tokenizer as an argument (``fn_kwargs``) instead of closing over it.
"""

from __future__ import annotations

import collections
import json
from typing import TYPE_CHECKING, Any

import datasets
import numpy as np
from transformers import PreTrainedTokenizerBase

from extractive_qa.qa.windows import WindowSettings

if TYPE_CHECKING:
    from transformers import PreTrainedModel, TrainingArguments


def load_squad_json(content: bytes) -> datasets.Dataset:
    """What the SQuAD loading script does: walk articles, paragraphs and
    questions in Python, one record each."""
    document = json.loads(content)
    records = [
        {
            "id": qa["id"],
            "title": article.get("title", ""),
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
    return datasets.Dataset.from_list(records)


def _tokenize_padded(
    examples: dict[str, list],
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
) -> Any:
    pad_on_right = tokenizer.padding_side == "right"
    examples["question"] = [q.lstrip() for q in examples["question"]]
    return tokenizer(
        examples["question" if pad_on_right else "context"],
        examples["context" if pad_on_right else "question"],
        truncation="only_second" if pad_on_right else "only_first",
        max_length=settings.max_length,
        stride=settings.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )


def prepare_train_features(
    examples: dict[str, list],
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
) -> Any:
    """A batch of examples -> padded windows labelled by walking their offsets."""
    pad_on_right = tokenizer.padding_side == "right"
    tokenized = _tokenize_padded(examples, tokenizer, settings)
    sample_mapping = tokenized.pop("overflow_to_sample_mapping")
    offset_mapping = tokenized.pop("offset_mapping")
    tokenized["start_positions"] = []
    tokenized["end_positions"] = []
    for i, offsets in enumerate(offset_mapping):
        input_ids = tokenized["input_ids"][i]
        cls_index = input_ids.index(tokenizer.cls_token_id)
        sequence_ids = tokenized.sequence_ids(i)
        answers = examples["answers"][sample_mapping[i]]
        if len(answers["answer_start"]) == 0:
            tokenized["start_positions"].append(cls_index)
            tokenized["end_positions"].append(cls_index)
            continue
        start_char = answers["answer_start"][0]
        end_char = start_char + len(answers["text"][0])
        token_start_index = 0
        while sequence_ids[token_start_index] != (1 if pad_on_right else 0):
            token_start_index += 1
        token_end_index = len(input_ids) - 1
        while sequence_ids[token_end_index] != (1 if pad_on_right else 0):
            token_end_index -= 1
        if not (
            offsets[token_start_index][0] <= start_char
            and offsets[token_end_index][1] >= end_char
        ):
            tokenized["start_positions"].append(cls_index)
            tokenized["end_positions"].append(cls_index)
            continue
        while (
            token_start_index < len(offsets)
            and offsets[token_start_index][0] <= start_char
        ):
            token_start_index += 1
        tokenized["start_positions"].append(token_start_index - 1)
        while offsets[token_end_index][1] >= end_char:
            token_end_index -= 1
        tokenized["end_positions"].append(token_end_index + 1)
    return tokenized


def prepare_validation_features(
    examples: dict[str, list],
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
) -> Any:
    """A batch of examples -> padded windows with example ids and context offsets."""
    context_index = 1 if tokenizer.padding_side == "right" else 0
    tokenized = _tokenize_padded(examples, tokenizer, settings)
    sample_mapping = tokenized.pop("overflow_to_sample_mapping")
    tokenized["example_id"] = []
    for i in range(len(tokenized["input_ids"])):
        sequence_ids = tokenized.sequence_ids(i)
        tokenized["example_id"].append(examples["id"][sample_mapping[i]])
        tokenized["offset_mapping"][i] = [
            (o if sequence_ids[k] == context_index else None)
            for k, o in enumerate(tokenized["offset_mapping"][i])
        ]
    return tokenized


def build_features(
    examples: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    settings: WindowSettings,
    *,
    train: bool,
) -> datasets.Dataset:
    """``datasets.map`` of the recipe's preparation over all examples.

    Kept in memory and never read from the map cache, so a rerun measures the
    work and not a cache hit.
    """
    return examples.map(
        prepare_train_features if train else prepare_validation_features,
        batched=True,
        remove_columns=examples.column_names,
        fn_kwargs={"tokenizer": tokenizer, "settings": settings},
        keep_in_memory=True,
        load_from_cache_file=False,
    )


def train(
    model: PreTrainedModel,
    features: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    arguments: TrainingArguments,
) -> PreTrainedModel:
    """``Trainer.train`` on the padded windows with the default collator."""
    # Imported on use: transformers' Trainer and model code take seconds to
    # import, and every kedro command imports this module with the bench pipeline.
    from transformers import Trainer, default_data_collator

    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=features,
        data_collator=default_data_collator,
        processing_class=tokenizer,
    )
    trainer.train()
    return trainer.model


def predict(
    model: PreTrainedModel,
    features: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    arguments: TrainingArguments,
) -> tuple[np.ndarray, np.ndarray]:
    """``Trainer.predict`` on the padded windows -> (start, end) logits arrays."""
    from transformers import Trainer, default_data_collator

    trainer = Trainer(
        model=model,
        args=arguments,
        data_collator=default_data_collator,
        processing_class=tokenizer,
    )
    inputs = features.remove_columns(["example_id", "offset_mapping"])
    start_logits, end_logits = trainer.predict(inputs).predictions
    return start_logits, end_logits


def postprocess(
    examples: datasets.Dataset,
    features: datasets.Dataset,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    *,
    n_best_size: int,
    max_answer_length: int,
) -> dict[str, str]:
    """Loop over every example's windows and their n-best start x end pairs."""
    example_id_to_index = {k: i for i, k in enumerate(examples["id"])}
    features_per_example = collections.defaultdict(list)
    for i, feature in enumerate(features):
        features_per_example[example_id_to_index[feature["example_id"]]].append(i)
    predictions = {}
    for example_index, example in enumerate(examples):
        context = example["context"]
        valid_answers = []
        for feature_index in features_per_example[example_index]:
            feature_start = start_logits[feature_index]
            feature_end = end_logits[feature_index]
            offset_mapping = features[feature_index]["offset_mapping"]
            start_indexes = np.argsort(feature_start)[-1 : -n_best_size - 1 : -1]
            end_indexes = np.argsort(feature_end)[-1 : -n_best_size - 1 : -1]
            for start_index in start_indexes.tolist():
                for end_index in end_indexes.tolist():
                    if (
                        start_index >= len(offset_mapping)
                        or end_index >= len(offset_mapping)
                        or offset_mapping[start_index] is None
                        or offset_mapping[end_index] is None
                    ):
                        continue
                    if (
                        end_index < start_index
                        or end_index - start_index + 1 > max_answer_length
                    ):
                        continue
                    start_char = offset_mapping[start_index][0]
                    end_char = offset_mapping[end_index][1]
                    valid_answers.append(
                        {
                            "score": feature_start[start_index]
                            + feature_end[end_index],
                            "text": context[start_char:end_char],
                        }
                    )
        if valid_answers:
            best = sorted(valid_answers, key=lambda x: x["score"], reverse=True)[0]
            predictions[example["id"]] = best["text"]
        else:
            predictions[example["id"]] = ""
    return predictions


def predict_arguments(output_dir: str, batch_size: int) -> TrainingArguments:
    """What the recipe gives ``Trainer`` for prediction: a batch size, on the CPU."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=output_dir,
        per_device_eval_batch_size=batch_size,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
