"""``python -m extractive_qa``: the Kedro project's commands, plus ``answer``.

``python -m extractive_qa answer --model DIR --question ... --context ...``
answers one question with a saved model directory (e.g.
``data/06_models/fine_tuned_model``), through the same windowing and span
decoding as evaluation. Without ``answer`` it runs the pipeline as ``kedro run``
does, with the same options.
"""

import argparse
import json
import math
import os
import sys
from dataclasses import asdict, replace
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
# Windows per forward pass of the command; --batch-size replaces it.
WINDOWS_PER_PASS = 16
# Questions tokenized at once from a --questions file.
QUESTIONS_PER_CHUNK = 256


def _at_least_one(text: str) -> int:
    """The type of the numeric options: a whole number of at least 1, as the
    pipeline's parameter checks want of the same settings."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _finite(text: str) -> float:
    """The type of --null-score-diff-threshold: any finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def answer_parser() -> argparse.ArgumentParser:
    """Arguments of the ``answer`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m extractive_qa answer",
        description="Answer questions about contexts with a saved QA model: one "
        "with --question and --context, or many as JSON Lines with --questions. "
        "Windows and spans are decoded with the settings saved with the model "
        "(qa_settings.json, written by fine_tune); an option below replaces one. "
        "Each answer has its raw score (start + end logit) and a probability: the "
        "softmax over its n-best spans and the no-answer score, taken at the answer.",
    )
    parser.add_argument(
        "--model", required=True, help="a save_pretrained directory (model+tokenizer)"
    )
    parser.add_argument("--question", help="one question (with --context)")
    parser.add_argument("--context", help="the text --question is about")
    parser.add_argument(
        "--questions",
        metavar="FILE",
        help="JSON Lines of question, context and an optional id, or - for stdin; "
        "the answers are printed as JSON Lines in the same order",
    )
    parser.add_argument(
        "--batch-size",
        type=_at_least_one,
        default=WINDOWS_PER_PASS,
        help=f"windows per forward pass (default: {WINDOWS_PER_PASS})",
    )
    for name, meaning in SETTING_OPTIONS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=_at_least_one,
            default=None,
            help=f"{meaning} (default: the model's saved setting)",
        )
    parser.add_argument(
        "--null-score-diff-threshold",
        type=_finite,
        default=None,
        help="in SQuAD v2 mode, answer nothing when the null score beats the best "
        "span by more than this (default: the model's saved setting)",
    )
    parser.add_argument(
        "--device", default="auto", help="auto, cpu, cuda, mps (default: auto)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the answer as one JSON object"
    )
    return parser


def _read_questions(source: str) -> list[dict]:
    """The questions of ``source`` (a JSON Lines file, or - for stdin)."""
    from extractive_qa.datasets.question_lines import parse_question_lines

    if source == "-":
        return parse_question_lines(sys.stdin.buffer.read(), "stdin")
    return parse_question_lines(Path(source).read_bytes(), source)


def _usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201
    return 2


def answer_command(argv: list[str]) -> int:
    """Parse ``argv``, answer the questions, print the answers; the exit status."""
    parser = answer_parser()
    args = parser.parse_args(argv)
    if (args.questions is None) == (args.question is None and args.context is None):
        parser.error("give --question and --context, or --questions FILE (not both)")
    if args.questions is None and (args.question is None or args.context is None):
        parser.error("--question and --context go together")
    # A command's answers need no progress bars.
    os.environ.setdefault("TQDM_DISABLE", "1")
    # Imported here: the answer command needs no Kedro project, and Kedro's own
    # commands do not pay for torch/transformers.
    import pandas as pd
    from kedro.io.core import DatasetError
    from transformers.utils import logging as transformers_logging

    from extractive_qa.datasets import QAModelDataset
    from extractive_qa.qa.answer_settings import (
        AnswerSettings,
        DamagedSettingsError,
        MissingSettingsError,
    )
    from extractive_qa.qa.answering import answer_questions, to_question_dataset
    from extractive_qa.qa.inference import pick_device
    from extractive_qa.storage_root import (
        StorageRootError,
        access_denied,
        check_bucket,
        refused_by_store,
    )

    transformers_logging.disable_progress_bar()
    try:
        pick_device(args.device)
    except ValueError as error:
        return _usage_error(f"{error}\n(the device option is --device)")
    # The questions are read first: a bad file is named before the model loads.
    try:
        rows = (
            _read_questions(args.questions)
            if args.questions is not None
            else [{"id": "1", "question": args.question, "context": args.context}]
        )
        source = "stdin" if args.questions == "-" else args.questions
        questions = to_question_dataset(
            pd.DataFrame(rows), source=source or "--question/--context"
        )
    except OSError as error:
        reason = error.strerror or str(error)
        return _usage_error(f"--questions {args.questions}: {reason}")
    except (ValueError, DatasetError) as error:
        return _usage_error(str(error))
    try:
        model_dataset = QAModelDataset(filepath=args.model)
        check_bucket(model_dataset._fs, model_dataset._path, option="--model")
        if not model_dataset.exists():
            return _usage_error(
                f"--model {args.model}: no saved model there "
                f"({model_dataset.MARKER} is missing). --model takes a directory "
                "written by save_pretrained, e.g. data/06_models/fine_tuned_model "
                "after `make run`."
            )
        qa_model = model_dataset.load()
    except StorageRootError as error:
        return _usage_error(str(error))
    except (DatasetError, ValueError) as error:
        # Kedro's "Failed while loading data from dataset ..." wraps the cause.
        if isinstance(error, DatasetError) and error.__cause__ is not None:
            error = error.__cause__
        # Only loading raises it, so model_dataset is there.
        if isinstance(error, PermissionError):
            fs, path = model_dataset._fs, model_dataset._path
            if refused_by_store(fs, error):
                denied = access_denied(fs, path, error, option="--model")
                return _usage_error(str(denied))
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
    except DamagedSettingsError as error:
        return _usage_error(str(error))
    except ValueError as error:
        return _usage_error(
            f"{error}\n(the window options are --max-length, --doc-stride and "
            "--max-query-length)"
        )
    if args.null_score_diff_threshold is not None:
        settings = replace(
            settings, null_score_diff_threshold=args.null_score_diff_threshold
        )
    try:
        answers = answer_questions(
            questions,
            qa_model,
            settings,
            chunk_size=QUESTIONS_PER_CHUNK,
            batch_size=args.batch_size,
            device=args.device,
        )
    except ValueError as error:
        # The settings against this model and tokenizer: the window width, the
        # room for a question.
        return _usage_error(str(error))
    if args.questions is not None:
        for answer in answers:
            print(json.dumps(asdict(answer), ensure_ascii=False))  # noqa: T201
        return 0
    (answer,) = answers
    if args.json:
        record = {
            "answer": answer.answer,
            "score": answer.score,
            "probability": answer.probability,
            "answer_start": answer.answer_start,
            "answer_end": answer.answer_end,
        }
        print(json.dumps(record, ensure_ascii=False))  # noqa: T201
    elif answer.score is None:
        print("(no answer in the context)")  # noqa: T201
        if answer.probability is not None:
            print(  # noqa: T201
                f"probability {answer.probability:.2f}", file=sys.stderr
            )
    else:
        print(answer.answer)  # noqa: T201
        print(  # noqa: T201
            f"probability {answer.probability:.2f}, score {answer.score:.2f}, "
            f"characters "
            f"{answer.answer_start}-{answer.answer_end} of the context",
            file=sys.stderr,
        )
    return 0


def main(*args, **kwargs) -> Any:
    if not args and sys.argv[1:2] in (["--help"], ["-h"], []):
        print(  # noqa: T201
            "python -m extractive_qa answer --help: answer questions with a saved "
            "model (no Kedro project needed).\npython -m extractive_qa [OPTIONS]: "
            "the pipeline, as `kedro run [OPTIONS]` runs it (in the project "
            "folder; `kedro status` and the other commands are Kedro's):\n"
        )
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
