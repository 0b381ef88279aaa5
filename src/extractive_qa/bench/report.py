"""The benchmark table: one row per stage, both recipes side by side."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# Columns of the table, in order; the JSON report uses the same names.
COLUMNS = (
    "stage",
    "unit",
    "reference",
    "project",
    "ratio",
    "target",
    "met",
    "reference_peak_mib",
    "project_peak_mib",
)


@dataclass(frozen=True)
class StageRow:
    """One stage timed under both recipes.

    ``ratio`` is how many times better the project is: reference / project for
    seconds, project / reference for a throughput (``higher_is_better``); for a
    size (``unit`` MiB) it is project / reference and the target is a ceiling.
    """

    stage: str
    unit: str
    reference: float
    project: float
    target: float
    higher_is_better: bool = False
    reference_peak_mib: float | None = None
    project_peak_mib: float | None = None

    @property
    def ratio(self) -> float:
        if self.unit == "MiB" or self.higher_is_better:
            return _quotient(self.project, self.reference)
        return _quotient(self.reference, self.project)

    @property
    def met(self) -> bool:
        if self.unit == "MiB":
            return self.ratio <= self.target
        return self.ratio >= self.target

    def record(self) -> dict:
        """The row as the JSON report stores it."""
        row = asdict(self)
        row.pop("higher_is_better")
        ratio = round(self.ratio, 3) if math.isfinite(self.ratio) else None
        row.update(ratio=ratio, met=self.met)
        return {column: row[column] for column in COLUMNS}


def _quotient(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; a zero denominator (an F1 of 0 on a small
    run) gives 1 against a zero numerator, infinity otherwise."""
    if denominator == 0:
        return 1.0 if numerator == 0 else math.inf
    return numerator / denominator


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _target(row: StageRow) -> str:
    return f"<= {row.target:g}x" if row.unit == "MiB" else f">= {row.target:g}x"


def markdown_table(rows: list[StageRow]) -> str:
    """The rows as a Markdown table (the same text is logged)."""
    lines = [
        "| stage | unit | reference | project | ratio | target | met "
        "| peak memory reference (MiB) | peak memory project (MiB) |",
        "|---|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.stage} | {row.unit} | {_number(row.reference)} "
            f"| {_number(row.project)} | {row.ratio:.2f}x | {_target(row)} "
            f"| {'yes' if row.met else 'NO'} | {_number(row.reference_peak_mib, 0)} "
            f"| {_number(row.project_peak_mib, 0)} |"
        )
    return "\n".join(lines) + "\n"
