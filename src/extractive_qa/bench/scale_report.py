"""``make bench-scale``'s report: the growth exponent of each stage's time and
memory, the targets, the Markdown table and the log-log plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

# The stages in the order they run; True where the reference recipe has one.
STAGES = {
    "load": True,
    "tokenize_train": True,
    "tokenize_validation": True,
    "predict": False,
    "postprocess": True,
    "rank_answers": False,
    "score": False,
    "error_analysis": False,
}
# The stages that prepare features, compared together against the reference.
FEATURE_STAGES = ("tokenize_train", "tokenize_validation")


def growth_exponent(sizes: list[int], values: list[float]) -> float | None:
    """k of ``value = c * n^k`` by least squares on logs; None with fewer than
    two positive values."""
    pairs = [(n, v) for n, v in zip(sizes, values, strict=True) if v and v > 0]
    if len(pairs) < 2:
        return None
    n, v = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    return round(float(np.polyfit(n, v, 1)[0]), 3)


def summarise(results: list[dict[str, Any]], targets: dict[str, float]) -> dict:
    """Exponents per stage and recipe, speed-ups at the largest size, and
    whether each target holds."""
    sizes = [r["questions"] for r in results]
    largest = results[-1]["stages"]
    summary: dict[str, Any] = {}
    for stage, has_reference in STAGES.items():
        entry: dict[str, Any] = {}
        for recipe in ("project", "reference") if has_reference else ("project",):
            seconds = [r["stages"][stage][recipe]["seconds"] for r in results]
            peaks = [max(r["stages"][stage][recipe]["peak_mib"], 0.0) for r in results]
            entry[recipe] = {
                "time_exponent": growth_exponent(sizes, seconds),
                "memory_exponent": growth_exponent(sizes, peaks),
            }
        if has_reference:
            entry["speedup_at_largest"] = round(
                largest[stage]["reference"]["seconds"]
                / largest[stage]["project"]["seconds"],
                2,
            )
        summary[stage] = entry
    exponents = [
        summary[stage]["project"]["time_exponent"]
        for stage in STAGES
        if summary[stage]["project"]["time_exponent"] is not None
    ]
    feature_speedup = sum(
        largest[s]["reference"]["seconds"] for s in FEATURE_STAGES
    ) / sum(largest[s]["project"]["seconds"] for s in FEATURE_STAGES)
    checks = {
        "time_exponent_at_most": {
            "target": targets["max_time_exponent"],
            "worst": max(exponents) if exponents else None,
            "met": bool(exponents) and max(exponents) <= targets["max_time_exponent"],
        },
        "postprocess_speedup_at_largest": {
            "target": targets["postprocess_speedup"],
            "measured": summary["postprocess"]["speedup_at_largest"],
            "met": summary["postprocess"]["speedup_at_largest"]
            >= targets["postprocess_speedup"],
        },
        "feature_preparation_speedup_at_largest": {
            "target": targets["feature_speedup"],
            "measured": round(feature_speedup, 2),
            "met": feature_speedup >= targets["feature_speedup"],
        },
    }
    return {"stages": summary, "targets": checks}


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: one row per stage, recipe and size."""
    sizes = [r["questions"] for r in report["sizes"]]
    lines = [
        "| stage | recipe | "
        + " | ".join(f"{n:,} q: s / MiB" for n in sizes)
        + " | k (time) | k (memory) |",
        "|---|---|" + "---|" * (len(sizes) + 2),
    ]
    for stage, has_reference in STAGES.items():
        for recipe in ("project", "reference") if has_reference else ("project",):
            cells = [
                f"{r['stages'][stage][recipe]['seconds']:.2f} / "
                f"{r['stages'][stage][recipe]['peak_mib']:.0f}"
                for r in report["sizes"]
            ]
            fit = report["summary"]["stages"][stage][recipe]
            lines.append(
                f"| {stage} | {recipe} | "
                + " | ".join(cells)
                + f" | {fit['time_exponent']} | {fit['memory_exponent']} |"
            )
    lines += [
        "",
        "| size | windows | windows per question | input MiB |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['questions']:,} | {r['windows']:,} | {r['windows_per_question']} | "
        f"{r['input_bytes'] / 2**20:.1f} |"
        for r in report["sizes"]
    ]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for name, check in report["summary"]["targets"].items():
        measured = check.get("measured", check.get("worst"))
        lines.append(f"| {name} {check['target']} | {measured} | {check['met']} |")
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    """Log-log time against questions, per stage; reference dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["questions"] for r in report["sizes"]]
    figure, axis = plt.subplots(figsize=(8, 5.5))
    for index, (stage, has_reference) in enumerate(STAGES.items()):
        colour = f"C{index}"
        for recipe, style in (("project", "-"), ("reference", "--")):
            if recipe == "reference" and not has_reference:
                continue
            axis.plot(
                sizes,
                [r["stages"][stage][recipe]["seconds"] for r in report["sizes"]],
                style,
                marker="o",
                color=colour,
                label=f"{stage} ({recipe})",
            )
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("questions")
    axis.set_ylabel("wall time (s)")
    axis.set_title("Stages on the CPU by size (solid: project, dashed: reference)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
