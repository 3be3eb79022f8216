"""The plot of test bpc against training compute: one line per generator across its budgets.

Drawn from a corpus's ``scaling`` entry and its rows' summaries (:mod:`benchmarks.report.scaling`).
x is the estimated training FLOPs (log scale), y the test bpc; each budget's point is the mean
over seeds, each seed a dot and the bar the seeds' range. A row without FLOPs (markov counts, it
does no multiply-adds) and every reference row (compressors, published figures) is a horizontal
line, the level a trained model has to pass.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import colormaps

from benchmarks.report import references
from benchmarks.report.data import CorpusRun
from benchmarks.report.figures import new_figure, save
from benchmarks.report.formatting import finite
from benchmarks.report.scaling import scaling

REFERENCE_COLOR = "0.45"
STYLES = ("--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)))  # horizontal lines of one colour, told apart


def seed_points(run: CorpusRun, name: str) -> list[tuple[float, float]]:
    """(training FLOPs, test bpc) of each seed of a row that has both."""
    xs = run.summary(name, "fit", "training_flops").get("values") or []
    ys = run.summary(name, "likelihood", "bpc").get("values") or []
    pairs = [(finite(x), finite(y)) for x, y in zip(xs, ys, strict=False)]
    return [(x, y) for x, y in pairs if x is not None and y is not None and x > 0]


def draw_series(ax, run: CorpusRun, series: str, members: list[str], colour) -> bool:
    """One line through the budgets' mean points, seeds as dots and their range as bars; False when
    no member has FLOPs."""
    means = []
    for name in members:
        seeds = seed_points(run, name)
        if not seeds:
            continue
        x = sum(p[0] for p in seeds) / len(seeds)
        y = sum(p[1] for p in seeds) / len(seeds)
        low, high = min(p[1] for p in seeds), max(p[1] for p in seeds)
        means.append((x, y, y - low, high - y))
        if len(seeds) > 1:
            ax.plot(*zip(*seeds, strict=True), ".", color=colour, alpha=0.5, markersize=5)
    if not means:
        return False
    xs, ys, below, above = zip(*sorted(means), strict=True)
    ax.errorbar(xs, ys, yerr=[below, above], fmt="o-", color=colour, label=series, capsize=3, markersize=5)
    return True


def level(ax, value: float, text: str, colour, style) -> None:
    """A horizontal line at ``value``, named in the legend."""
    ax.axhline(value, color=colour, linestyle=style, linewidth=1.2, label=text)


def plot_scaling(run: CorpusRun, path: Path) -> bool:
    """Test bpc against training FLOPs, one line per generator; False (nothing drawn) without FLOPs."""
    entry = scaling(run)
    if not entry:
        return False
    figure, (ax,) = new_figure(10.0, 5.2)
    drawn = False
    for index, (series, members) in enumerate((entry.get("series") or {}).items()):
        colour = colormaps["tab10"](index % 10)
        if draw_series(ax, run, series, members, colour):
            drawn = True
            continue
        for number, name in enumerate(members):  # no FLOPs: the same at every budget
            value = run.value(name, "likelihood", "bpc")
            if value is not None:
                level(ax, value, f"{name} (no FLOPs)", colour, STYLES[number % len(STYLES)])
    if not drawn:
        return False
    for number, (text, value, _) in enumerate(references.lines(run)):
        level(ax, value, text, REFERENCE_COLOR, STYLES[number % len(STYLES)])
    ax.set_xscale("log")
    ax.set_xlabel("estimated training FLOPs (log scale)")
    ax.set_ylabel("test bits per character (lower is better)")
    ax.set_title(f"Test bpc against training compute on {run.name}", fontsize=10)
    figure.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=7)
    return save(figure, path)


SCALING_PLOTS = {
    "scaling.png": ("Test bpc against estimated training FLOPs, one line per generator", plot_scaling)
}
