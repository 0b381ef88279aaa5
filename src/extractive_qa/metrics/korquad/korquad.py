"""KorQuAD 1.0 exact match and character F1 as a local evaluate module.

evaluate copies this file into its module cache and parses its imports line by
line, so the scoring rules come from the installed package through one absolute
import of the module (names would be merged into a multi-line import by isort).
"""

import datasets
import evaluate

from extractive_qa.metrics import scoring

_DESCRIPTION = """\
Exact match and character-level F1 for Korean extractive question answering,
following the KorQuAD 1.0 evaluation script: quotes and brackets become spaces,
punctuation is removed and text lower-cased; F1 counts shared characters with
spaces ignored, so a particle attached to the answer ("방배동의" for "방배동")
still earns partial credit. Each question takes its best score over the gold
answers.
"""

_CITATION = """\
@article{lim2019korquad1,
    title = "KorQuAD1.0: Korean QA Dataset for Machine Reading Comprehension",
    author = "Lim, Seungyoung and Kim, Myungji and Lee, Jooyoul",
    journal = "arXiv preprint arXiv:1909.07005",
    year = "2019",
}
"""

_INPUTS_DESCRIPTION = """\
Args:
    predictions: list of {"id": str, "prediction_text": str}, one per question.
    references: list of {"id": str, "answers": {"text": list[str],
        "answer_start": list[int]}}; every id needs exactly one prediction.
Returns:
    exact_match: percentage of questions whose prediction equals a gold answer.
    f1: mean over questions of the best character F1 against a gold answer,
        percent.
"""


class Korquad(evaluate.Metric):
    """KorQuAD 1.0 EM/F1; the scoring rules live in extractive_qa.metrics.scoring."""

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
            reference_urls=["https://korquad.github.io/KorQuad%201.0/"],
        )

    def _compute(
        self, predictions: list[dict], references: list[dict]
    ) -> dict[str, float]:
        return dict(
            scoring.score_predictions(
                predictions, references, scoring.korquad_exact_match, scoring.korquad_f1
            )
        )
