"""A question-answering model paired with the tokenizer it was trained with,
the one way this project loads QA weights (safetensors only), and the checks
that say exactly what is wrong with a local checkpoint folder before any of it
is loaded."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huggingface_hub import try_to_load_from_cache
from huggingface_hub.constants import HF_HUB_CACHE
from huggingface_hub.errors import HFValidationError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


class ModelSourceError(OSError):
    """A model source cannot be used: a missing folder, or one without a
    config, weights or tokenizer, or with custom code that would be ignored."""


class UnsafeWeightsError(ModelSourceError):
    """A checkpoint offers its weights only as a pickle (pytorch_model.bin)."""


# Files any fast tokenizer saved by save_pretrained leaves (one suffices).
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
PICKLE_PATTERNS = ("*.bin", "*.pt", "*.pth", "*.ckpt")


def looks_like_path(source: str) -> bool:
    """Whether ``source`` can only be a local path (a hub id is ``name`` or
    ``owner/name``)."""
    return (
        source.startswith(("/", "./", "../", "~"))
        or source.endswith("/")
        or source.count("/") > 1
        or "\\" in source
    )


def unsafe_weights_message(folder: str, pickles: list[str]) -> str:
    return (
        f"{folder} holds no safetensors weights (found {pickles or 'none'}). "
        "This project loads weights as safetensors only, because loading a "
        "pickled pytorch_model.bin can run code. On a machine where you "
        "trust the file, convert it once: load it with "
        "from_pretrained(path, use_safetensors=False) and save_pretrained it "
        "to a new folder (safetensors is the default), then point the "
        "configuration there."
    )


def _weights_problem(folder: Path, names: list[str]) -> ModelSourceError | None:
    if any(folder.glob("*.safetensors")):
        return None
    pickles = sorted(
        {p.name for pattern in PICKLE_PATTERNS for p in folder.glob(pattern)}
    )
    if pickles:
        return UnsafeWeightsError(unsafe_weights_message(str(folder), pickles))
    return ModelSourceError(
        f"{folder} holds no weights: no model.safetensors (it holds {names}). "
        "Save the model into it with save_pretrained, or copy the checkpoint's "
        "model.safetensors (and any model-0000x-of-0000y.safetensors shards with "
        "their index) into it."
    )


# JSON files save_pretrained writes; each is read whole when the model loads.
JSON_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def _safetensors_damage(path: Path) -> str | None:
    """Why a .safetensors file is not whole (a header cut short, or tensors
    past its end), or None."""
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        length = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
        if length < 0 or 8 + length > size:
            return f"its header is cut short ({size} bytes in all)"
        try:
            header = json.loads(file.read(length))
        except ValueError:
            return "its header is not JSON"
    not_safetensors = "its header is not a safetensors header"
    if not isinstance(header, dict):
        return not_safetensors
    ends = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not isinstance(offsets, list) or len(offsets) != 2:
            return not_safetensors
        ends.append(offsets[1])
    if not all(isinstance(end, int) for end in ends):
        return not_safetensors
    if 8 + length + max(ends, default=0) > size:
        return f"it is cut short: its tensors need more than its {size} bytes"
    return None


def _damaged_file_problem(folder: Path, names: list[str]) -> ModelSourceError | None:
    """A JSON or safetensors file of the folder that cannot be read, as a
    copy or save cut short leaves it."""
    damage = {}
    for name in JSON_FILES:
        if name in names:
            try:
                json.loads((folder / name).read_text(encoding="utf-8"))
            except ValueError as error:
                damage[name] = f"it is not valid JSON ({error})"
    for path in sorted(folder.glob("*.safetensors")):
        problem = _safetensors_damage(path)
        if problem:
            damage[path.name] = problem
    if not damage:
        return None
    name, problem = next(iter(damage.items()))
    return ModelSourceError(
        f"{folder / name} cannot be read: {problem}. The folder was not saved or "
        "copied whole; save it again with save_pretrained, or copy it again."
    )


def _remote_code_problem(folder: Path) -> ModelSourceError | None:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if not config.get("auto_map"):
        return None
    return ModelSourceError(
        f"{folder}/config.json names custom code (auto_map: "
        f"{sorted(config['auto_map'])}), which is ignored unless "
        "model.trust_remote_code is true: the built-in class for model_type "
        f"{config.get('model_type')!r} would be loaded instead. Set "
        "model.trust_remote_code: true in the run's parameters if you trust the "
        "code in that folder (the answer command and the served model load "
        "built-in classes only), or remove auto_map from its config.json to use "
        "the built-in class."
    )


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` is set (read now, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def offline_cache_problem(source: str) -> ModelSourceError | None:
    """Under ``HF_HUB_OFFLINE``, a hub id whose config is not in the local
    Hugging Face cache (from_pretrained would only say it could not connect)."""
    if Path(source).expanduser().exists() or looks_like_path(source):
        return None
    if not hub_offline():
        return None
    try:
        cached = try_to_load_from_cache(repo_id=source, filename="config.json")
    except HFValidationError:
        cached = None
    if isinstance(cached, str):
        return None
    return ModelSourceError(
        f"{source} is not a folder here ({Path(source).resolve()}), and with "
        "HF_HUB_OFFLINE=1 it can only be a Hugging Face Hub model already in "
        f"the local cache ({HF_HUB_CACHE}), which does not hold it. Give the "
        "path of a folder written by save_pretrained, or fill the cache on a "
        "machine with hub access and copy it here."
    )


def checkpoint_folder_problem(
    source: str, trust_remote_code: bool = False
) -> ModelSourceError | None:
    """What keeps ``source`` from being loaded as a local checkpoint folder, or
    None. Hub ids that are not local folders are left to the hub checks."""
    folder = Path(source).expanduser()
    if not folder.exists():
        if not looks_like_path(source):
            return None
        return ModelSourceError(
            f"{source}: no such folder ({folder.resolve()}). Give the path of a "
            "folder written by save_pretrained, or a Hugging Face Hub id "
            "(owner/name)."
        )
    if not folder.is_dir():
        return ModelSourceError(
            f"{source} is a file; give the folder written by save_pretrained "
            "that holds it."
        )
    names = sorted(p.name for p in folder.iterdir())
    if "config.json" not in names:
        return ModelSourceError(
            f"{source} holds no config.json, so save_pretrained did not write it "
            f"(it holds {names}). Point to the folder that has config.json, the "
            "weights and the tokenizer files."
        )
    problem = _weights_problem(folder, names) or _damaged_file_problem(folder, names)
    if problem:
        return problem
    if not any(name in names for name in TOKENIZER_FILES):
        return ModelSourceError(
            f"{source} holds no tokenizer (none of {', '.join(TOKENIZER_FILES)}). "
            "Save the tokenizer the model was trained with into the same folder "
            "(tokenizer.save_pretrained(folder)): token ids mean nothing to a "
            "model with another vocabulary."
        )
    if not trust_remote_code:
        return _remote_code_problem(folder)
    return None


# The file beside a saved model that holds QAModel.settings.
SETTINGS_FILE = "qa_settings.json"


@dataclass(frozen=True)
class QAModel:
    """Model and tokenizer travel together: token ids only mean something to the
    model whose embeddings were trained on that vocabulary."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    # How this model's logits become answers as it was evaluated (windows,
    # spans, SQuAD v2 mode and threshold), saved beside it as SETTINGS_FILE;
    # None for a model that was not fine-tuned here.
    settings: dict[str, Any] | None = None
    # What to do once this model is saved for good, e.g. remove the training
    # checkpoints it came from (called by the CheckpointCleanup hook).
    after_saved: Callable[[], None] | None = field(
        default=None, compare=False, repr=False
    )


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
    problem = checkpoint_folder_problem(source, trust_remote_code)
    if problem is not None:
        raise problem
    # Imported here: transformers' model code takes seconds to import, and the
    # CPU stages and every hook that imports this module never need it.
    from transformers import AutoModelForQuestionAnswering

    try:
        return AutoModelForQuestionAnswering.from_pretrained(
            source, trust_remote_code=trust_remote_code, use_safetensors=True, **kwargs
        )
    except OSError as error:
        if Path(source).is_dir() and not any(Path(source).glob("*.safetensors")):
            pickles = sorted(p.name for p in Path(source).glob("*.bin"))
            raise UnsafeWeightsError(unsafe_weights_message(source, pickles)) from error
        raise
