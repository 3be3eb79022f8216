"""Operating points, the human interval and the strategy verdict, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.metrics.operating import (
    Z_95,
    interpolate,
    jackknife_interval,
    operating_point,
    strategy_verdict,
)


def test_the_jackknife_of_a_mean_is_its_standard_error():
    """For the mean, the delete-one jackknife standard error is exactly s / sqrt(n)."""
    values = [1.0, 2.0, 4.0, 7.0, 11.0]
    low, high = jackknife_interval(values, lambda v: float(np.mean(v)))
    se = np.std(values, ddof=1) / math.sqrt(len(values))
    assert (low, high) == pytest.approx((5.0 - Z_95 * se, 5.0 + Z_95 * se))
    assert jackknife_interval([1.0, 2.0], np.mean) is None  # too few values
    assert jackknife_interval([1.0, 2.0, 3.0], lambda v: None) is None


def test_interpolation_between_rungs():
    ts, values = [0.0, 0.5, 1.0], [0.2, 0.6, None]
    assert interpolate(ts, values, 0.25) == pytest.approx(0.4)
    assert interpolate(ts, values, 0.5) == pytest.approx(0.6)  # on a rung: its own value
    assert interpolate(ts, values, 0.75) is None  # a rung without a value
    assert interpolate(ts, values, 1.2) is None  # outside the ladder


LADDER = {  # distinct-2 rises 0.1 → 0.9 over T 0 → 1, Self-BLEU-4 falls 0.9 → 0.1; loops 1 → 0
    0.0: {"distinct_2": 0.1, "self_bleu_4": 0.9, "loop_rate": 1.0},
    1.0: {"distinct_2": 0.9, "self_bleu_4": 0.1, "loop_rate": 0.0},
}


def test_an_operating_point_by_hand():
    """Human distinct-2 0.5 ± 0.04 is met at T = 0.5, Self-BLEU-4 0.3 ± 0.1 at T = 0.75: the larger
    gap in half-widths, max(|0.8T − 0.4| / 0.04, |0.9 − 0.8T − 0.3| / 0.1), is least where both are
    equal, 20T − 10 = 6 − 8T: T = 4/7, both 1.43 half-widths off (not matched)."""
    targets = {"distinct_2": (0.5, 0.46, 0.54), "self_bleu_4": (0.3, 0.2, 0.4)}
    point = operating_point(LADDER, targets)
    assert point["temperature"] == pytest.approx(4 / 7, abs=1e-3)
    assert point["gap"] == pytest.approx(20 * 4 / 7 - 10, abs=0.03) and not point["matched"]
    assert point["bracket"] == [0.0, 1.0]
    assert point["values"]["loop_rate"] == pytest.approx(1 - point["temperature"])  # interpolated


def test_a_wide_interval_matches():
    targets = {"distinct_2": (0.5, 0.3, 0.7), "self_bleu_4": (0.4, 0.2, 0.6)}
    point = operating_point(LADDER, targets)
    assert point["matched"] and point["gap"] <= 1
    assert operating_point({0.5: LADDER[0.0]}, targets) is None  # one rung: nothing to interpolate


def test_the_strategy_verdict():
    strategies = [
        {"strategy": "top-k 40", "loop_rate": 0.0, "quality_gap": 0.30},
        {"strategy": "no-repeat 4-gram", "loop_rate": 0.0, "quality_gap": -0.05},
        {"strategy": "penalty", "loop_rate": 0.5, "quality_gap": 0.0},
    ]
    verdict = strategy_verdict(strategies, 0.0, 0.9)
    assert verdict["strategy"] == "no-repeat 4-gram" and verdict["removes"] and verdict["greedy_loops"]
    stubborn = strategy_verdict(strategies[2:], 0.0, 0.9)
    assert stubborn["strategy"] == "penalty" and not stubborn["removes"]
    assert strategy_verdict([], 0.0, 0.9) is None
    assert not strategy_verdict(strategies, 0.0, 0.0)["greedy_loops"]


def test_the_strategy_verdict_reads_the_named_loop_measure():
    # at 300 characters top-k and n-gram blocking look loop-free; at the probe's horizon only top-k is
    strategies = [
        {"strategy": "top-k 40", "loop_rate": 0.0, "cycling.looped_share": 0.0, "quality_gap": 0.30},
        {"strategy": "no-repeat 4-gram", "loop_rate": 0.0, "cycling.looped_share": 0.6, "quality_gap": -0.05},
    ]
    verdict = strategy_verdict(strategies, 0.0, 1.0, "cycling.looped_share")
    assert verdict["strategy"] == "top-k 40" and verdict["measure"] == "cycling.looped_share"
    assert verdict["rate"] == 0.0 and verdict["greedy_rate"] == 1.0 and verdict["removes"]
    assert strategy_verdict(strategies, 0.0, 1.0)["strategy"] == "no-repeat 4-gram"  # the loop rate's choice
