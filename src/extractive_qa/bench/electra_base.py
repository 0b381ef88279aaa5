"""An ELECTRA of a given shape with random weights, for the speed benchmarks.

It needs only torch and transformers, so the GPU benchmark can build it on a
machine that has neither the project's data libraries nor its data.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import ElectraConfig, ElectraForQuestionAnswering


def base_model(shape: dict[str, Any], attention: str, seed: int) -> torch.nn.Module:
    """ELECTRA of ``shape`` with random weights and the ``attention``
    implementation (``sdpa`` or ``eager``)."""
    torch.manual_seed(seed)
    config = ElectraConfig(
        vocab_size=shape["vocab_size"],
        embedding_size=shape["hidden_size"],
        hidden_size=shape["hidden_size"],
        num_hidden_layers=shape["num_hidden_layers"],
        num_attention_heads=shape["num_attention_heads"],
        intermediate_size=shape["intermediate_size"],
        max_position_embeddings=shape["max_position_embeddings"],
    )
    return ElectraForQuestionAnswering._from_config(
        config, attn_implementation=attention
    )
