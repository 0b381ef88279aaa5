"""prepare_model and fine_tune: train_examples -> base_model -> fine_tuned_model."""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.training.nodes import fine_tune, prepare_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                prepare_model,
                inputs=dict(train_examples="train_examples", model="params:model"),
                outputs=dict(tokenizer="tokenizer", base_model="base_model"),
                name="prepare_model",
                tags=["prepare"],
            ),
            node(
                fine_tune,
                inputs=dict(
                    train_features="train_features",
                    validation_examples="validation_examples",
                    validation_features="validation_features",
                    base_model="base_model",
                    checkpoint_folder="fine_tune_checkpoints",
                    training="params:training",
                    tokenization="params:tokenization",
                    version_2_with_negative="params:task.version_2_with_negative",
                ),
                outputs=dict(
                    fine_tuned_model="fine_tuned_model",
                    training_curve="training_curve",
                ),
                name="fine_tune",
                tags=["train", "gpu"],
            ),
        ]
    )
