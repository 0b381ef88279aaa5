"""A question-answering model paired with the tokenizer it was trained with,
and the one way this project loads QA weights: safetensors only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import (
    AutoModelForQuestionAnswering,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)


class UnsafeWeightsError(OSError):
    """A checkpoint offers its weights only as a pickle (pytorch_model.bin)."""


@dataclass(frozen=True)
class QAModel:
    """Model and tokenizer travel together: token ids only mean something to the
    model whose embeddings were trained on that vocabulary."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase


def load_qa_weights(
    source: str, trust_remote_code: bool = False, **kwargs: Any
) -> PreTrainedModel:
    """``AutoModelForQuestionAnswering.from_pretrained`` reading safetensors only:
    unpickling a ``pytorch_model.bin`` can run arbitrary code."""
    if kwargs.pop("use_safetensors", True) is not True:
        raise ValueError(
            f"{source}: use_safetensors must stay true; this project never loads "
            "pickled weights. Remove use_safetensors from the catalog's load_args."
        )
    try:
        return AutoModelForQuestionAnswering.from_pretrained(
            source, trust_remote_code=trust_remote_code, use_safetensors=True, **kwargs
        )
    except OSError as error:
        if Path(source).is_dir() and not any(Path(source).glob("*.safetensors")):
            pickles = sorted(p.name for p in Path(source).glob("*.bin"))
            raise UnsafeWeightsError(
                f"{source} holds no safetensors weights (found {pickles or 'none'}). "
                "This project loads weights as safetensors only, because loading a "
                "pickled pytorch_model.bin can run code. On a machine where you "
                "trust the file, convert it once: load it with "
                "from_pretrained(path, use_safetensors=False) and save_pretrained it "
                "to a new folder (safetensors is the default), then point the "
                "configuration there."
            ) from error
        raise
