"""The report's PNG plots, drawn from a :class:`CorpusRun` only.

Figures are made with ``matplotlib.figure.Figure`` and saved through the Agg canvas, never through
pyplot: nothing global changes (a notebook's backend stays as it was) and no figure outlives its
function. Each ``plot_*`` returns False, writing nothing, when the run has no data for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.report import references
from benchmarks.report.data import CorpusRun, dig
from benchmarks.report.formatting import finite, temperature

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
    ax.set_title(f"Likelihood on {run.name}, {what}", fontsize=10)
    return save(figure, path)


def value_label(ax, x: float, row: int, value: float) -> None:
    """The bpc written just right of ``x`` on ``row``."""
    ax.annotate(f"{value:.3f}", (x, row), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)


def sweep_series(run: CorpusRun, name: str, key: str) -> tuple[list[float], list[float], list[float]]:
    """Temperatures, the row's mean over seeds at each, and the sd over seeds (0 with one seed)."""
    kept = []
    for t in run.temperatures:
        summary = run.sweep_summary(name, t, key)
        mean = finite(summary.get("mean"))
        if mean is not None:
            kept.append((t, mean, finite(summary.get("sd")) or 0.0))
    return [t for t, _, _ in kept], [m for _, m, _ in kept], [sd for _, _, sd in kept]


def draw_vs_temperature(ax, run: CorpusRun, key: str, title: str) -> bool:
    drawn = False
    for name in run.names:
        xs, ys, sds = sweep_series(run, name, key)
        if xs:
            bars = sds if any(sds) else None  # error bars: ± sd over seeds
            ax.errorbar(
                xs, ys, yerr=bars, fmt="o-", color=color(run, name), label=name, markersize=4, capsize=3
            )
            drawn = True
    human = run.human_value(key)
    if human is not None:
        ax.axhline(human, color=HUMAN_COLOR, linestyle="--", linewidth=1.2, label="human text")
    ax.set_xlabel("temperature (0 = greedy)")
    ax.set_ylabel(title)
    return drawn


def plot_vs_temperature(run: CorpusRun, path: Path, metrics: list[tuple[str, str]], title: str) -> bool:
    """Side-by-side panels of metrics against temperature; the human value as a dashed line."""
    figure, axes = new_figure(9.0, 4.0, columns=len(metrics))
    drawn = [draw_vs_temperature(ax, run, key, label) for ax, (key, label) in zip(axes, metrics, strict=True)]
    if not any(drawn):
        return False
    legend_below(figure, axes)
    figure.suptitle(title, fontsize=11)
    return save(figure, path)


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


def plot_quality_diversity(run: CorpusRun, path: Path) -> bool:
    """Judged quality against Self-BLEU-4, one curve per generator across temperatures (and a point
    per strategy): as distances from the human text when every judge but the sample's own judged."""
    if not run.judges:
        return plot_quality_diversity_one_judge(run, path)
    figure, (ax,) = new_figure(7.0, 5.0)
    human_bleu = run.human_value("self_bleu_4")
    if human_bleu is None:
        return False
    drawn = False
    for name in run.names:
        points = [
            (
                temperature(t).split(" ")[0],
                run.sweep_value(name, t, "self_bleu_4"),
                run.sweep_value(name, t, "quality_gap"),
            )
            for t in run.temperatures
        ]
        strategy_points = [
            (
                s["strategy"],
                (s.get("self_bleu_4") or {}).get("mean"),
                (s.get("quality_gap") or {}).get("mean"),
            )
            for s in dig(run.corpus, "rows", name).get("strategies") or []
            if s.get("supported")
        ]
        drawn |= draw_distances(ax, run, name, points, "o-", human_bleu)
        drawn |= draw_distances(ax, run, name, strategy_points, "s", human_bleu)
    if not drawn:
        return False
    ax.axhline(0, color="grey", linewidth=0.8, zorder=1)
    ax.axvline(0, color="grey", linewidth=0.8, zorder=1)
    ax.plot([0], [0], "*", color="black", markersize=13, label="human text", linestyle="none", zorder=6)
    ax.margins(0.1)
    ax.set_xlabel("Self-BLEU-4 − human text's (0 = as diverse as people write; > 0 less diverse)")
    ax.set_ylabel("judged bpc − human text's (0 = as likely as human text)")
    judges = ", ".join(run.judges)
    ax.set_title(
        f"Distance from human text: quality against diversity (judges: {judges}; none its own)", fontsize=9
    )
    ax.legend(fontsize=8)
    return save(figure, path)


