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


def answer_parser() -> argparse.ArgumentParser:
    """Arguments of the ``answer`` command; defaults as in conf/base."""
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa answer",
        description="Answer one question about a context with a saved QA model.",
    )
    parser.add_argument(
        "--model", required=True, help="a save_pretrained directory (model+tokenizer)"
    )
    parser.add_argument("--question", required=True)
    parser.add_argument("--context", required=True)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--max-query-length", type=int, default=64)
    parser.add_argument("--n-best-size", type=int, default=20)
    parser.add_argument("--max-answer-length", type=int, default=30)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    parser.add_argument(
        "--json", action="store_true", help="print the answer as one JSON object"
    )
    return parser


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
    from extractive_qa.qa.answering import QUESTION_FEATURES, answer_questions
    from extractive_qa.qa.inference import pick_device
    from extractive_qa.qa.spans import SpanSettings
    from extractive_qa.qa.windows import WindowSettings

    transformers_logging.disable_progress_bar()
    try:
        windows = WindowSettings(
            max_length=args.max_length,
            doc_stride=args.doc_stride,
            max_query_length=args.max_query_length,
        )
        pick_device(args.device)
    except ValueError as error:
        print(  # noqa: T201
            f"error: {error}\n(the window options are --max-length, --doc-stride "
            "and --max-query-length; the device option is --device)",
            file=sys.stderr,
        )
        return 2
    try:
        qa_model = QAModelDataset(filepath=args.model).load()
    except (DatasetError, ValueError) as error:
        print(  # noqa: T201
            f"error: --model {args.model}: {error}\n--model takes a directory "
            "written by save_pretrained, e.g. data/06_models/fine_tuned_model "
            "after `make run`.",
            file=sys.stderr,
        )
        return 2
    question = datasets.Dataset.from_dict(
        {"id": ["1"], "question": [args.question], "context": [args.context]},
        features=QUESTION_FEATURES,
    )
    (answer,) = answer_questions(
        question,
        qa_model,
        windows,
        SpanSettings(args.n_best_size, args.max_answer_length),
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
        print("(no answer: no valid span in the context)")  # noqa: T201
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
