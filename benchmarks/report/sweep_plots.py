"""The report's plots of the temperature sweep and the cycling probe: repetition and diversity against
temperature, the share of long continuations cycling against characters generated, and
quality against diversity (judged bpc against Self-BLEU-4, as distances from the human text)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report.data import CorpusRun, dig
from benchmarks.report.figures import (
    HUMAN_COLOR,
    LABEL_BOX,
    LABEL_OFFSETS,
    color,
    legend_below,
    new_figure,
    save,
)
from benchmarks.report.formatting import finite, temperature


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


def plot_quality_diversity(run: CorpusRun, path: Path) -> bool:
    """Judged quality against Self-BLEU-4, one curve per generator across temperatures (and a point
    per strategy): as distances from the human text when every judge but the sample's own judged."""
    if not run.judges:
        return False
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
