"""The score node is ``extractive_qa.metrics.report.score_answers`` as it is:
gold answers + predicted answers (+ null odds, SQuAD v2 mode) -> EM/F1."""

from extractive_qa.metrics.report import score_answers as score

__all__ = ["score"]
