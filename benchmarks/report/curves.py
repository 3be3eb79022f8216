"""The learning-curve plot: one panel per row, each naming the validation text its curve scored.

Each generator measures its learning curve on its own prefix of the validation split (20,000
characters for the LSTMs, 100,000 for gpt2, 200,000 for markov in the quick profile), so the rows'
curves are not on one scale: each gets a panel of its own, titled with that text and with how
its training ended (the model card's words), its seeds as lines against training characters.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from benchmarks.report.cards import row_card, validation_text
from benchmarks.report.data import CorpusRun
from benchmarks.report.figures import DPI, color, save
from benchmarks.report.formatting import finite

COLUMNS = 2  # panels per line: each stays wide enough to read at the page's full width


def plotted_points(cell: dict, x_key: str) -> list[tuple[float, float]]:
    """(x, validation bpc) of a cell's fit curve; x = training seconds, or training characters
    (estimated from the steps where a generator's curve does not record them)."""
    fit = cell.get("fit") or {}
    per_step = (finite(fit.get("train_chars")) or 0.0) / max(finite(fit.get("steps")) or 0.0, 1.0)
    points = []
    for point in fit.get("curve") or []:
        if not isinstance(point, dict):
            continue
        x = finite(point.get(x_key))
        if x is None and x_key == "train_chars" and finite(point.get("step")) is not None:
            x = finite(point.get("step")) * per_step
        y = finite(point.get("valid_bpc"))
        if x is not None and y is not None:
            points.append((x, y))
    return points


def plot_learning_curves(run: CorpusRun, path: Path) -> bool:
    """Save :func:`learning_figure` to ``path``; False, writing nothing, when no row has a curve."""
    figure = learning_figure(run)
    return save(figure, path) if figure is not None else False


def learning_figure(run: CorpusRun) -> Figure | None:
    """A panel per row with a curve: its seeds' validation bpc against training characters."""
    rows = [n for n in run.names if any(plotted_points(c, "train_chars") for c in run.seed_cells(n))]
    if not rows:
        return None
    lines = math.ceil(len(rows) / COLUMNS)
    columns = min(COLUMNS, len(rows))
    figure = Figure(figsize=(5.0 * columns, 3.2 * lines), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(lines, columns, squeeze=False).flatten()
    for ax, name in zip(axes, rows, strict=False):
        for cell in run.seed_cells(name):
            points = plotted_points(cell, "train_chars")
            if points:
                ax.plot(*zip(*points, strict=True), "o-", color=color(run, name), markersize=3, alpha=0.8)
        ending = row_card(run, name).get("end_verdict")
        ax.set_title(f"{name}: {validation_text(run, name)}" + (f"\n{ending}" if ending else ""), fontsize=9)
        ax.set_xlabel("training characters", fontsize=8)
        ax.set_ylabel("validation bpc", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_formatter(EngFormatter(sep=" "))  # "300 k", never an offset like "+3.68e5"
        ax.yaxis.get_major_formatter().set_useOffset(False)
        ax.grid(True, alpha=0.3)
    for ax in axes[len(rows) :]:
        ax.set_visible(False)
    return figure
