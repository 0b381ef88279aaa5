"""tokenize_train / tokenize_validation: examples -> window feature sets."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.features.nodes import tokenize_train, tokenize_validation


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                tokenize_train,
                inputs=dict(
                    train_examples="train_examples",
                    tokenizer="tokenizer",
                    tokenization="params:tokenization",
                ),
                outputs="train_features",
                name="tokenize_train",
                tags=["prepare"],
            ),
            node(
                tokenize_validation,
                inputs=dict(
                    validation_examples="validation_examples",
                    tokenizer="tokenizer",
                    tokenization="params:tokenization",
                ),
                outputs="validation_features",
                name="tokenize_validation",
                tags=["prepare"],
            ),
        ]
    )
