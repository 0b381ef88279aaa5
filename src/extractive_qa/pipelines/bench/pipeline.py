"""bench: the reference recipe against this project's stages, side by side.

Not part of ``__default__``; run it with ``kedro run --pipelines=bench`` (or
``make bench``) after ``make run`` has written the examples and base model.
"""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.bench.nodes import (
    benchmark_features,
    benchmark_inference,
    benchmark_training,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                benchmark_features,
                inputs=dict(
                    train_examples="train_examples",
                    validation_examples="validation_examples",
                    tokenizer="tokenizer",
                    tokenization="params:tokenization",
                    bench="params:bench",
                ),
                outputs="bench_features",
                name="benchmark_features",
                tags=["bench"],
            ),
            node(
                benchmark_training,
                inputs=dict(
                    features="bench_features",
                    base_model="base_model",
                    training="params:training",
                    bench="params:bench",
                ),
                outputs="bench_training",
                name="benchmark_training",
                tags=["bench"],
            ),
            node(
                benchmark_inference,
                inputs=dict(
                    features="bench_features",
                    training="bench_training",
                    inference="params:inference",
                    postprocessing="params:postprocessing",
                    bench="params:bench",
                ),
                outputs=dict(benchmark="benchmark", benchmark_table="benchmark_table"),
                name="benchmark_inference",
                tags=["bench"],
            ),
        ]
    )
