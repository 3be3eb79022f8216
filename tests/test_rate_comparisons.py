"""Comparisons of per-prompt rates and the limits of every comparisons table.

Rates (0/1 per prompt, or any value in [0, 1]) differ by at most 1 in either direction, so their
intervals stay in [−1, 1]; a table whose units are too few for any pair to be separable says so.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from benchmarks.metrics import bpc_comparisons, metric_comparisons, paired_mean_difference, sign_flip_test
from benchmarks.metrics.ranking import attainable
from benchmarks.metrics.significance import RATE_RANGE, sign_flip_floor

RESAMPLES = 500  # sign patterns in these tests: enough for the floors they check
ZEROS, ONES = np.zeros((3, 64)), np.ones((3, 64))


def rate_difference(a, b, **kwargs):
    return paired_mean_difference(a, b, value_range=RATE_RANGE, n_resamples=RESAMPLES, **kwargs)


def looped(rates: list[float], prompts: int = 64) -> np.ndarray:
    """[seed, prompt] 0/1 outcomes: seed s loops on its first round(rates[s] · prompts) prompts."""
    return np.array([[1.0 if p < round(r * prompts) else 0.0 for p in range(prompts)] for r in rates])


# --- intervals of rate differences ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (ZEROS, ONES, (-1.0, -1.0, -1.0)),  # never loops against always loops: exactly −1, no doubt
        (ONES, ZEROS, (1.0, 1.0, 1.0)),
        (ZEROS, ZEROS, (0.0, 0.0, 0.0)),
        (ONES, ONES, (0.0, 0.0, 0.0)),
    ],
)
def test_all_zero_and_all_one_cells(a, b, expected):
    result = rate_difference(a, b)
    assert (result.difference, result.low, result.high) == expected
    assert result.p_value == (1.0 if expected[0] == 0.0 else sign_flip_floor(64, RESAMPLES))


def test_an_interval_past_minus_one_is_cut_there_and_nowhere_else():
    # the reference run's greedy markov − char-lstm: 0 against 0.75, 0.875, 1.0 over 3 seeds; the
    # t interval alone reached −1.11
    never, often = ZEROS, looped([0.75, 0.875, 1.0])
    plain = paired_mean_difference(never, often, n_resamples=RESAMPLES)
    cut = rate_difference(never, often)
    assert plain.low < -1.0 < plain.high < 0.0
    assert (cut.low, cut.high) == (-1.0, plain.high)
    assert (cut.difference, cut.p_value, cut.p_t, cut.df) == (
        plain.difference,
        plain.p_value,
        plain.p_t,
        plain.df,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda seeds: st.integers(2, 24).flatmap(
            lambda prompts: st.tuples(
                *[hnp.arrays(np.float64, (seeds, prompts), elements=st.sampled_from([0.0, 1.0]))] * 2
            )
        )
    )
)
def test_rate_intervals_stay_in_range_hold_the_estimate_and_agree_with_the_t_test(pair):
    a, b = pair
    result = rate_difference(a, b)
    assert -1.0 <= result.low <= result.difference <= result.high <= 1.0
    excludes_zero = not result.low <= 0.0 <= result.high
    assert excludes_zero == (result.p_t < 0.05)  # the cut never moves 0 in or out


def test_values_outside_the_range_are_refused():
    with pytest.raises(ValueError, match=r"outside its value_range \[0, 1\]"):
        rate_difference(ZEROS + 2.0, ZEROS)
    with pytest.raises(ValueError, match="low < high"):
        paired_mean_difference(ZEROS, ZEROS, value_range=(1.0, 0.0))


def test_every_rate_table_keeps_its_intervals_in_range():
    values = {
        "never": ZEROS,
        "always": ONES,
        "often": looped([0.75, 0.875, 1.0]),
        "some": looped([0.1, 0.3, 0.4]),
    }
    table = metric_comparisons(values, value_range=RATE_RANGE, n_resamples=RESAMPLES)
    for pair in table["pairs"]:
        assert -1.0 <= pair["low"] <= pair["difference"] <= pair["high"] <= 1.0
        if pair["separable"]:  # separable implies the interval excludes 0, never the other way round
            assert not pair["low"] <= 0.0 <= pair["high"]


# --- what a table can show at all -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "resamples", "floor"), [(3, 10_000, 0.25), (13, 10_000, 2 / 8192), (20, 199, 0.01)]
)
def test_the_floor_is_the_smallest_p_the_sign_flip_test_returns(units, resamples, floor):
    assert sign_flip_floor(units, resamples) == pytest.approx(floor)
    assert sign_flip_test(np.arange(1.0, units + 1), n_resamples=resamples) == pytest.approx(floor)


@pytest.mark.parametrize(
    ("units", "pairs", "expected"),
    [
        (3, 6, (0.25, 1.0, False, 8)),  # 6 · 2/8 caps at 1
        (7, 6, (2 / 128, 6 * 2 / 128, False, 8)),  # 0.094
        (8, 6, (2 / 256, 6 * 2 / 256, True, 8)),  # 0.047 < 0.05
        (5, 1, (2 / 32, 2 / 32, False, 6)),  # one pair: 2/32 = 0.0625, 2/64 = 0.031
        (64, 300, (2 / 10_001, 300 * 2 / 10_001, False, None)),  # too many pairs for 10,000 patterns
    ],
)
def test_attainable_by_hand(units, pairs, expected):
    found = attainable(units, pairs, 0.05, 10_000)
    got = (found["smallest_p"], found["smallest_p_holm"], found["can_separate"], found["units_needed"])
    assert got == pytest.approx(expected)
    assert found["units"] == units and found["sign_flip_resamples"] == 10_000


def test_three_chunks_cannot_separate_generators_0_83_bpc_apart():
    # likelihood.max_test_chars = 30000 with 10,000-character chunks: the case that showed a tie
    chars = np.full(3, 10_000.0)
    text = np.array([-0.1, 0.0, 0.1])
    nll = {
        name: (bpc + text + 0.01 * np.arange(3)[:, None]) * chars * np.log(2)
        for name, bpc in {"a": 1.5, "b": 2.33, "c": 2.4, "d": 2.6}.items()
    }
    table = bpc_comparisons(nll, chars, n_resamples=RESAMPLES)
    assert (table["units"], table["smallest_p"], table["can_separate"], table["units_needed"]) == (
        3,
        0.25,
        False,
        8,
    )
    assert all(pair["p_value"] >= 0.25 and not pair["separable"] for pair in table["pairs"])
    assert [g["rank"] for g in table["generators"]] == ["1="] * 4
    assert table["pairs"][0]["high"] < 0.0  # the t interval alone would call a − b clear: hence the note


def test_rate_tables_record_their_shared_prompts():
    table = metric_comparisons({"a": looped([0.2], 5), "b": looped([1.0], 5)}, n_resamples=RESAMPLES)
    assert (table["units"], table["smallest_p"], table["can_separate"]) == (5, 2 / 32, False)
