"""Operating points: where on its temperature ladder a generator writes as diversely as people do.

**The human interval.** A diversity value of the human continuations (distinct-2, Self-BLEU-4)
comes from one set of prompts; :func:`jackknife_interval` gives its 95% interval over prompts: the
delete-one jackknife (Quenouille 1956, Tukey 1958; Efron & Stein 1981), recomputing the metric
with each prompt's continuation left out, the value ± 1.96 jackknife standard errors.

**The operating point** of a generator (:func:`operating_point`): each diversity metric is taken
as a function of temperature by linear interpolation between the ladder's rungs (the row's mean
over seeds at each rung), and its gap to the human value is measured in half-widths of the human
interval, |m(T) − h| / ((hi − lo) / 2). The operating point is the temperature, on a grid of
0.001 between the lowest and highest rung, where the larger of the metrics' gaps is smallest
(the lowest such temperature on ties); it *matches* the human text when that gap is at most 1,
i.e. every metric lies in its human interval there. Every other metric (quality, loops, cycling)
is read at that temperature by the same interpolation between the two rungs around it, so those
values are interpolated, not measured.

**Strategy verdicts** (:func:`strategy_verdict`): of a generator's supported strategies that
remove greedy loops (a loop measure at most the human text's: the cycling share at the probe's
horizon when the run has the probe, else the loop rate), the one whose judged quality is closest
to the human text's (smallest |quality gap|).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile
GRID_STEP = 0.001  # temperature resolution of the operating point


def jackknife_interval(
    values: Sequence[Any], metric: Callable[[list[Any]], float | None]
) -> tuple[float, float] | None:
    """``metric(values)`` ± 1.96 delete-one jackknife standard errors; None with fewer than 3
    values or where the metric is undefined."""
    items = list(values)
    if len(items) < 3:
        return None
    whole = metric(items)
    left_out = [metric(items[:i] + items[i + 1 :]) for i in range(len(items))]
    if whole is None or any(v is None or not math.isfinite(v) for v in left_out):
        return None
    n = len(items)
    spread = np.asarray(left_out, dtype=np.float64)
    se = math.sqrt((n - 1) / n * float(np.sum((spread - spread.mean()) ** 2)))
    return whole - Z_95 * se, whole + Z_95 * se


def interpolate(temperatures: Sequence[float], values: Sequence[float | None], at: float) -> float | None:
    """The piecewise-linear value at temperature ``at`` between the two rungs around it (None when
    either lacks a value or ``at`` is outside the ladder)."""
    ts = list(temperatures)
    if not ts or not ts[0] <= at <= ts[-1]:
        return None
    upper = next(i for i, t in enumerate(ts) if t >= at)
    lower = upper if ts[upper] == at else upper - 1
    a, b = values[lower], values[upper]
    if a is None or b is None:
        return None
    if lower == upper:
        return float(a)
    share = (at - ts[lower]) / (ts[upper] - ts[lower])
    return float(a + share * (b - a))


def operating_point(
    ladder: Mapping[float, Mapping[str, float | None]],
    targets: Mapping[str, tuple[float, float, float]],
) -> dict[str, Any] | None:
    """The operating point (module docstring) of one generator.

    ``ladder``: temperature -> {metric: the row's value there}; ``targets``: metric -> (human value,
    interval low, interval high) for the diversity metrics it matches. None when fewer than two rungs
    have every target metric or an interval is empty.
    """
    usable = sorted(t for t, m in ladder.items() if all(m.get(k) is not None for k in targets))
    if len(usable) < 2 or any(hi <= lo for _, lo, hi in targets.values()):
        return None
    grid = np.round(np.arange(usable[0], usable[-1] + GRID_STEP / 2, GRID_STEP), 6)
    gaps = np.zeros(len(grid))
    for key, (human, lo, hi) in targets.items():
        curve = np.interp(grid, usable, [ladder[t][key] for t in usable])
        gaps = np.maximum(gaps, np.abs(curve - human) / ((hi - lo) / 2))
    best = int(np.argmin(gaps))  # the first (lowest temperature) of equal gaps
    at = float(grid[best])
    keys = sorted({k for m in ladder.values() for k in m})
    rungs = sorted(ladder)
    values = {k: interpolate(rungs, [ladder[t].get(k) for t in rungs], at) for k in keys}
    lower = max(t for t in rungs if t <= at)
    upper = min(t for t in rungs if t >= at)
    return {
        "temperature": at,
        "bracket": [lower, upper],
        "gap": float(gaps[best]),
        "matched": bool(gaps[best] <= 1.0),
        "values": values,
    }


def strategy_verdict(
    strategies: Sequence[Mapping[str, Any]],
    human_rate: float | None,
    greedy_rate: float | None,
    measure: str = "loop_rate",
) -> dict[str, Any] | None:
    """Which supported strategy removes greedy loops at the smallest cost in judged quality.

    ``strategies``: {strategy, ``measure``, quality_gap} per supported strategy (row means), where
    ``measure`` names the loop measure read (the probe's long-horizon ``cycling.looped_share``, or
    the sweep's ``loop_rate``). The loops count as removed at a value at most the human text's (0
    when unknown). Returns the chosen strategy with its ``rate`` and ``quality_gap``, the greedy
    ``greedy_rate``, and ``removes`` (False: none removes the loops, the lowest is named), or None
    when there is nothing to choose from.
    """
    limit = human_rate if human_rate is not None else 0.0
    measured = [s for s in strategies if s.get(measure) is not None]
    if not measured:
        return None
    removing = [s for s in measured if s[measure] <= limit + 1e-12]
    if removing:
        judged = [s for s in removing if s.get("quality_gap") is not None]
        chosen = min(judged, key=lambda s: abs(s["quality_gap"])) if judged else removing[0]
    else:
        chosen = min(measured, key=lambda s: s[measure])
    return {
        "strategy": chosen["strategy"],
        "measure": measure,
        "rate": chosen[measure],
        "quality_gap": chosen.get("quality_gap"),
        "removes": bool(removing),
        "greedy_rate": greedy_rate,
        "greedy_loops": greedy_rate is not None and greedy_rate > limit + 1e-12,
    }
