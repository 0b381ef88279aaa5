"""SQuAD v2 exact/F1 with unanswerable questions as a local evaluate module.

evaluate copies this file into its module cache and parses its imports line by
line, so the scoring rules come from the installed package through one absolute
import per line (names would be merged into a multi-line import by isort).
Load it with ``config_name="korquad"`` to score answers with the character-level
KorQuAD rules instead of SQuAD's token-level ones.
"""

import datasets
import evaluate

from extractive_qa.metrics import scoring, scoring_v2

_DESCRIPTION = """\
Exact match and F1 for extractive question answering where some questions have
no answer in their context, following the SQuAD v2.0 evaluation script: an
unanswerable question is right only when the prediction is empty; figures are
also split into answerable (HasAns) and unanswerable (NoAns) questions, and
best_exact/best_f1 give the score at the best no-answer threshold.
"""

_CITATION = """\
@inproceedings{rajpurkar-etal-2018-know,
    title = "Know What You Don{'}t Know: Unanswerable Questions for {SQ}u{AD}",
    author = "Rajpurkar, Pranav and Jia, Robin and Liang, Percy",
    booktitle = "Proceedings of the 56th Annual Meeting of the Association for
      Computational Linguistics (Volume 2: Short Papers)",
    year = "2018",
    pages = "784--789",
}
"""

_INPUTS_DESCRIPTION = """\
Args:
    predictions: list of {"id": str, "prediction_text": str,
        "no_answer_probability": float}, one per question; the empty text means
        "no answer"; no_answer_probability is any score where higher means more
        likely unanswerable (the null odds work).
    references: list of {"id": str, "answers": {"text": list[str],
        "answer_start": list[int]}}; empty lists for an unanswerable question.
Returns:
    exact, f1, total; HasAns_exact, HasAns_f1, HasAns_total; NoAns_exact,
    NoAns_f1, NoAns_total; best_exact, best_exact_thresh, best_f1,
    best_f1_thresh. Scores in percent, totals as counts.
"""

_RULES = {
    "squad": (
        scoring.normalize_squad_answer,
        scoring.squad_exact_match,
        scoring.squad_f1,
    ),
    "korquad": (
        scoring.normalize_korquad_answer,
        scoring.korquad_exact_match,
        scoring.korquad_f1,
    ),
}


class SquadV2(evaluate.Metric):
    """SQuAD v2 figures; the rules live in extractive_qa.metrics.scoring_v2."""

    def _info(self) -> evaluate.MetricInfo:
        if self.config_name not in ("default", *_RULES):
            raise ValueError(
                f"squad_v2 config {self.config_name!r} is unknown; use "
                f"one of {sorted(_RULES)} (default: squad)."
            )
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_INPUTS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": {
                        "id": datasets.Value("string"),
                        "prediction_text": datasets.Value("string"),
                        "no_answer_probability": datasets.Value("float64"),
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
        normalize, exact_fn, f1_fn = _RULES.get(self.config_name, _RULES["squad"])
        return scoring_v2.score_with_no_answer(
            predictions, references, normalize, exact_fn, f1_fn
        )
