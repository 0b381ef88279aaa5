"""Every parameter group typed and checked before any node runs, and the
starting checkpoint checked when the run loads one.

A setting out of range used to surface late and far from its cause: a
``postprocessing.max_answer_length`` of 0 ran to the end with every answer
empty and overwrote the metrics, an ``n_best_size`` of 0 failed in numpy after
a whole training epoch. Here each group of conf/base/parameters_*.yml has a
model with its ranges and relations, unknown keys (a typo such as
``n_bset_size``) included, and ``ParameterCheck`` stops the run before its
first node with one line per problem.
"""

from __future__ import annotations

from typing import Any, Literal

from kedro.framework.hooks import hook_impl
from pydantic import Field, ValidationError, field_validator, model_validator

from extractive_qa.bench.parameters import Bench
from extractive_qa.parameter_groups import Group, ModelShape
from extractive_qa.qa.windows import WindowSettings
from extractive_qa.qa_model import checkpoint_folder_problem, offline_cache_problem
from extractive_qa.storage_root import storage_url_problem
from extractive_qa.training.compilation import COMPILE_LAYER_MODES


class SettingsError(ValueError):
    """Parameters that cannot give a sensible run; raised before any node.
    ``problems``: one line for each."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class DataLoading(Group):
    on_invalid: Literal["error", "skip"]
    on_leak: Literal["warn", "error", "drop_from_train"]


class Tokenization(Group):
    max_length: int = Field(ge=1)
    doc_stride: int = Field(ge=1)
    max_query_length: int = Field(ge=1)
    chunk_size: int = Field(ge=1)

    @model_validator(mode="after")
    def _window_has_room(self) -> Tokenization:
        # The rule lives with the windows; its message names the settings.
        WindowSettings(self.max_length, self.doc_stride, self.max_query_length)
        return self


class Demo(ModelShape):
    dropout: float = Field(ge=0.0, lt=1.0)
    seed: int

    @model_validator(mode="after")
    def _heads_divide_width(self) -> Demo:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        return self


class Model(Group):
    checkpoint: str | None
    trust_remote_code: bool
    demo: Demo


class Postprocessing(Group):
    n_best_size: int = Field(ge=1)
    max_answer_length: int = Field(ge=1)
    null_score_diff_threshold: float


class Training(Group):
    keep_checkpoints: bool
    learning_rate: float = Field(gt=0.0)
    num_train_epochs: float = Field(gt=0.0)
    batch_size: int = Field(ge=1)
    weight_decay: float = Field(ge=0.0)
    # Below 1, transformers reads warmup_steps as a fraction of the steps.
    warmup_ratio: float = Field(ge=0.0, lt=1.0)
    lr_scheduler_type: str
    # The range transformers' set_seed takes.
    seed: int = Field(ge=0, le=2**32 - 1)
    bf16_on_gpu: bool
    # The project's own, or one the Trainer knows.
    sampling_strategy: Literal[
        "length_buckets", "random", "sequential", "group_by_length", "batch_rebalance"
    ]
    length_bucket_batches: int = Field(ge=1)
    logging_steps: int = Field(ge=1)
    report_to: str | list[str]
    dataloader_num_workers: int = Field(ge=0)
    compile_layers: bool | str
    eval_strategy: Literal["epoch", "steps"]
    eval_steps: int | None = Field(ge=1)
    eval_metric: Literal["korquad", "squad"]
    eval_batch_size: int = Field(ge=1)
    eval_postprocessing: Postprocessing

    @field_validator("compile_layers", mode="before")
    @classmethod
    def _a_compile_mode(cls, value: Any) -> Any:
        if isinstance(value, bool) or value in COMPILE_LAYER_MODES:
            return value
        modes = ", ".join(COMPILE_LAYER_MODES)
        raise ValueError(f"{value!r}: use true, false or one of {modes}")

    @model_validator(mode="after")
    def _steps_need_a_count(self) -> Training:
        if self.eval_strategy == "steps" and self.eval_steps is None:
            raise ValueError("eval_strategy 'steps' needs eval_steps (>= 1)")
        return self


class Inference(Group):
    batch_size: int = Field(ge=1)
    device: str


class ErrorAnalysis(Group):
    n_worst: int = Field(ge=1)
    answer_length_edges: list[int] = Field(min_length=1)
    context_length_edges: list[int] = Field(min_length=1)
    window_count_edges: list[int] = Field(min_length=1)
    probability_edges: list[float] = Field(min_length=2)

    @model_validator(mode="after")
    def _edges_increase(self) -> ErrorAnalysis:
        for name in (
            "answer_length_edges",
            "context_length_edges",
            "window_count_edges",
            "probability_edges",
        ):
            edges = getattr(self, name)
            if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                raise ValueError(f"{name} must increase, got {edges}")
        if self.probability_edges[0] != 0.0 or self.probability_edges[-1] != 1.0:
            raise ValueError(
                f"probability_edges must run from 0.0 to 1.0, got "
                f"{self.probability_edges}"
            )
        return self


class Task(Group):
    version_2_with_negative: bool


class Hub(Group):
    push_to_hub: bool
    repo_id: str | None
    private: bool

    @model_validator(mode="after")
    def _pushing_needs_a_repository(self) -> Hub:
        if self.push_to_hub and "/" not in (self.repo_id or ""):
            raise ValueError(
                f"push_to_hub is true, so repo_id must name the repository as "
                f"'user/name' or 'organisation/name'; it is {self.repo_id!r}"
            )
        return self


class Parameters(Group):
    """All of the project's parameters. The groups are optional, so a project
    that leaves one out (or a test) is checked on what it has."""

    @model_validator(mode="after")
    def _windows_fit_the_built_model(self) -> Parameters:
        # Without a checkpoint the model is built here, with this many positions.
        if self.model is None or self.tokenization is None or self.model.checkpoint:
            return self
        positions = self.model.demo.max_position_embeddings
        if self.tokenization.max_length > positions:
            raise ValueError(
                f"tokenization.max_length ({self.tokenization.max_length}) is more "
                f"than the built model's model.demo.max_position_embeddings "
                f"({positions}); lower the one or raise the other"
            )
        return self

    data_loading: DataLoading | None = None
    tokenization: Tokenization | None = None
    model: Model | None = None
    training: Training | None = None
    inference: Inference | None = None
    postprocessing: Postprocessing | None = None
    task: Task | None = None
    error_analysis: ErrorAnalysis | None = None
    hub: Hub | None = None
    bench: Bench | None = None
    # Use stale inputs anyway (logged, recorded in the outputs' stamps).
    allow_stale: bool | None = None
    # Runtime parameters the catalog reads (--params=storage=..., ...).
    storage: str | None = None

    @field_validator("storage")
    @classmethod
    def _storage_is_a_folder_or_url(cls, storage: str | None) -> str | None:
        problem = storage_url_problem(storage) if storage else None
        if problem is not None:
            raise ValueError(f"{storage!r}: {problem}")
        return storage

    table_format: Literal["arrow", "parquet"] | None = None
    train_file: str | None = None
    validation_file: str | None = None


def _problem(error: dict[str, Any]) -> str:
    """One line for one pydantic error: the setting, its value, what is wrong."""
    where = ".".join(str(part) for part in error["loc"]) or "parameters"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown setting (a typo?); remove or rename it"
    if error["type"] == "value_error":
        # A relation between settings; the message names them.
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    line = f"{where} = {error['input']!r}: {error['msg']}"
    if isinstance(error["input"], str) and error["type"].endswith("_type"):
        line += " (text: unquote it in YAML; inf and nan are not allowed)"
    return line


def settings_error(
    problems: list[str], lead: str = "The run's parameters are not valid; no node ran"
) -> SettingsError:
    """One ``SettingsError`` listing ``problems``, one line each, after ``lead``."""
    listed = "\n".join(f"- {problem}" for problem in problems)
    return SettingsError(
        f"{lead}:\n{listed}\n"
        "Fix them in conf/<env>/parameters*.yml or in this command's --params.",
        problems,
    )


def parameter_problems(parameters: dict[str, Any]) -> list[str]:
    """One line for every parameter that is out of range, of the wrong type,
    unknown, or inconsistent with another; empty when all are valid."""
    try:
        Parameters.model_validate(parameters)
    except ValidationError as error:
        return [_problem(e) for e in error.errors()]
    return []


def check_parameters(parameters: dict[str, Any]) -> None:
    """Raise ``SettingsError`` listing every problem ``parameter_problems``
    finds."""
    problems = parameter_problems(parameters)
    if problems:
        raise settings_error(problems)


def _training_problems(training: dict[str, Any]) -> list[str]:
    # torch and transformers come in only for runs that train.
    from transformers.integrations.integration_utils import (
        INTEGRATION_TO_CALLBACK,
        get_available_reporting_integrations,
    )
    from transformers.trainer_utils import SchedulerType

    problems = []
    schedules = [schedule.value for schedule in SchedulerType]
    if training.get("lr_scheduler_type") not in schedules:
        problems.append(
            f"training.lr_scheduler_type = {training.get('lr_scheduler_type')!r}: "
            f"not a schedule transformers knows; use one of {schedules}"
        )
    reporters = training.get("report_to") or []
    known = sorted(INTEGRATION_TO_CALLBACK)
    available = get_available_reporting_integrations()
    for name in [reporters] if isinstance(reporters, str) else reporters:
        if name in ("none", "all"):
            continue
        if name not in known:
            problems.append(
                f"training.report_to = {name!r}: not a reporting integration "
                f"transformers knows; use 'none' or one of {known}"
            )
        elif name not in available:
            problems.append(
                f"training.report_to = {name!r}: its package is not installed; "
                "install it, or report to 'none'"
            )
    return problems


def check_runtime_settings(parameters: dict[str, Any], inputs: set[str]) -> None:
    """Raise ``SettingsError`` for settings only this machine can check, for
    the groups the pipeline reads: the learning-rate schedule and the
    reporting packages when it trains, the device when it predicts."""
    problems = []
    if "params:training" in inputs and parameters.get("training"):
        problems += _training_problems(parameters["training"])
    device = (parameters.get("inference") or {}).get("device")
    if "params:inference" in inputs and device is not None:
        from extractive_qa.qa.inference import pick_device

        try:
            pick_device(device)
        except ValueError as error:
            problems.append(f"inference.device = {device!r}: {error}")
    if problems:
        raise settings_error(problems)


def check_model_source(parameters: dict[str, Any]) -> None:
    """Raise ``ModelSourceError`` when ``model.checkpoint`` names a local folder
    that cannot be loaded (missing, or without config, weights or tokenizer)."""
    model = parameters.get("model") or {}
    checkpoint = model.get("checkpoint")
    if not checkpoint:
        return
    problem = checkpoint_folder_problem(
        str(checkpoint), bool(model.get("trust_remote_code"))
    ) or offline_cache_problem(str(checkpoint))
    if problem is not None:
        raise type(problem)(f"model.checkpoint: {problem} No node ran.")


# Read by the catalog from the command line (``${runtime_params:...}``) only:
# in a parameters file they would change nothing but the checks.
COMMAND_LINE_ONLY = ("storage", "table_format", "train_file", "validation_file")


def file_setting_problems(params: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """The settings of ``COMMAND_LINE_ONLY`` that ``params`` has from a
    parameters file, not from the command line (``given``)."""
    return [
        f"{key} = {params[key]!r} is set in a parameters file, but the catalog "
        f"reads it from the command line only; remove it there and pass "
        f"--params={key}={params[key]} instead"
        for key in COMMAND_LINE_ONLY
        if params.get(key) is not None and key not in given
    ]


class ParameterCheck:
    """Check every parameter before the first node runs, and the starting
    checkpoint when the run loads one."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """The storage root first: the catalog is built from it, and a URL
        it cannot use fails there with fsspec's bare "Protocol not known".
        Likewise a root given where the catalog does not read it."""
        given = getattr(context.config_loader, "runtime_params", None)
        problems = []
        if isinstance(given, dict):  # what --params gave, where Kedro says
            problems += file_setting_problems(context.params, given)
        problems += parameter_problems({"storage": context.params.get("storage")})
        if problems:
            raise settings_error(problems)

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        parameters = catalog.load("parameters")
        check_parameters(parameters)
        check_runtime_settings(parameters, set(pipeline.inputs()))
        if "params:model" in pipeline.inputs():
            check_model_source(parameters)
