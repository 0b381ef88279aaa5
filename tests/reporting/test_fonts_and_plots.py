"""Plots draw Hangul with a real Hangul font: no boxes, no missing-glyph warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib as mpl
import pandas as pd
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import Image

from extractive_qa.reporting.fonts import hangul_font_path, hangul_rc
from extractive_qa.reporting.plots import (
    error_breakdown_figure,
    training_curve_figure,
)

BREAKDOWN = pd.DataFrame(
    [
        ("question_word", "누구", 3, 66.67, 80.0),
        ("question_word", "어떻게", 2, 50.0, 75.0),
        ("answer_length", "1-2", 4, 75.0, 90.0),
        ("answer_length", "no answer", 1, 0.0, 0.0),
        ("context_length", "0-199", 5, 60.0, 72.0),
        ("window_count", "1", 5, 60.0, 72.0),
    ],
    columns=["breakdown", "group", "questions", "exact_match", "f1"],
)


def test_the_font_matplotlib_resolves_has_hangul_glyphs() -> None:
    with mpl.rc_context(hangul_rc()):
        resolved = font_manager.findfont(
            font_manager.FontProperties(family=mpl.rcParams["font.family"]),
            fallback_to_default=False,
        )
    assert Path(resolved) == hangul_font_path()
    charmap = FT2Font(resolved).get_charmap()
    for syllable in "누구언제어디무엇몇왜어떻게":
        assert ord(syllable) in charmap, syllable
    # DejaVu Sans, matplotlib's default, is what draws boxes for Hangul.
    default = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert ord("누") not in FT2Font(default).get_charmap()


def _save_without_warnings(figure, path: Path) -> None:
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" for every box it draws.
        warnings.simplefilter("error")
        figure.savefig(path)


def test_breakdown_plot_renders_hangul_labels(tmp_path: Path) -> None:
    figure = error_breakdown_figure(BREAKDOWN)
    path = tmp_path / "breakdown.png"

    _save_without_warnings(figure, path)

    labels = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert labels == ["누구\nn=3", "어떻게\nn=2"]
    family = figure.axes[0].get_xticklabels()[0].get_fontfamily()
    assert family[0] == font_manager.FontProperties(fname=hangul_font_path()).get_name()
    assert Image.open(path).size[0] > 500


def test_training_curve_plot_from_hand_made_records(tmp_path: Path) -> None:
    curve = pd.DataFrame(
        [
            {
                "epoch": 0.5,
                "step": 10,
                "train_loss": 4.1,
                "eval_exact_match": None,
                "eval_f1": None,
            },
            {
                "epoch": 1.0,
                "step": 20,
                "train_loss": 2.3,
                "eval_exact_match": 40.0,
                "eval_f1": 55.5,
            },
            {
                "epoch": 2.0,
                "step": 40,
                "train_loss": 1.2,
                "eval_exact_match": 70.0,
                "eval_f1": 81.0,
            },
        ]
    ).astype({"eval_f1": float, "eval_exact_match": float})
    figure = training_curve_figure(curve)

    _save_without_warnings(figure, tmp_path / "curve.png")

    loss_axes, score_axes = figure.axes
    assert list(loss_axes.lines[0].get_xdata()) == [10, 20, 40]
    assert list(score_axes.lines[0].get_ydata()) == [55.5, 81.0]
    assert score_axes.get_title() == "검증 점수 (validation)"
