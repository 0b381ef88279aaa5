"""Figures of the error analysis and of the training curve.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state) and drawn
once on an Agg canvas inside the Hangul font context, so tick labels created at
draw time get the Hangul font too.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from extractive_qa.reporting.fonts import hangul_rc

BREAKDOWN_TITLES = {
    "question_word": "의문사 (question word)",
    "answer_length": "정답 길이 (answer characters)",
    "context_length": "지문 길이 (context characters)",
    "window_count": "윈도 수 (windows per question)",
}


def _draw_breakdown(axes, table: pd.DataFrame, title: str) -> None:
    positions = np.arange(len(table))
    width = 0.4
    axes.bar(positions - width / 2, table["exact_match"], width, label="EM")
    axes.bar(positions + width / 2, table["f1"], width, label="F1")
    axes.set_xticks(
        positions,
        [
            f"{group}\nn={count}"
            for group, count in zip(table["group"], table["questions"], strict=True)
        ],
    )
    axes.set_ylim(0, 115)
    axes.set_title(title, fontsize=10)
    axes.set_ylabel("%")


def error_breakdown_figure(breakdown: pd.DataFrame) -> Figure:
    """One bar panel (EM and F1 per group) for each breakdown of the table."""
    names = [name for name in BREAKDOWN_TITLES if name in set(breakdown["breakdown"])]
    with mpl.rc_context(hangul_rc()):
        figure = Figure(figsize=(11, 7), layout="constrained")
        panels = figure.subplots(2, 2, squeeze=False).ravel()
        for axes, name in zip(panels, names, strict=False):
            _draw_breakdown(
                axes,
                breakdown[breakdown["breakdown"] == name],
                BREAKDOWN_TITLES[name],
            )
        for axes in panels[len(names) :]:
            axes.set_axis_off()
        panels[0].legend(loc="upper right", ncols=2)
        figure.suptitle("검증 질문의 EM/F1 (KorQuAD 문자 단위 지표)")
        FigureCanvasAgg(figure).draw()
    return figure


def training_curve_figure(curve: pd.DataFrame) -> Figure:
    """Training loss by step (left) and validation EM/F1 by epoch (right)."""
    with mpl.rc_context(hangul_rc()):
        figure = Figure(figsize=(10, 4), layout="constrained")
        loss_axes, score_axes = figure.subplots(1, 2)
        losses = curve.dropna(subset=["train_loss"])
        loss_axes.plot(losses["step"], losses["train_loss"], marker=".")
        loss_axes.set_xlabel("step")
        loss_axes.set_ylabel("train loss")
        loss_axes.set_title("학습 손실 (training loss)")
        scores = curve.dropna(subset=["eval_f1"])
        score_axes.plot(scores["epoch"], scores["eval_f1"], marker="o", label="F1")
        score_axes.plot(
            scores["epoch"], scores["eval_exact_match"], marker="s", label="EM"
        )
        score_axes.set_xlabel("epoch")
        score_axes.set_ylabel("%")
        score_axes.set_ylim(0, 100)
        score_axes.set_title("검증 점수 (validation)")
        if len(scores):
            score_axes.legend(loc="lower right")
        FigureCanvasAgg(figure).draw()
    return figure