def draw_distances(ax, run: CorpusRun, name: str, points: list, style: str, human_bleu: float) -> bool:
    """One generator's (label, Self-BLEU-4, quality gap) points as distances from the human text."""
    points = [(tag, x - human_bleu, y) for tag, x, y in points if x is not None and y is not None]
    if not points:
        return False
    kind = "strategies" if style == "s" else "temperatures"
    ax.plot(
        [p[1] for p in points],
        [p[2] for p in points],
        style,
        color=color(run, name),
        label=f"{name}, {kind}",
        markersize=4,
    )
    offset = LABEL_OFFSETS[run.names.index(name) % len(LABEL_OFFSETS)]
    for tag, x, y in points:
        ax.annotate(
            tag,
            (x, y),
            xytext=offset,
            textcoords="offset points",
            fontsize=6,
            color=color(run, name),
            bbox=LABEL_BOX,
            zorder=5,
        )
    return True


def plot_quality_diversity_one_judge(run: CorpusRun, path: Path) -> bool:
    """Judge bpc of samples against Self-BLEU-4, one curve per generator across temperatures (results
    judged by one judge, which scored its own samples too)."""
    figure, (ax,) = new_figure(7.0, 5.0)
    drawn = False
    for name in run.names:
        points = [
            (t, run.sweep_value(name, t, "self_bleu_4"), run.sweep_value(name, t, "quality_bpc"))
            for t in run.temperatures
        ]
        points = [(t, x, y) for t, x, y in points if x is not None and y is not None]
        if not points:
            continue
        drawn = True
        ax.plot(
            [p[1] for p in points],
            [p[2] for p in points],
            "o-",
            color=color(run, name),
            label=name,
            markersize=4,
        )
        offset = LABEL_OFFSETS[run.names.index(name) % len(LABEL_OFFSETS)]
        for t, x, y in points:
            ax.annotate(
                temperature(t).split(" ")[0],
                (x, y),
                xytext=offset,
                textcoords="offset points",
                fontsize=7,
                color=color(run, name),
                bbox=LABEL_BOX,
                zorder=5,
            )
    x, y = run.human_value("self_bleu_4"), run.human_value("quality_bpc")
    if x is not None and y is not None:
        ax.plot([x], [y], "*", color="black", markersize=13, label="human text", linestyle="none", zorder=6)
    if not drawn:
        return False
    ax.margins(0.1)
    ax.set_xlabel("Self-BLEU-4 (higher = less diverse)")
    ax.set_ylabel("judge bpc of the samples (lower = more likely)")
    ax.set_title(f"Quality against diversity across temperatures (judge: {run.judge})", fontsize=10)
    ax.legend(fontsize=8)
    return save(figure, path)


def curve_points(cell: dict, x_key: str) -> list[tuple[float, float]]:
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
    """A panel per row, each naming its validation text (:mod:`benchmarks.report.curves`)."""
    from benchmarks.report.curves import plot_learning_curves as draw  # it draws with this module's helpers

    return draw(run, path)


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


def plot_repetition(run: CorpusRun, path: Path) -> bool:
    metrics = [("seq_rep_4", "seq-rep-4"), ("loop_rate", "loop rate")]
    return plot_vs_temperature(run, path, metrics, "Repetition against temperature")


def plot_diversity(run: CorpusRun, path: Path) -> bool:
    metrics = [("distinct_2", "distinct-2"), ("self_bleu_4", "Self-BLEU-4")]
    return plot_vs_temperature(run, path, metrics, "Diversity against temperature")


def plot_cycling(run: CorpusRun, path: Path) -> bool:
    """Share of the probe's continuations already cycling against characters generated, one line per
    generator (the seeds' mean curve) and the human passages, one panel per probe temperature."""
    shown = [t for t in run.cycle_temperatures if any(run.cycle_curve(n, t).get("share") for n in run.names)]
    if not shown:
        return False
    figure, axes = new_figure(3.2 * len(shown) + 1.0, 3.6, len(shown))
    human = run.human_cycles().get("curve") or {}
    for ax, t in zip(axes, shown, strict=True):
        for name in run.names:
            curve = run.cycle_curve(name, t)
            if curve.get("share"):
                ax.plot([0, *curve["chars"]], [0, *curve["share"]], color=color(run, name), label=name)
        if human.get("share"):
            ax.plot([0, *human["chars"]], [0, *human["share"]], "--", color=HUMAN_COLOR, label="human text")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("characters generated")
        ax.set_title(temperature(t), fontsize=10)
    axes[0].set_ylabel("share of continuations cycling")
    figure.suptitle("When does each generator fall into its cycle? (onset reached)", fontsize=10)
    legend_below(figure, list(axes))
    return save(figure, path)


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
    from benchmarks.report.scaling_plot import SCALING_PLOTS  # it draws with this module's helpers

    (folder / "scaling.png").unlink(missing_ok=True)
    drawn = {}
    for file, (caption, plot) in {**PLOTS, **(SCALING_PLOTS if scaling(run) else {})}.items():
        (folder / file).unlink(missing_ok=True)
        drawn[file] = (caption, plot(run, folder / file))
    return drawn
