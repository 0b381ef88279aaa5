"""Round trips of real tiny models and tokenizers through the directory datasets."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import fsspec
import pytest
import s3fs
import torch
from kedro.io.core import DatasetError
from transformers import ElectraForQuestionAnswering, PreTrainedTokenizerBase

from extractive_qa.bench.storage import moto_server
from extractive_qa.datasets import QAModelDataset, TokenizerDataset
from extractive_qa.qa_model import QAModel

SENTENCE = "김민수는 1932년에 부산에서 태어났다."
QUESTION = "김민수는 어디에서 태어났는가?"


@pytest.fixture
def qa_model(
    tiny_qa_model: ElectraForQuestionAnswering,
    korean_tokenizer: PreTrainedTokenizerBase,
) -> QAModel:
    return QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A memory:// directory of this test alone; the memory filesystem is global."""
    root = f"/test-{uuid.uuid4().hex}"
    yield f"memory://{root}"
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def assert_same_qa_model(loaded: QAModel, saved: QAModel) -> None:
    saved_state = saved.model.state_dict()
    loaded_state = loaded.model.state_dict()
    assert loaded_state.keys() == saved_state.keys()
    for name, tensor in saved_state.items():
        assert torch.equal(loaded_state[name], tensor), name
    assert loaded.model.config.to_diff_dict() == saved.model.config.to_diff_dict()
    assert_same_tokenizer(loaded.tokenizer, saved.tokenizer)


def assert_same_tokenizer(
    loaded: PreTrainedTokenizerBase, saved: PreTrainedTokenizerBase
) -> None:
    expected = saved(QUESTION, SENTENCE)
    reloaded = loaded(QUESTION, SENTENCE)
    assert reloaded["input_ids"] == expected["input_ids"]
    assert reloaded["token_type_ids"] == expected["token_type_ids"]
    assert loaded.unk_token_id not in reloaded["input_ids"]
    # Whole syllables survive: no lowercasing or accent stripping into jamo.
    # Hangul syllables survive whole: no jamo pieces, the word is still there.
    assert "부산" in loaded.convert_ids_to_tokens(reloaded["input_ids"])


def test_round_trip_keeps_weights_config_and_tokenizer(
    tmp_path: Path, qa_model: QAModel
) -> None:
    dataset = QAModelDataset(filepath=str(tmp_path / "qa_model"))
    dataset.save(qa_model)
    loaded = dataset.load()
    assert isinstance(loaded, QAModel)
    assert isinstance(loaded.model, ElectraForQuestionAnswering)
    assert_same_qa_model(loaded, qa_model)


