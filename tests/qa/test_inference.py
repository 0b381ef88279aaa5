"""Window logits from the tiny model, batched and padded, against one window at
a time unpadded."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest
import torch
from transformers import (
    ElectraForQuestionAnswering,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForQuestionAnswering,
    XLNetConfig,
    XLNetForQuestionAnsweringSimple,
)

from extractive_qa.demo.tiny_model import build_tiny_electra
from extractive_qa.qa.features import build_validation_features
from extractive_qa.qa.inference import (
    pick_device,
    predict_window_logits,
    usable_positions,
)
from extractive_qa.qa.windows import WindowSettings

LONG_CONTEXT = (
    "김민수는 1932년에 부산에서 태어났다. "
    "그는 1950년에 서울로 이사하여 대학에서 20년 동안 일했다. "
    "서울은 대한민국의 수도이다. 이영희는 광주에서 소설 세 권을 썼다."
)


def validation_features(tokenizer: PreTrainedTokenizerFast) -> datasets.Dataset:
    """Windows of several lengths: a long context cut in three or more, two short."""
    examples = datasets.Dataset.from_dict(
        {
            "id": ["long", "short", "tiny"],
            "question": [
                "김민수는 어디에서 태어났는가?",
                "이영희는 어디에서 소설을 썼는가?",
                "수도는?",
            ],
            "context": [LONG_CONTEXT, "이영희는 광주에서 소설 세 권을 썼다.", "서울"],
        }
    )
    return build_validation_features(
        examples,
        tokenizer,
        WindowSettings(max_length=30, doc_stride=8, max_query_length=12),
        chunk_size=100,
    )


def test_pick_device_honours_a_requested_device() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert (pick_device("auto").type == "cuda") == torch.cuda.is_available()


def test_a_device_torch_does_not_know_is_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'gpu' is not a device torch knows; use"):
        pick_device("gpu")


def test_the_meta_device_is_refused() -> None:
    with pytest.raises(ValueError, match="device 'meta' holds no data"):
        pick_device("meta")


def test_logits_match_the_model_on_each_window_alone(
    korean_tokenizer: PreTrainedTokenizerFast,
    tiny_qa_model: ElectraForQuestionAnswering,
) -> None:
    features = validation_features(korean_tokenizer)
    lengths = [len(ids) for ids in features["input_ids"]]

    logits = predict_window_logits(
        tiny_qa_model,
        features,
        pad_token_id=korean_tokenizer.pad_token_id,
        batch_size=2,
        device="cpu",
    )

    assert len(set(lengths)) >= 3, "windows of several lengths"
    assert lengths != sorted(lengths), "batching reorders the windows by length"
    assert len(logits) == len(features)
    assert logits.features["start_logits"] == datasets.List(datasets.Value("float32"))
    tiny_qa_model.eval()
    for row, feature in enumerate(features):
        with torch.inference_mode():
            alone = tiny_qa_model(
                input_ids=torch.tensor([feature["input_ids"]]),
                token_type_ids=torch.tensor([feature["token_type_ids"]]),
            )
        start = np.asarray(logits[row]["start_logits"])
        end = np.asarray(logits[row]["end_logits"])
        assert start.shape == end.shape == (lengths[row],)
        np.testing.assert_allclose(start, alone.start_logits[0].numpy(), atol=1e-4)
        np.testing.assert_allclose(end, alone.end_logits[0].numpy(), atol=1e-4)


def test_features_without_token_types_are_predicted_too(
    korean_tokenizer: PreTrainedTokenizerFast,
    tiny_qa_model: ElectraForQuestionAnswering,
) -> None:
    features = datasets.Dataset(
        pa.table(
            {
                "input_ids": pa.array(
                    [[2, 9, 10, 3], [2, 11, 3, 12, 13, 14, 3]], pa.list_(pa.int32())
                )
            }
        )
    )

    logits = predict_window_logits(
        tiny_qa_model,
        features,
        pad_token_id=korean_tokenizer.pad_token_id,
        batch_size=64,
        device="cpu",
    )

    assert [len(row) for row in logits["end_logits"]] == [4, 7]
    tiny_qa_model.eval()
    with torch.inference_mode():
        alone = tiny_qa_model(input_ids=torch.tensor([[2, 11, 3, 12, 13, 14, 3]]))
    np.testing.assert_allclose(
        logits[1]["start_logits"], alone.start_logits[0].numpy(), atol=1e-4
    )


def test_no_features_give_no_logits(
    korean_tokenizer: PreTrainedTokenizerFast,
    tiny_qa_model: ElectraForQuestionAnswering,
) -> None:
    features = validation_features(korean_tokenizer).select([])

    logits = predict_window_logits(
        tiny_qa_model,
        features,
        pad_token_id=korean_tokenizer.pad_token_id,
        batch_size=64,
        device="cpu",
    )

    assert len(logits) == 0
    assert set(logits.column_names) == {"start_logits", "end_logits"}


def test_a_window_as_long_as_the_model_allows_is_predicted(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    model = build_tiny_electra(
        korean_tokenizer,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=30,
        seed=0,
    )
    ids = [korean_tokenizer.cls_token_id] + [9] * 28 + [korean_tokenizer.sep_token_id]
    features = datasets.Dataset(
        pa.table({"input_ids": pa.array([ids], pa.list_(pa.int32()))})
    )

    logits = predict_window_logits(
        model,
        features,
        pad_token_id=korean_tokenizer.pad_token_id,
        batch_size=64,
        device="cpu",
    )

    assert [len(row) for row in logits["start_logits"]] == [30]

    # One token more than the model has positions for: named, not a tensor error.
    longer = datasets.Dataset(
        pa.table({"input_ids": pa.array([ids + [9]], pa.list_(pa.int32()))})
    )
    with pytest.raises(ValueError, match="windows of up to 31 tokens, but the model"):
        predict_window_logits(
            model,
            longer,
            pad_token_id=korean_tokenizer.pad_token_id,
            batch_size=64,
            device="cpu",
        )


def test_roberta_style_positions_count_from_after_the_padding_row(
    korean_tokenizer: PreTrainedTokenizerFast,
    tiny_qa_model: ElectraForQuestionAnswering,
) -> None:
    pad = korean_tokenizer.pad_token_id
    model = RobertaForQuestionAnswering(
        RobertaConfig(
            vocab_size=len(korean_tokenizer),
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=32,
            pad_token_id=pad,
        )
    )
    # Position ids start at the padding row's index + 1.
    assert usable_positions(model) == 32 - pad - 1
    assert usable_positions(tiny_qa_model) == (
        tiny_qa_model.config.max_position_embeddings
    )

    def window(length: int) -> datasets.Dataset:
        ids = [korean_tokenizer.cls_token_id] + [9] * (length - 2)
        ids.append(korean_tokenizer.sep_token_id)
        return datasets.Dataset(
            pa.table({"input_ids": pa.array([ids], pa.list_(pa.int32()))})
        )

    def logits(features: datasets.Dataset) -> datasets.Dataset:
        return predict_window_logits(
            model, features, pad_token_id=pad, batch_size=8, device="cpu"
        )

    fits = usable_positions(model)
    assert [len(row) for row in logits(window(fits))["start_logits"]] == [fits]
    with pytest.raises(ValueError, match=f"but the model has {fits} positions"):
        logits(window(fits + 1))


def test_chunks_give_the_same_logits_and_their_file_goes_with_the_result(
    korean_tokenizer: PreTrainedTokenizerFast,
    tiny_qa_model: ElectraForQuestionAnswering,
    monkeypatch,
) -> None:
    import gc
    from pathlib import Path

    from extractive_qa.qa import inference

    features = validation_features(korean_tokenizer)
    assert len(features) >= 4

    def logits_with_chunk(size: int) -> datasets.Dataset:
        monkeypatch.setattr(inference, "PREDICT_CHUNK", size)
        return predict_window_logits(
            tiny_qa_model,
            features,
            pad_token_id=korean_tokenizer.pad_token_id,
            batch_size=2,
            device="cpu",
        )

    whole = logits_with_chunk(1000)
    chunked = logits_with_chunk(3)
    assert len(chunked) == len(features)
    for column in ("start_logits", "end_logits"):
        for a, b in zip(whole[column], chunked[column], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # The logits are memory-mapped from a temporary file, removed with them.
    (source,) = {f["filename"] for f in chunked.cache_files}
    assert Path(source).is_file()
    del chunked
    gc.collect()
    assert not Path(source).exists()


def test_models_with_relative_positions_take_windows_of_any_length(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    # XLNet has no position table: its config reports -1 positions.
    torch.manual_seed(0)
    model = XLNetForQuestionAnsweringSimple(
        XLNetConfig(
            vocab_size=len(korean_tokenizer),
            d_model=16,
            n_layer=1,
            n_head=2,
            d_inner=32,
            pad_token_id=korean_tokenizer.pad_token_id,
        )
    ).eval()
    features = validation_features(korean_tokenizer)

    logits = predict_window_logits(
        model,
        features,
        pad_token_id=korean_tokenizer.pad_token_id,
        batch_size=2,
        device="cpu",
    )

    assert usable_positions(model) is None
    for row, feature in enumerate(features):
        with torch.inference_mode():
            alone = model(
                input_ids=torch.tensor([feature["input_ids"]]),
                token_type_ids=torch.tensor([feature["token_type_ids"]]),
            )
        start = np.asarray(logits[row]["start_logits"])
        np.testing.assert_allclose(start, alone.start_logits[0].numpy(), atol=1e-4)
