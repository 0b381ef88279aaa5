"""The parameters a node's stamp records, and how two sets of them differ."""

from __future__ import annotations

import json
from typing import Any

# Settings that change how fast a node works, where scratch files go or where
# training is logged, not what it makes: a change in them leaves its outputs
# fresh (and fine_tune's checkpoints resumable).
NOT_RESULT_SETTINGS = frozenset(
    {
        "tokenization.chunk_size",
        "training.keep_checkpoints",
        "training.dataloader_num_workers",
        "training.report_to",
    }
)

# Settings added after stamps were first written, each with the value under
# which the project works as it did before the setting existed. At that value
# a setting is left out of stamps and of fine-tuning's run name, so adding it
# made nothing stale; any other value counts. (Compiling the layers draws
# dropout's random numbers in inductor's own way: the model differs.)
COUNTS_UNLESS = {"training.compile_layers": False}


def setting_counts(name: str, value: Any) -> bool:
    """Whether the setting ``name`` (``group.key``) at ``value`` can change
    what a node makes."""
    if name in NOT_RESULT_SETTINGS:
        return False
    if name in COUNTS_UNLESS:
        unset = COUNTS_UNLESS[name]
        return not (type(value) is type(unset) and value == unset)
    return True


def _results_only(value: Any, prefix: str) -> Any:
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if setting_counts(name, item):
            kept[key] = _results_only(item, name)
    return kept


def result_settings(name: str, value: Any) -> Any:
    """The parameter input ``name`` (``params:<group>`` or ``parameters``)
    without the settings that do not count (``setting_counts``)."""
    return _results_only(value, "" if name == "parameters" else name[len("params:") :])


def canonical_numbers(value: Any) -> Any:
    """``value`` with whole floats as ints, so that a setting given as ``1``
    on the command line and ``1.0`` in a file (equal to the node) compare and
    digest alike; booleans stay booleans."""
    if isinstance(value, dict):
        return {key: canonical_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_numbers(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _same(before: Any, after: Any) -> bool:
    """Equal as settings: ``1`` is ``1.0``, but ``true`` is not ``1``."""
    return json.dumps(canonical_numbers(before), sort_keys=True, default=str) == (
        json.dumps(canonical_numbers(after), sort_keys=True, default=str)
    )


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def changed_settings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``setting: old -> new`` for each parameter that differs."""
    before = _flatten({k.removeprefix("params:"): v for k, v in old.items()}, "")
    after = _flatten({k.removeprefix("params:"): v for k, v in new.items()}, "")

    def value(settings: dict[str, Any], key: str) -> Any:
        return settings.get(key, COUNTS_UNLESS.get(key, "(unset)"))

    return [
        f"{key}: {value(before, key)!r} -> {value(after, key)!r}"
        for key in sorted(before.keys() | after.keys())
        if not _same(value(before, key), value(after, key))
    ]