def test_saved_directory_holds_safetensors_and_no_pickle(
    tmp_path: Path, qa_model: QAModel
) -> None:
    directory = tmp_path / "qa_model"
    QAModelDataset(filepath=str(directory)).save(qa_model)
    files = {path.name for path in directory.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= files
    assert "tokenizer_config.json" in files
    assert "pytorch_model.bin" not in files


def test_saving_again_leaves_no_file_of_the_earlier_save(
    tmp_path: Path, qa_model: QAModel
) -> None:
    directory = tmp_path / "qa_model"
    dataset = QAModelDataset(filepath=str(directory))
    dataset.save(qa_model)
    # What an older transformers would have left next to the safetensors.
    (directory / "pytorch_model.bin").write_bytes(b"stale")
    dataset.save(qa_model)
    assert not (directory / "pytorch_model.bin").exists()
    assert_same_qa_model(dataset.load(), qa_model)


def test_refuses_to_replace_a_directory_save_pretrained_did_not_write(
    tmp_path: Path, qa_model: QAModel
) -> None:
    unrelated = tmp_path / "data" / "notes.txt"
    unrelated.parent.mkdir()
    unrelated.write_text("keep me")
    with pytest.raises(DatasetError, match="Refusing to replace"):
        QAModelDataset(filepath=str(tmp_path / "data")).save(qa_model)
    assert unrelated.read_text() == "keep me"


def test_save_rejects_a_bare_model(tmp_path: Path, qa_model: QAModel) -> None:
    dataset = QAModelDataset(filepath=str(tmp_path / "qa_model"))
    with pytest.raises(DatasetError, match="saves a QAModel"):
        dataset.save(qa_model.model)


def test_memory_filesystem_round_trip(memory_root: str, qa_model: QAModel) -> None:
    dataset = QAModelDataset(filepath=f"{memory_root}/models/qa_model")
    dataset.save(qa_model)
    fs = fsspec.filesystem("memory")
    # The whole path is kept, not only its last part.
    directory = f"{fsspec.core.strip_protocol(memory_root)}/models/qa_model"
    assert fs.exists(f"{directory}/model.safetensors")
    fs.pipe(f"{directory}/pytorch_model.bin", b"stale")
    dataset.save(qa_model)
    assert not fs.exists(f"{directory}/pytorch_model.bin")
    assert_same_qa_model(dataset.load(), qa_model)


def test_exists_only_after_save(tmp_path: Path, qa_model: QAModel) -> None:
    dataset = QAModelDataset(filepath=str(tmp_path / "qa_model"))
    assert not dataset.exists()
    dataset.save(qa_model)
    assert dataset.exists()


def test_loading_a_missing_directory_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "never_saved"
    with pytest.raises(DatasetError, match="never_saved") as raised:
        QAModelDataset(filepath=str(missing)).load()
    assert str(missing) in str(raised.value)
    assert "kedro run" in str(raised.value)


def test_describe_names_filepath_and_protocol(memory_root: str) -> None:
    description = QAModelDataset(filepath=f"{memory_root}/qa_model")._describe()
    assert description["filepath"] == f"{memory_root}/qa_model"
    assert description["protocol"] == "memory"
    assert description["load_args"]["trust_remote_code"] is False


def test_tokenizer_dataset_round_trip(
    tmp_path: Path, korean_tokenizer: PreTrainedTokenizerBase
) -> None:
    directory = tmp_path / "tokenizer"
    dataset = TokenizerDataset(filepath=str(directory))
    assert not dataset.exists()
    dataset.save(korean_tokenizer)
    assert dataset.exists()
    assert not (directory / "config.json").exists()
    loaded = dataset.load()
    assert loaded.get_vocab() == korean_tokenizer.get_vocab()
    assert_same_tokenizer(loaded, korean_tokenizer)


@pytest.mark.parametrize("where", ["local", "memory"])
def test_answer_settings_travel_with_the_model(
    where: str, tmp_path: Path, memory_root: str, qa_model: QAModel
) -> None:
    root = str(tmp_path) if where == "local" else memory_root
    dataset = QAModelDataset(filepath=f"{root}/qa_model")
    settings = {"tokenization": {"max_length": 32}, "version_2_with_negative": True}
    dataset.save(replace(qa_model, settings=settings))
    assert dataset.load().settings == settings
    # A model without settings (not fine-tuned here) loads without them.
    dataset.save(qa_model)
    assert dataset.load().settings is None


@pytest.fixture(scope="module")
def s3_root() -> Iterator[tuple[str, dict]]:
    """A bucket on moto's S3 server (127.0.0.1, stopped by its PID): s3fs
    answers file details from its listing cache, which memory:// has not."""
    with moto_server() as endpoint:
        credentials = {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": endpoint},
        }
        fs = s3fs.S3FileSystem(**credentials, skip_instance_cache=True)
        fs.mkdir("models")
        yield "s3://models", credentials


@pytest.mark.parametrize("store", ["memory", "s3"])
def test_a_load_during_a_save_never_gives_half_of_each(
    store: str, request, qa_model: QAModel, monkeypatch
) -> None:
    """Readers take no lock (the answer command, the served model): a save may
    publish while a load copies the directory file by file."""
    if store == "s3":
        root, credentials = request.getfixturevalue("s3_root")
    else:
        root, credentials = request.getfixturevalue("memory_root"), None
    path = f"{root}/run-{uuid.uuid4().hex}/qa_model"
    reader = QAModelDataset(filepath=path, credentials=credentials)
    writer = QAModelDataset(filepath=path, credentials=credentials)
    writer.save(qa_model)
    retrained = copy.deepcopy(qa_model.model)
    with torch.no_grad():
        next(retrained.parameters()).add_(1.0)
    newer = QAModel(model=retrained, tokenizer=qa_model.tokenizer)
    fs = reader._fs
    directory = fsspec.core.strip_protocol(path)
    real_get = fs.get
    copies = []

    def get_while_a_save_publishes(remote: str, local: str, **kwargs) -> None:
        copies.append(remote)
        if len(copies) > 1:
            return real_get(remote, local, **kwargs)
        # The folder is listed (as a recursive copy does), the old weights
        # copied; the save publishes; then the rest, new.
        names = fs.find(directory)
        real_get(f"{directory}/model.safetensors", f"{local}/model.safetensors")
        writer.save(newer)
        for name in names:
            if not name.endswith("/model.safetensors"):
                real_get(name, f"{local}/{name[len(directory) + 1 :]}")

    monkeypatch.setattr(fs, "get", get_while_a_save_publishes)

    assert_same_qa_model(reader.load(), newer)
    assert len(copies) == 2

    # Another model saved at every copy: the load gives up and says why.
    def get_while_saving_each_time(remote: str, local: str, **kwargs) -> None:
        copies.append(remote)
        writer.save(qa_model if len(copies) % 2 else newer)
        real_get(remote, local, **kwargs)

    monkeypatch.setattr(fs, "get", get_while_saving_each_time)
    with pytest.raises(DatasetError, match=r"was replaced by a save each time it was"):
        reader.load()
