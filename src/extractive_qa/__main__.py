"""``python -m extractive_qa``: the Kedro project's commands, plus ``answer``.

``python -m extractive_qa answer --model DIR --question ... --context ...``
answers one question with a saved model directory (e.g.
``data/06_models/fine_tuned_model``), through the same windowing and span
decoding as evaluation. Every other command goes to Kedro (``run``, ...).
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# The window and span options, each a field of AnswerSettings' windows or spans.
SETTING_OPTIONS = {
    "max_length": "tokens per window",
    "doc_stride": "tokens of overlap between windows of one context",
    "max_query_length": "longest question, in tokens",
    "n_best_size": "start and end candidates per window",
    "max_answer_length": "longest answer, in tokens",
}
# Windows of the one question per forward pass: a context rarely needs more.
WINDOWS_PER_PASS = 16


def answer_parser() -> argparse.ArgumentParser:
    """Arguments of the ``answer`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa answer",
        description="Answer one question about a context with a saved QA model. "
        "Windows and spans are decoded with the settings saved with the model "
        "(qa_settings.json, written by fine_tune); an option below replaces one.",
    )
    parser.add_argument(
        "--model", required=True, help="a save_pretrained directory (model+tokenizer)"
    )
    parser.add_argument("--question", required=True)
    parser.add_argument("--context", required=True)
    for name, meaning in SETTING_OPTIONS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"{meaning} (default: the model's saved setting)",
        )
    parser.add_argument(
        "--device", default="auto", help="auto, cpu, cuda, mps (default: auto)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the answer as one JSON object"
    )
    return parser


def _usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201
    return 2


def answer_command(argv: list[str]) -> int:
    """Parse ``argv``, answer the question, print the answer; the exit status."""
    args = answer_parser().parse_args(argv)
    # One answer needs no progress bars.
    os.environ.setdefault("TQDM_DISABLE", "1")
    # Imported here: the answer command needs no Kedro project, and Kedro's own
    # commands do not pay for torch/transformers.
    import datasets
    from kedro.io.core import DatasetError
    from transformers.utils import logging as transformers_logging

    from extractive_qa.datasets import QAModelDataset
    from extractive_qa.qa.answering import (
        QUESTION_FEATURES,
        AnswerSettings,
        MissingSettingsError,
        answer_questions,
    )
    from extractive_qa.qa.inference import pick_device

    transformers_logging.disable_progress_bar()
    try:
        pick_device(args.device)
    except ValueError as error:
        return _usage_error(f"{error}\n(the device option is --device)")
    try:
        qa_model = QAModelDataset(filepath=args.model).load()
    except (DatasetError, ValueError) as error:
        return _usage_error(
            f"--model {args.model}: {error}\n--model takes a directory written by "
            "save_pretrained, e.g. data/06_models/fine_tuned_model after `make run`."
        )
    given = {name: getattr(args, name) for name in SETTING_OPTIONS}
    try:
        if qa_model.settings is None and None not in given.values():
            # A model trained elsewhere, every window and span setting given:
            # decoded as SQuAD v1 (the best span always answers).
            spans = {**given, "null_score_diff_threshold": 0.0}
            settings = AnswerSettings.from_params(given, spans, False)
        else:
            settings = AnswerSettings.of_model(qa_model, args.model, **given)
    except MissingSettingsError as error:
        options = ", ".join(f"--{n.replace('_', '-')}" for n in SETTING_OPTIONS)
        return _usage_error(
            f"{error}\nFor a model without saved settings give all of {options}."
        )
    except ValueError as error:
        return _usage_error(
            f"{error}\n(the window options are --max-length, --doc-stride and "
            "--max-query-length)"
        )
    question = datasets.Dataset.from_dict(
        {"id": ["1"], "question": [args.question], "context": [args.context]},
        features=QUESTION_FEATURES,
    )
    (answer,) = answer_questions(
        question,
        qa_model,
        settings,
        chunk_size=1,
        batch_size=WINDOWS_PER_PASS,
        device=args.device,
    )
    if args.json:
        record = {
            "answer": answer.answer,
            "score": answer.score,
            "answer_start": answer.answer_start,
            "answer_end": answer.answer_end,
        }
        print(json.dumps(record, ensure_ascii=False))  # noqa: T201
    elif answer.score is None:
        print("(no answer in the context)")  # noqa: T201
    else:
        print(answer.answer)  # noqa: T201
        print(  # noqa: T201
            f"score {answer.score:.2f}, characters "
            f"{answer.answer_start}-{answer.answer_end} of the context",
            file=sys.stderr,
        )
    return 0


def main(*args, **kwargs) -> Any:
    if not args and sys.argv[1:2] == ["answer"]:
        from extractive_qa.failures import report_failure

        try:
            status = answer_command(sys.argv[2:])
        except Exception as error:  # noqa: BLE001 - every failure ends the same way
            report_failure(error)
            status = 1
        sys.exit(status)
    from kedro.framework.cli.utils import find_run_command
    from kedro.framework.project import configure_project

    package_name = Path(__file__).parent.name
    configure_project(package_name)

    interactive = hasattr(sys, "ps1")
    kwargs["standalone_mode"] = not interactive

    run = find_run_command(package_name)
    return run(*args, **kwargs)


if __name__ == "__main__":
    main()
