"""How questions become windows and logits become answers, saved with a model.

``AnswerSettings`` are the window and span settings of evaluation. ``fine_tune``
saves them beside every model it trains (``qa_settings.json``), so that whoever
answers with the model later cuts and decodes questions the same way; a file
edited by hand is checked field by field when it is read back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from extractive_qa.qa.spans import SpanSettings, span_settings
from extractive_qa.qa.windows import WindowSettings, window_settings
from extractive_qa.qa_model import SETTINGS_FILE, QAModel

logger = logging.getLogger(__name__)


class MissingSettingsError(ValueError):
    """A model folder holds no answer settings, or only part of them."""


class DamagedSettingsError(ValueError):
    """A model folder's answer settings hold a field of the wrong type."""


@dataclass(frozen=True)
class AnswerSettings:
    """How questions become windows and logits become answers."""

    windows: WindowSettings
    spans: SpanSettings
    version_2_with_negative: bool
    null_score_diff_threshold: float

    @classmethod
    def from_params(
        cls,
        tokenization: dict[str, Any],
        postprocessing: dict[str, Any],
        version_2_with_negative: bool,
    ) -> AnswerSettings:
        """From the ``tokenization`` and a post-processing parameter group."""
        return cls(
            windows=window_settings(tokenization),
            spans=span_settings(postprocessing),
            version_2_with_negative=version_2_with_negative,
            null_score_diff_threshold=postprocessing["null_score_diff_threshold"],
        )

    def saved(self) -> dict[str, Any]:
        """The settings as ``QAModel.settings`` (JSON)."""
        return {
            "tokenization": asdict(self.windows),
            "postprocessing": {
                **asdict(self.spans),
                "null_score_diff_threshold": self.null_score_diff_threshold,
            },
            "version_2_with_negative": self.version_2_with_negative,
        }

    @classmethod
    def of_model(
        cls, qa_model: QAModel, source: str, **changes: int | None
    ) -> AnswerSettings:
        """The settings saved with ``qa_model`` (read from ``source``), with the
        window and span fields named in ``changes`` replaced (None keeps the
        saved value)."""
        saved = qa_model.settings
        if saved is None:
            raise MissingSettingsError(
                f"{source} holds no {SETTINGS_FILE}, so the settings it was "
                "evaluated with are unknown; fine_tune writes that file beside "
                "every model it trains."
            )
        given = {name: value for name, value in changes.items() if value is not None}
        windows = {f.name for f in fields(WindowSettings)}
        spans = {f.name for f in fields(SpanSettings)}
        unknown = set(given) - windows - spans
        if unknown:
            raise ValueError(f"not a window or span setting: {sorted(unknown)}")
        _check_saved(saved, f"{source}/{SETTINGS_FILE}", set(given))
        return cls.from_params(
            saved["tokenization"] | {k: v for k, v in given.items() if k in windows},
            saved["postprocessing"] | {k: v for k, v in given.items() if k in spans},
            saved["version_2_with_negative"],
        )


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_flag(value: Any) -> bool:
    return isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


WHOLE = (_is_whole, "a whole number")
# What AnswerSettings.saved() writes: a dotted name -> (check, what it must be);
# a group comes before its fields.
SAVED_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "tokenization": (_is_object, "an object"),
    "tokenization.max_length": WHOLE,
    "tokenization.doc_stride": WHOLE,
    "tokenization.max_query_length": WHOLE,
    "postprocessing": (_is_object, "an object"),
    "postprocessing.n_best_size": WHOLE,
    "postprocessing.max_answer_length": WHOLE,
    "postprocessing.null_score_diff_threshold": (_is_number, "a number"),
    "version_2_with_negative": (_is_flag, "true or false"),
}


def _check_saved(saved: Any, path: str, given: set[str]) -> None:
    """Raise MissingSettingsError naming the first field of ``saved`` that is
    missing, or DamagedSettingsError the first of the wrong type, so that a
    hand-edited file is named rather than failing later in a comparison. The
    window and span fields in ``given`` replace the saved ones, so they are
    not checked."""
    layout = (
        "it needs 'tokenization' (max_length, doc_stride, max_query_length), "
        "'postprocessing' (n_best_size, max_answer_length, "
        "null_score_diff_threshold) and 'version_2_with_negative'"
    )
    if not _is_object(saved):
        raise DamagedSettingsError(
            f"{path} holds {type(saved).__name__}, not an object; {layout}."
        )
    for name, (check, kind) in SAVED_FIELDS.items():
        *groups, field = name.split(".")
        if groups and field in given:
            continue
        values = saved[groups[0]] if groups else saved
        if field not in values:
            raise MissingSettingsError(f"{path} lacks '{name}'; {layout}.")
        if not check(values[field]):
            raise DamagedSettingsError(
                f"{path}: '{name}' is {values[field]!r} "
                f"({type(values[field]).__name__}), not {kind}; correct the "
                "file, or fine-tune again to rewrite it."
            )


def model_answer_settings(
    qa_model: QAModel,
    source: str,
    tokenization: dict[str, Any],
    postprocessing: dict[str, Any],
    version_2_with_negative: bool,
) -> AnswerSettings:
    """The settings saved with ``qa_model``, but for the null threshold, which
    is a decision tuned after training: ``postprocessing``'s, as ``postprocess``
    uses it. The given parameters entirely when the model was saved without
    settings (a model fine-tuned elsewhere), with a warning."""
    if qa_model.settings is None:
        logger.warning(
            "%s holds no %s; answering with this run's tokenization and "
            "postprocessing parameters and version_2_with_negative=%s, which may "
            "not be those the model was evaluated with.",
            source,
            SETTINGS_FILE,
            version_2_with_negative,
        )
        return AnswerSettings.from_params(
            tokenization, postprocessing, version_2_with_negative
        )
    settings = replace(
        AnswerSettings.of_model(qa_model, source),
        null_score_diff_threshold=postprocessing["null_score_diff_threshold"],
    )
    given = AnswerSettings.from_params(
        tokenization, postprocessing, version_2_with_negative
    )
    if given != settings:
        logger.info(
            "answering with the settings saved in %s/%s (%s), not this run's "
            "parameters (%s)",
            source,
            SETTINGS_FILE,
            settings.saved(),
            given.saved(),
        )
    return settings
