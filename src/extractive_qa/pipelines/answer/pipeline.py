"""answer: questions + fine_tuned_model -> answers.

Not part of ``__default__``: it runs on a trained model, with
``kedro run --pipelines=answer``.
"""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.answer.nodes import answer


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                answer,
                inputs=dict(
                    questions="questions",
                    fine_tuned_model="fine_tuned_model",
                    tokenization="params:tokenization",
                    inference="params:inference",
                    postprocessing="params:postprocessing",
                    version_2_with_negative="params:task.version_2_with_negative",
                ),
                outputs="answers",
                name="answer",
                tags=["gpu"],
            )
        ]
    )
