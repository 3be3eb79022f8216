"""What every report plot shares: one colour per row, a figure drawn without pyplot, saving a PNG,
value labels and a legend below the axes."""

from __future__ import annotations

from pathlib import Path

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.report.data import CorpusRun

DPI = 110
HUMAN_COLOR = "0.35"
LABEL_BOX = {"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.6}
LABEL_OFFSETS = ((5, 4), (5, -11), (-30, 4), (-30, -11))  # points; T labels of generator i, i+1, …


def color(run: CorpusRun, name: str):
    """One colour per row, the same in every plot and for every corpus."""
    rows = run.run.rows or run.names
    return colormaps["tab10"]((rows.index(name) if name in rows else len(rows)) % 10)


def new_figure(width: float = 7.0, height: float = 4.0, columns: int = 1):
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, columns, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return figure, axes


def save(figure: Figure, path: Path) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata={"Software": None})
    return True


def value_label(ax, x: float, row: int, value: float) -> None:
    """The bpc written just right of ``x`` on ``row``."""
    ax.annotate(f"{value:.3f}", (x, row), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)


def legend_below(figure: Figure, axes) -> None:
    """One legend for all panels, under them, each label once."""
    entries = {}
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(text, handle)
    figure.legend(
        list(entries.values()),
        list(entries),
        loc="outside lower center",
        ncols=min(len(entries), 5),
        fontsize=8,
    )
