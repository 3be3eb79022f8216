"""The report's PNG plots, drawn from a :class:`CorpusRun` only.

Figures are made with ``matplotlib.figure.Figure`` and saved through the Agg canvas, never through
pyplot: nothing global changes (a notebook's backend stays as it was) and no figure outlives its
function. Each ``plot_*`` returns False, writing nothing, when the run has no data for it.

Here: the index of plots (:func:`draw_plots`), likelihood, learning curves and throughput; the
temperature sweep's plots are in :mod:`benchmarks.report.sweep_plots`, the budget axis's in
:mod:`benchmarks.report.scaling_plot`, and what they share in :mod:`benchmarks.report.figures`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib import colormaps

from benchmarks.report import references
from benchmarks.report.curves import plot_learning_curves
from benchmarks.report.data import CorpusRun
from benchmarks.report.figures import color, legend_below, new_figure, save, value_label
from benchmarks.report.formatting import finite
from benchmarks.report.sweep_plots import (
    plot_cycling,
    plot_diversity,
    plot_quality_diversity,
    plot_repetition,
)


def bpc_points(run: CorpusRun) -> list[tuple[str, float, float, float, list[float]]]:
    """(row, bpc, low, high, each seed's bpc): the error bar is the 95% interval over seeds and
    test chunks (over the chunks alone with one seed)."""
    points = []
    for name in run.names:
        value = run.value(name, "likelihood", "bpc")
        if value is None:
            continue
        low, high = run.bpc_interval(name)
        seeds = [
            v for v in run.summary(name, "likelihood", "bpc").get("values") or [] if finite(v) is not None
        ]
        points.append((name, value, value if low is None else low, value if high is None else high, seeds))
    return points


def plot_bpc(run: CorpusRun, path: Path) -> bool:
    """Test bpc per row with its interval (bootstrap with one seed, ± sd with several, and each seed);
    below them the reference rows (compressors, published figures) as grey diamonds."""
    points = bpc_points(run)
    if not points:
        return False
    fixed = references.lines(run)
    figure, (ax,) = new_figure(7.0, 0.9 + 0.55 * (len(points) + len(fixed)))
    for row, (name, value, low, high, seeds) in enumerate(points):
        # a percentile bootstrap interval may miss its point estimate by a rounding error
        below, above = max(value - low, 0.0), max(high - value, 0.0)
        ax.errorbar([value], [row], xerr=[[below], [above]], fmt="o", capsize=5, color=color(run, name))
        if len(seeds) > 1:
            ax.plot(seeds, [row] * len(seeds), "|", color=color(run, name), markersize=12, alpha=0.7)
        value_label(ax, value + above, row, value)
    for row, (_, value, _) in enumerate(fixed, start=len(points)):
        ax.plot([value], [row], "D", color="0.45", markersize=6)
        value_label(ax, value, row, value)
    labels = [p[0] for p in points] + [text for text, _, _ in fixed]
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.invert_yaxis()
    ax.margins(x=0.15)
    ax.set_xlabel("bits per character on the test split (lower is better)")
    several = len(run.run.seeds) > 1
    what = (
        "95% intervals over seeds and test chunks, each seed marked" if several else "95% bootstrap intervals"
    )
    ax.set_title(f"Likelihood on {run.name}\n{what}", fontsize=10)  # two lines: fits beside long labels
    return save(figure, path)


def throughput_bars(run: CorpusRun) -> list[tuple[str, str]]:
    """(legend label, throughput key) for each bar of a group."""
    return [
        ("training", "train_chars_per_s"),
        ("scoring", "score_chars_per_s"),
        ("generation, batch 1", "generate_chars_per_s_batch1"),
        (f"generation, batch {run.batch}", f"generate_chars_per_s_batch{run.batch}"),
    ]


def plot_throughput(run: CorpusRun, path: Path) -> bool:
    """Characters per second of each activity, grouped by generator, on a log scale."""
    names = [n for n in run.names if run.row_section(n, "throughput")]
    if not names:
        return False
    bars = throughput_bars(run)
    figure, (ax,) = new_figure(max(6.0, 1.6 * len(names) + 2), 4.2)
    width = 0.8 / len(bars)
    for index, (title, key) in enumerate(bars):
        xs = [i + (index - (len(bars) - 1) / 2) * width for i in range(len(names))]
        summaries = [run.summary(name, "throughput", key) for name in names]
        kept = [
            (x, finite(s.get("mean")), finite(s.get("sd")) or 0.0) for x, s in zip(xs, summaries, strict=True)
        ]
        kept = [(x, v, sd) for x, v, sd in kept if v is not None and v > 0]
        errors = [sd for _, _, sd in kept] if any(sd for _, _, sd in kept) else None  # ± sd over seeds
        heights = [v for _, v, _ in kept]
        ax.bar(
            [x for x, _, _ in kept], heights, width, yerr=errors, label=title, color=colormaps["Set2"](index)
        )
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("characters per second (log scale)")
    ax.set_title(f"Throughput on {device_name(run)}", fontsize=10)
    legend_below(figure, [ax])
    return save(figure, path)


def device_name(run: CorpusRun) -> str:
    device = run.section("environment", "device")
    return f"{device.get('name') or 'unknown device'} ({device.get('type') or run.data.get('device') or '?'})"


PLOTS: dict[str, tuple[str, Callable[[CorpusRun, Path], bool]]] = {  # file name: (caption, drawing function)
    "bpc.png": ("Test bits per character with 95% confidence intervals", plot_bpc),
    "repetition.png": ("seq-rep-4 and loop rate against temperature", plot_repetition),
    "diversity.png": ("distinct-2 and Self-BLEU-4 against temperature", plot_diversity),
    "quality_diversity.png": (
        "Quality against diversity: judged bpc against Self-BLEU-4, as distances from the human text",
        plot_quality_diversity,
    ),
    "cycling.png": ("Share of long continuations already cycling against characters generated", plot_cycling),
    "learning_curves.png": (
        "Validation bpc against training characters, a panel per generator, each on its own validation text",
        plot_learning_curves,
    ),
    "throughput.png": ("Throughput in characters per second", plot_throughput),
}


def draw_plots(run: CorpusRun, folder: Path) -> dict[str, tuple[str, bool]]:
    """Draw every plot into ``folder``: {file name: (caption, drawn)}. Stale files of undrawn plots go.
    The budget plot is among them only when the run has a budget axis."""
    from benchmarks.report.scaling import scaling
    from benchmarks.report.scaling_plot import SCALING_PLOTS

    (folder / "scaling.png").unlink(missing_ok=True)
    drawn = {}
    for file, (caption, plot) in {**PLOTS, **(SCALING_PLOTS if scaling(run) else {})}.items():
        (folder / file).unlink(missing_ok=True)
        drawn[file] = (caption, plot(run, folder / file))
    return drawn
