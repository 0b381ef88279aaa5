"""score_questions -> break_down_errors, list_worst_questions,
reliability_table -> plots.

The training-curve plot is a separate pipeline (``training_report``): it needs
the ``training_curve`` entry that fine_tune writes.
"""

from kedro.pipeline import Pipeline, node

from extractive_qa.pipelines.error_analysis.nodes import (
    break_down_errors,
    list_worst_questions,
    plot_error_breakdown,
    plot_training_curve,
    reliability_table,
    score_questions,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                score_questions,
                inputs=dict(
                    validation_examples="validation_examples",
                    validation_features="validation_features",
                    validation_predictions="validation_predictions",
                ),
                outputs="question_scores",
                name="score_questions",
                tags=["report"],
            ),
            node(
                break_down_errors,
                inputs=dict(
                    question_scores="question_scores",
                    error_analysis="params:error_analysis",
                ),
                outputs="error_breakdown",
                name="break_down_errors",
                tags=["report"],
            ),
            node(
                list_worst_questions,
                inputs=dict(
                    question_scores="question_scores",
                    error_analysis="params:error_analysis",
                ),
                outputs="worst_questions",
                name="list_worst_questions",
                tags=["report"],
            ),
            node(
                reliability_table,
                inputs=dict(
                    question_scores="question_scores",
                    validation_probabilities="validation_probabilities",
                    error_analysis="params:error_analysis",
                ),
                outputs="reliability",
                name="reliability_table",
                tags=["report"],
            ),
            node(
                plot_error_breakdown,
                inputs=dict(error_breakdown="error_breakdown"),
                outputs="error_breakdown_plot",
                name="plot_error_breakdown",
                tags=["report"],
            ),
        ]
    )


def create_training_report_pipeline() -> Pipeline:
    """plot_training_curve: training_curve -> training_curve_plot."""
    return Pipeline(
        [
            node(
                plot_training_curve,
                inputs=dict(training_curve="training_curve"),
                outputs="training_curve_plot",
                name="plot_training_curve",
                tags=["report"],
            )
        ]
    )
