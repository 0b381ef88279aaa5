"""SQuAD v1 exact match and token F1 as a local evaluate module.

evaluate copies this file into its module cache and parses its imports line by
line, so the scoring rules come from the installed package through one absolute
import of the module (names would be merged into a multi-line import by isort).
"""

import datasets
import evaluate

from extractive_qa.metrics import scoring

_DESCRIPTION = """\
Exact match and token-level F1 for extractive question answering, following
the SQuAD v1.1 evaluation script: answers are lower-cased and stripped of
punctuation, English articles and extra whitespace before comparison, and each
question takes its best score over the gold answers.
"""

_CITATION = """\
@inproceedings{rajpurkar-etal-2016-squad,
    title = "{SQ}u{AD}: 100,000+ Questions for Machine Comprehension of Text",
    author = "Rajpurkar, Pranav and Zhang, Jian and Lopyrev, Konstantin and
      Liang, Percy",
    booktitle = "Proceedings of the 2016 Conference on Empirical Methods in
      Natural Language Processing",
    year = "2016",
    pages = "2383--2392",
}
"""

_INPUTS_DESCRIPTION = """\
Args:
    predictions: list of {"id": str, "prediction_text": str}, one per question.
    references: list of {"id": str, "answers": {"text": list[str],
        "answer_start": list[int]}}; every id needs exactly one prediction.
Returns:
    exact_match: percentage of questions whose prediction equals a gold answer.
    f1: mean over questions of the best token F1 against a gold answer, percent.
"""


class Squad(evaluate.Metric):
    """SQuAD v1 EM/F1; the scoring rules live in extractive_qa.metrics.scoring."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_INPUTS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": {
                        "id": datasets.Value("string"),
                        "prediction_text": datasets.Value("string"),
                    },
                    "references": {
                        "id": datasets.Value("string"),
                        "answers": {
                            "text": datasets.Sequence(datasets.Value("string")),
                            "answer_start": datasets.Sequence(datasets.Value("int32")),
                        },
                    },
                }
            ),
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
        )

    def _compute(
        self, predictions: list[dict], references: list[dict]
    ) -> dict[str, float]:
        return dict(
            scoring.score_predictions(
                predictions, references, scoring.squad_exact_match, scoring.squad_f1
            )
        )
