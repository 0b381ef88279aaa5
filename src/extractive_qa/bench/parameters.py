"""The bench parameter group (conf/base/parameters_bench.yml), typed and
checked with the others by ``extractive_qa.parameter_checks``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from extractive_qa.parameter_groups import Group, ModelShape


class Bench(Group):
    n_train_examples: int | None = Field(ge=1)
    n_validation_examples: int | None = Field(ge=1)
    num_train_epochs: float | None = Field(gt=0.0)
    repeats: int = Field(ge=1)
    output_dir: str
    targets: BenchTargets
    scale_sizes: list[int] = Field(min_length=2)
    scale_seed: int
    scale_long_fraction: float = Field(ge=0.0, le=1.0)
    scale_tokenizer_questions: int = Field(ge=1)
    scale_targets: ScaleTargets
    base_size: BaseSize
    gpu: Gpu


class BaseSizeConfiguration(Group):
    attention: Literal["sdpa", "eager"]
    compile: bool
    threads: int = Field(ge=1)


class BaseSize(ModelShape):
    sequence_length: int = Field(ge=8)
    questions: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    warmup_steps: int = Field(ge=0)
    train_steps: int = Field(ge=1)
    predict_batches: int = Field(ge=1)
    configurations: list[BaseSizeConfiguration] = Field(min_length=1)


class GpuConfiguration(Group):
    mode: Literal["train", "predict"]
    precision: Literal["bf16", "fp16", "tf32", "fp32"]
    attention: Literal["sdpa", "flash", "eager"]
    compile: (
        bool
        | Literal[
            "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"
        ]
    )
    compile_scope: Literal["model", "layers"]
    batch_size: int = Field(ge=1)


class PublishedFigures(Group):
    train_sequences_per_second: float = Field(gt=0.0)
    predict_sequences_per_second: float = Field(gt=0.0)


class Gpu(Group):
    questions: int = Field(ge=1)
    warmup_steps: int = Field(ge=0)
    train_steps: int = Field(ge=1)
    predict_batches: int = Field(ge=1)
    matmul_size: int = Field(ge=0)
    matmul_repeats: int = Field(ge=1)
    dense_bf16_peak_tflops: dict[str, float]
    published: PublishedFigures
    project_predict_windows: list[int]
    project_predict_batch_size: int = Field(ge=1)
    profile_steps: int = Field(ge=0)
    profile_top: int = Field(ge=1)
    configurations: list[GpuConfiguration] = Field(min_length=1)


class BenchTargets(Group):
    feature_preparation: float = Field(gt=0.0)
    features_on_disk: float = Field(gt=0.0)
    training_throughput: float = Field(gt=0.0)
    prediction: float = Field(gt=0.0)
    postprocessing: float = Field(gt=0.0)
    end_to_end: float = Field(gt=0.0)
    final_f1: float = Field(gt=0.0)


class ScaleTargets(Group):
    max_time_exponent: float = Field(gt=0.0)
    postprocess_speedup: float = Field(gt=0.0)
    feature_speedup: float = Field(gt=0.0)
