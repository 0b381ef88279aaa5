"""``make bench-gpu``'s report: the JSON as measured and a Markdown reading.

The Markdown has one row per configuration, the published figures the best
rows are read against, the project's predict at each window count, and, where
the run profiled its configurations, where each one's step time went.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def save(report: dict[str, Any], output: Path | None) -> None:
    """Write ``output``.json and ``output``.md (nothing without ``output``)."""
    if output is None:
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(report, indent=2))
    output.with_suffix(".md").write_text(markdown(report))


def markdown(report: dict[str, Any]) -> str:
    """One row per configuration, then the published figures, the project's
    predict and the profiles."""
    lines = _configuration_table(report)
    lines += _against_published(report)
    lines += _project_predict(report)
    for result in report["results"]:
        if result.get("profile"):
            lines += _profile(result)
        elif result.get("profile_error"):
            lines += [
                "",
                f"Profiling {_title(result['configuration'])} failed: "
                f"{result['profile_error']}",
            ]
    return "\n".join(lines) + "\n"


def _scope(configuration: dict[str, Any]) -> str:
    # Reports written before layers could be compiled alone compiled the model.
    return configuration.get("compile_scope", "model")


def _head(configuration: dict[str, Any]) -> str:
    compiled = configuration["compile"]
    if compiled is not False:
        compiled = f"{compiled} ({_scope(configuration)})"
    return (
        f"| {configuration['mode']} | {configuration['precision']} | "
        f"{configuration['attention']} | {compiled} | "
        f"{configuration['batch_size']} |"
    )


def _title(configuration: dict[str, Any]) -> str:
    compiled = configuration["compile"]
    mode = "default mode" if compiled is True else compiled
    how = (
        "not compiled"
        if compiled is False
        else f"compiled ({mode}, {_scope(configuration)})"
    )
    return (
        f"{configuration['mode']}, {configuration['precision']}, "
        f"{configuration['attention']} attention, {how}, batch "
        f"{configuration['batch_size']}"
    )


def _configuration_table(report: dict[str, Any]) -> list[str]:
    shape, machine = report["shape"], report["machine"]
    parameters = next(
        (r["parameters"] for r in report["results"] if "parameters" in r), None
    )
    lines = [
        f"{machine['gpu'] or machine['cpu']}; ELECTRA, hidden "
        f"{shape['hidden_size']}, {shape['num_hidden_layers']} layers, vocabulary "
        f"{shape['vocab_size']:,} ({parameters or 0:,} parameters), "
        f"{shape['sequence_length']}-token windows, every token a real one. "
        f"Dense bf16 peak by datasheet: {report['datasheet_dense_bf16_tflops']} "
        f"TFLOP/s; measured bf16 matrix products: "
        f"{report['measured_matmul_bf16_tflops']} TFLOP/s.",
        "",
        "| mode | precision | attention | compile | batch | sequences/s | "
        "model TFLOP/s (6N) | of datasheet peak | of measured matmul | "
        "matrix work of datasheet peak | warm-up s | peak GPU MiB | "
        "graphs / compiled while timed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in report["results"]:
        head = _head(result["configuration"])
        if "error" in result:
            error = result["error"][:120].replace("|", "/")
            lines.append(f"{head} failed: {error} |" + " |" * 7)
            continue
        compiled = result.get("compile")
        counts = (
            f"{compiled['graphs']} / {compiled['frames_compiled_while_timed']}"
            if compiled
            else ""
        )
        lines.append(
            f"{head} {result['sequences_per_second']} | "
            f"{result['model_tflop_per_second']} | "
            f"{percent(result['utilisation_of_datasheet_peak'])} | "
            f"{percent(result['utilisation_of_measured_matmul'])} | "
            f"{percent(result.get('matrix_utilisation_of_datasheet_peak'))} | "
            f"{result['warmup_seconds']} | {result['peak_gpu_mib']} | {counts} |"
        )
    return lines


def _against_published(report: dict[str, Any]) -> list[str]:
    published = report["published"]
    lines = [
        "",
        f"Published ELECTRA-base SQuAD figures at sequence length 384: training "
        f"{published['train_sequences_per_second']} sequences/s, inference "
        f"{published['predict_sequences_per_second']} sequences/s.",
    ]
    for mode, key in (
        ("train", "train_sequences_per_second"),
        ("predict", "predict_sequences_per_second"),
    ):
        best = max(
            (
                r["sequences_per_second"]
                for r in report["results"]
                if r["configuration"]["mode"] == mode and "error" not in r
            ),
            default=None,
        )
        if best is not None:
            lines.append(
                f"Best {mode}: {best} sequences/s, "
                f"{best / published[key]:.2f}x the published figure."
            )
    return lines


def _project_predict(report: dict[str, Any]) -> list[str]:
    lines = []
    if report.get("project_predict"):
        lines += [
            "",
            "The project's predict_window_logits on the windows repeated:",
            "",
            "| windows | seconds | windows/s | peak GPU MiB | resident growth MiB |",
            "|---|---|---|---|---|",
        ]
        for row in report["project_predict"]:
            lines.append(
                f"| {row['windows']:,} | {row['seconds']} | "
                f"{row['windows_per_second']} | {row['peak_gpu_mib']} | "
                f"{row['resident_growth_mib']} |"
            )
    if report.get("project_predict_error"):
        lines += [
            "",
            f"The project's predict failed: {report['project_predict_error']}",
        ]
    return lines


def _profile(result: dict[str, Any]) -> list[str]:
    profile = result["profile"]
    busy = profile["busy_share_of_step"]
    lines = [
        "",
        f"Profile of {_title(result['configuration'])}: "
        f"{profile['steps']} steps, {profile['counted']} counted; a step takes "
        f"{profile['step_ms']} ms unprofiled; {profile['busy_ms']} ms of work "
        f"counted" + ("." if busy is None else f", {percent(busy)} of the step."),
        "",
        "| work | ms per step | of busy time |",
        "|---|---|---|",
    ]
    for row in profile["categories"]:
        lines.append(
            f"| {row['category']} | {row['ms_per_step']} | "
            f"{percent(row['share_of_busy'])} |"
        )
    lines += ["", "| kernel or operator | work | ms per step | calls per step |"]
    lines.append("|---|---|---|---|")
    for row in profile["top"]:
        name = row["name"][:90].replace("|", "/")
        lines.append(
            f"| `{name}` | {row['category']} | {row['ms_per_step']} | "
            f"{row['calls_per_step']} |"
        )
    return lines


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"
