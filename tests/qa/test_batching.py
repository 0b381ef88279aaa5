"""Dynamic padding of unpadded windows into a batch."""

from __future__ import annotations

import torch
from transformers import PreTrainedTokenizerFast

from extractive_qa.qa.batching import WindowCollator


def window(length: int, *, first_id: int = 10, label: int | None = None) -> dict:
    """A window of ``length`` tokens: ids first_id.., types 0 then 1."""
    half = length // 2
    row = {
        "input_ids": list(range(first_id, first_id + length)),
        "token_type_ids": [0] * half + [1] * (length - half),
    }
    if label is not None:
        row["start_positions"] = label
        row["end_positions"] = label + 1
    return row


def test_windows_are_padded_to_the_longest_rounded_up_to_the_multiple() -> None:
    windows = [window(3, label=1), window(11, label=4), window(6, label=0)]

    batch = WindowCollator(pad_token_id=7, pad_to_multiple_of=8)(windows)

    assert batch["input_ids"].shape == (3, 16)
    assert batch["input_ids"].dtype == torch.long
    for row, source in enumerate(windows):
        n = len(source["input_ids"])
        assert batch["input_ids"][row, :n].tolist() == source["input_ids"]
        assert batch["input_ids"][row, n:].tolist() == [7] * (16 - n)
        assert batch["token_type_ids"][row, :n].tolist() == source["token_type_ids"]
        assert batch["token_type_ids"][row, n:].tolist() == [0] * (16 - n)
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (16 - n)
    assert batch["start_positions"].tolist() == [1, 4, 0]
    assert batch["end_positions"].tolist() == [2, 5, 1]


def test_a_longest_window_on_the_multiple_is_not_padded_further() -> None:
    batch = WindowCollator(pad_token_id=0, pad_to_multiple_of=8)([window(8), window(2)])

    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].sum(dim=1).tolist() == [8, 2]


def test_without_a_multiple_windows_pad_to_the_longest_exactly() -> None:
    batch = WindowCollator(pad_token_id=0, pad_to_multiple_of=1)(
        [window(5), window(9), window(2)]
    )

    assert batch["input_ids"].shape == (3, 9)
    assert batch["attention_mask"].sum(dim=1).tolist() == [5, 9, 2]


def test_unlabelled_windows_without_token_types_give_only_ids_and_mask() -> None:
    windows = [{"input_ids": [5, 6, 7]}, {"input_ids": [5]}]

    batch = WindowCollator(pad_token_id=3, pad_to_multiple_of=4)(windows)

    assert set(batch) == {"input_ids", "attention_mask"}
    assert batch["input_ids"].tolist() == [[5, 6, 7, 3], [5, 3, 3, 3]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]


def test_real_tokenized_windows_pad_with_the_tokenizer_pad_id(
    korean_tokenizer: PreTrainedTokenizerFast,
) -> None:
    encoding = korean_tokenizer(
        ["김민수는 어디에서 태어났는가?", "서울은?"],
        ["김민수는 1932년에 부산에서 태어났다.", "서울은 대한민국의 수도이다."],
    )
    windows = [
        {"input_ids": ids, "token_type_ids": types}
        for ids, types in zip(
            encoding["input_ids"], encoding["token_type_ids"], strict=True
        )
    ]

    batch = WindowCollator(pad_token_id=korean_tokenizer.pad_token_id)(windows)
    reference = korean_tokenizer.pad(
        {"input_ids": encoding["input_ids"]},
        padding=True,
        pad_to_multiple_of=8,
        return_tensors="pt",
    )

    assert torch.equal(batch["input_ids"], reference["input_ids"])
    assert torch.equal(batch["attention_mask"], reference["attention_mask"])


def _ragged(windows: list[dict]) -> dict:
    """The windows as ragged columns behind a sliced Arrow table, as predict
    reads a chunk."""
    import pyarrow as pa

    from extractive_qa.qa.inference import ragged_columns

    padding_row = {key: [99] for key in windows[0]}
    table = pa.Table.from_pylist([padding_row, *windows])
    return ragged_columns(table.slice(1))


def test_rows_read_from_ragged_columns_pad_as_a_list_of_windows_does() -> None:
    import numpy as np

    windows = [window(3), window(11, first_id=40), window(6, first_id=70)]
    collate = WindowCollator(pad_token_id=7, pad_to_multiple_of=8, max_width=12)
    rows = np.array([2, 0, 1])

    batch = collate.pad_rows(_ragged(windows), rows)
    expected = collate([windows[row] for row in rows])

    assert batch.keys() == expected.keys()
    for key in expected:
        assert batch[key].dtype == torch.long
        assert torch.equal(batch[key], expected[key]), key


def test_rows_without_padding_leave_the_mask_out_and_predict_the_same() -> None:
    import numpy as np

    from extractive_qa.bench.electra_base import base_model

    windows = [window(8), window(8, first_id=30), window(5, first_id=50)]
    collate = WindowCollator(pad_token_id=0, pad_to_multiple_of=8)
    full = collate.pad_rows(_ragged(windows), np.array([1, 0]))

    assert "attention_mask" not in full
    assert full["input_ids"].tolist() == [list(range(30, 38)), list(range(10, 18))]
    shape = {
        "vocab_size": 100,
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": 16,
    }
    model = base_model(shape, "sdpa", seed=5).eval()
    with torch.inference_mode():
        without = model(**full).start_logits
        masked = model(**full, attention_mask=torch.ones(2, 8, dtype=torch.long))
    assert torch.allclose(without, masked.start_logits, atol=1e-6)


def test_empty_windows_pad_without_reading_past_the_values() -> None:
    import numpy as np

    from extractive_qa.qa.batching import RaggedColumn

    ragged = {
        "input_ids": RaggedColumn(
            np.array([5, 6], dtype=np.int32), np.array([0, 2, 2], dtype=np.int64)
        )
    }
    batch = WindowCollator(pad_token_id=0, pad_to_multiple_of=1).pad_rows(
        ragged, np.array([1, 0])
    )

    assert batch["input_ids"].tolist() == [[0, 0], [5, 6]]
    assert batch["attention_mask"].tolist() == [[0, 0], [1, 1]]
