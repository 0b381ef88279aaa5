"""The error-analysis nodes are the library's functions as they are: each takes
its inputs and parameter groups and returns what the catalog saves."""

from extractive_qa.reporting.calibration import reliability_table
from extractive_qa.reporting.error_analysis import (
    break_down_errors,
    list_worst_questions,
    plot_error_breakdown,
    plot_training_curve,
    score_questions,
)

__all__ = [
    "break_down_errors",
    "list_worst_questions",
    "plot_error_breakdown",
    "plot_training_curve",
    "reliability_table",
    "score_questions",
]
