"""Ranking: Holm's adjustment by hand, and tie-aware ranks on constructed cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.metrics import holm_adjust, tie_aware_ranks

# --- Holm -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "adjusted"),
    [
        # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
        ([0.01, 0.04, 0.03, 0.005], [0.03, 0.06, 0.06, 0.02]),
        ([0.5, 0.6], [1.0, 1.0]),  # 0.5 x 2 = 1.0 caps, and 0.6 is raised to it
        ([0.02, 0.02, 0.2], [0.06, 0.06, 0.2]),  # equal raw p-values stay equal
        ([0.04], [0.04]),
        ([], []),
    ],
)
def test_holm_by_hand(raw, adjusted):
    assert holm_adjust(raw) == pytest.approx(adjusted, rel=1e-12)


@given(st.lists(st.floats(0.0, 1.0), max_size=12))
def test_holm_is_monotone_bounded_and_not_below_raw(raw):
    adjusted = holm_adjust(raw)
    for p, q in zip(raw, adjusted, strict=True):
        assert p <= q <= 1.0
    for i in range(len(raw)):
        for j in range(len(raw)):
            if raw[i] <= raw[j]:
                assert adjusted[i] <= adjusted[j]


@pytest.mark.parametrize("raw", [[0.1, math.nan], [1.2], [-0.1], [[0.1, 0.2]]])
def test_holm_rejects_values_that_are_not_p_values(raw):
    with pytest.raises(ValueError):
        holm_adjust(raw)


# --- ranks ----------------------------------------------------------------------------------------

ESTIMATES = {"a": 1.9, "b": 2.0, "c": 2.1}


@pytest.mark.parametrize(
    ("p", "ranks"),
    [
        ({("a", "b"): 1.0, ("a", "c"): 0.3, ("b", "c"): 0.6}, {"a": "1=", "b": "1=", "c": "1="}),  # all tied
        (
            {("a", "b"): 0.01, ("a", "c"): 0.001, ("b", "c"): 0.02},
            {"a": "1", "b": "2", "c": "3"},
        ),  # clear order
        ({("a", "b"): 0.2, ("a", "c"): 0.01, ("b", "c"): 0.3}, {"a": "1=", "b": "1=", "c": "2"}),  # chain
        (
            {("a", "b"): 0.4, ("a", "c"): 0.001, ("c", "b"): 0.01},
            {"a": "1=", "b": "1=", "c": "3"},
        ),  # a ≈ b < c
    ],
)
def test_tie_aware_ranks_on_constructed_cases(p, ranks):
    assert tie_aware_ranks(ESTIMATES, p) == ranks
    assert list(tie_aware_ranks(ESTIMATES, p)) == ["a", "b", "c"]  # best first


def test_ranks_follow_the_direction_and_alpha():
    p = {("a", "b"): 0.01, ("a", "c"): 0.001, ("b", "c"): 0.03}
    assert tie_aware_ranks(ESTIMATES, p, higher_is_better=True) == {"c": "1", "b": "2", "a": "3"}
    assert tie_aware_ranks(ESTIMATES, p, alpha=0.02) == {"a": "1", "b": "2=", "c": "2="}  # b ≈ c at 0.02


def test_ranks_need_every_pair():
    with pytest.raises(ValueError, match="no adjusted p-value"):
        tie_aware_ranks(ESTIMATES, {("a", "b"): 0.5, ("a", "c"): 0.5})
