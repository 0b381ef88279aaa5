"""training.compile_layers: each encoder layer compiled in place computes what
the plain layer does; a model without a list of encoder layers, or a mode the
setting does not take, is refused with the setting named."""

from __future__ import annotations

import pytest
import torch
from torch._dynamo.utils import counters
from transformers import DistilBertConfig, DistilBertForQuestionAnswering

from extractive_qa.training.compilation import compile_encoder_layers


def test_compiled_layers_compute_what_the_plain_layers_do(
    korean_tokenizer, tiny_qa_model
):
    batch = korean_tokenizer(
        ["서울은 한국의 수도이다", "부산은 항구 도시이다"],
        padding=True,
        return_tensors="pt",
    )
    tiny_qa_model.eval()
    with torch.no_grad():
        plain = tiny_qa_model(**batch).start_logits
    counters.clear()
    try:
        assert compile_encoder_layers(tiny_qa_model, "default") == 1
        layer = tiny_qa_model.electra.encoder.layer[0]
        assert layer._compiled_call_impl is not None
        with torch.no_grad():
            compiled = tiny_qa_model(**batch).start_logits
        # The forward pass ran the layer through a compiled graph.
        assert counters["stats"]["unique_graphs"] == 1
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(compiled, plain, rtol=1e-4, atol=1e-5)


def test_false_compiles_nothing(tiny_qa_model):
    assert compile_encoder_layers(tiny_qa_model, False) == 0
    assert tiny_qa_model.electra.encoder.layer[0]._compiled_call_impl is None


def test_a_mode_with_cuda_graphs_is_refused(tiny_qa_model):
    with pytest.raises(ValueError, match="training.compile_layers = 'max-autotune'"):
        compile_encoder_layers(tiny_qa_model, "max-autotune")
    assert tiny_qa_model.electra.encoder.layer[0]._compiled_call_impl is None


def test_a_model_without_encoder_layers_is_named():
    # DistilBERT keeps its layers at distilbert.transformer.layer.
    config = DistilBertConfig(
        vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32
    )
    model = DistilBertForQuestionAnswering(config)
    with pytest.raises(
        ValueError,
        match="DistilBertForQuestionAnswering has no list of encoder layers.*"
        "set training.compile_layers: false",
    ):
        compile_encoder_layers(model, True)
