"""Significance: checks against scipy.stats, constructed cases, the comparisons tables, validation.

Holm's adjustment and the ranks are tested in test_ranking.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

import benchmarks.metrics.significance as significance
from benchmarks.metrics import (
    bootstrap_ci,
    bpc_comparisons,
    bpc_interval,
    holm_adjust,
    mean_interval,
    mean_sd,
    metric_comparisons,
    paired_bpc_difference,
    paired_mean_difference,
    per_seed_bpc,
    sign_flip_test,
    tie_aware_ranks,
)

LN2 = math.log(2)
CHUNKS = 53


def _chars(chunks: int = CHUNKS) -> np.ndarray:
    chars = np.full(chunks, 10_000.0)
    chars[-1] = 1_538.0  # the test split's remainder chunk
    return chars


def _nll(rng, bpc, *, seeds=1, chunk_sd=0.15, seed_sd=0.0, chunks=CHUNKS, text=None):
    """nll[seed, chunk] in nats for a mean bpc, a per-chunk spread and a per-seed offset (all in bpc)."""
    text = rng.standard_normal(chunks) if text is None else text
    per_cell = bpc + chunk_sd * text + seed_sd * rng.standard_normal((seeds, 1))
    per_cell = per_cell + 0.02 * rng.standard_normal((seeds, chunks))  # seed × chunk interaction
    return per_cell * _chars(chunks) * LN2


# --- mean_sd ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[2.1, 2.3, 2.2], [1.0, 4.0], np.linspace(0, 1, 7)])
def test_mean_sd_matches_numpy_and_scipy(values):
    mean, sd = mean_sd(values)
    assert mean == pytest.approx(np.mean(values), rel=1e-15)
    assert sd == pytest.approx(np.std(values, ddof=1), rel=1e-15)
    assert sd == pytest.approx(stats.tstd(values), rel=1e-12)
    assert type(mean) is float and type(sd) is float


def test_mean_sd_of_one_seed_has_no_sd():
    assert mean_sd([2.5]) == (2.5, None)


def test_per_seed_bpc_is_each_seeds_ratio():
    nll = np.array([[2.0, 4.0], [6.0, 8.0]]) * LN2
    assert per_seed_bpc(nll, [1.0, 2.0]) == pytest.approx([2.0, 14.0 / 3.0])


# --- the pigeonhole bootstrap interval ------------------------------------------------------------


def test_one_seed_bpc_interval_is_the_chunk_bootstrap():
    nll = _nll(np.random.default_rng(1), 2.1)
    low, high = bootstrap_ci(nll[0], _chars(), n_resamples=2_000, seed=5)
    assert bpc_interval(nll, _chars(), n_resamples=2_000, seed=5) == pytest.approx(
        (low / LN2, high / LN2), rel=1e-12
    )


@pytest.mark.parametrize("kind", ["bpc", "mean"])
def test_one_seed_interval_matches_scipy_percentile_bootstrap(kind):
    rng = np.random.default_rng(2)
    if kind == "bpc":
        nll, chars = _nll(rng, 2.1), _chars()
        ours = bpc_interval(nll, chars, n_resamples=20_000, seed=0)
        data = (nll[0], chars)

        def statistic(n, c, axis):
            return n.sum(axis=axis) / c.sum(axis=axis) / LN2
    else:
        values = rng.exponential(0.2, size=(1, 64))  # skewed, like seq-rep-4
        ours = mean_interval(values, n_resamples=20_000, seed=0)
        data = (values[0],)

        def statistic(x, axis):
            return x.mean(axis=axis)

    theirs = stats.bootstrap(
        data, statistic, paired=True, vectorized=True, method="percentile", n_resamples=20_000, rng=1
    ).confidence_interval
    width = theirs.high - theirs.low
    assert ours[0] == pytest.approx(theirs.low, abs=0.03 * width)  # Monte Carlo error ~0.6% of width
    assert ours[1] == pytest.approx(theirs.high, abs=0.03 * width)


def test_interval_resamples_the_same_chunks_for_every_seed():
    # Three identical seeds: the text error is shared, so the interval is as wide as one seed's.
    # Independent chunk draws per seed would shrink it by about 1/sqrt(3).
    nll = _nll(np.random.default_rng(3), 2.1)
    one = bpc_interval(nll, _chars(), n_resamples=4_000)
    three = bpc_interval(np.repeat(nll, 3, axis=0), _chars(), n_resamples=4_000)
    assert (three[1] - three[0]) / (one[1] - one[0]) == pytest.approx(1.0, abs=0.08)


def test_interval_widens_with_seed_variance_and_holds_the_estimate():
    rng = np.random.default_rng(4)
    text = rng.standard_normal(CHUNKS)
    steady = _nll(rng, 2.1, seeds=5, text=text)
    varied = _nll(rng, 2.1, seeds=5, seed_sd=0.1, text=text)
    for nll in (steady, varied):
        low, high = bpc_interval(nll, _chars(), n_resamples=2_000)
        assert low < per_seed_bpc(nll, _chars()).mean() < high
    narrow, wide = (bpc_interval(x, _chars(), n_resamples=2_000) for x in (steady, varied))
    assert wide[1] - wide[0] > 1.5 * (narrow[1] - narrow[0])


def test_resampling_is_deterministic_for_a_seed_and_independent_of_blocks(monkeypatch):
    import benchmarks.metrics.likelihood as likelihood

    nll = _nll(np.random.default_rng(5), 2.1, seeds=3, seed_sd=0.03)
    d = np.random.default_rng(6).standard_normal(40)
    first = bpc_interval(nll, _chars(), n_resamples=500, seed=7)
    flip = sign_flip_test(d, n_resamples=500, seed=7)
    assert first == bpc_interval(nll, _chars(), n_resamples=500, seed=7)
    assert first != bpc_interval(nll, _chars(), n_resamples=500, seed=8)
    monkeypatch.setattr(likelihood, "BLOCK_ELEMENTS", CHUNKS * 7)  # 7 resamples per block
    monkeypatch.setattr(significance, "BLOCK_ELEMENTS", CHUNKS * 7)
    assert bpc_interval(nll, _chars(), n_resamples=500, seed=7) == pytest.approx(first, rel=1e-12)
    assert sign_flip_test(d, n_resamples=500, seed=7) == flip
    monkeypatch.setattr(significance, "BLOCK_ELEMENTS", 10 * 5)
    exact = sign_flip_test(d[:10], n_resamples=1024)  # every pattern, drawn in blocks of 5
    monkeypatch.undo()
    assert exact == sign_flip_test(d[:10], n_resamples=1024)


# --- the sign-flip test ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "differences",
    [
        np.random.default_rng(7).standard_normal(10) + 0.5,
        np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),  # 0/1 loop flags, ties
        np.array([0.3, -0.3, 0.3, -0.3, 0.1, -0.1]),  # statistic exactly 0
    ],
)
def test_exact_sign_flip_matches_scipy_permutation_test(differences):
    # scipy flips each pair (x_i, y_i): the same null distribution as flipping d_i = x_i - y_i
    x = np.random.default_rng(8).standard_normal(len(differences))
    res = stats.permutation_test(
        (x + differences, x),
        lambda a, b, axis: (a - b).sum(axis=axis),
        permutation_type="samples",
        n_resamples=np.inf,
    )
    assert sign_flip_test(differences, n_resamples=2 ** len(differences)) == pytest.approx(
        res.pvalue, abs=1e-12
    )


def test_bpc_sign_flip_uses_the_weighted_statistic_scipy_sees():
    rng = np.random.default_rng(9)
    chars = _chars(12)
    a, b = _nll(rng, 2.1, chunks=12), _nll(rng, 2.13, chunks=12)
    res = stats.permutation_test(
        (a[0], b[0]),
        lambda x, y, axis: (x - y).sum(axis=axis) / chars.sum() / LN2,
        permutation_type="samples",
        n_resamples=np.inf,
    )
    assert paired_bpc_difference(a, b, chars, n_resamples=4096).p_sign_flip == pytest.approx(
        res.pvalue, abs=1e-12
    )


def test_monte_carlo_sign_flip_is_close_to_scipy():
    d = np.random.default_rng(10).standard_normal(30)
    d = d - d.mean() + 0.4  # t ≈ 2
    res = stats.permutation_test(
        (d,), lambda x, axis: x.sum(axis=axis), permutation_type="samples", n_resamples=20_000, rng=0
    )
    assert 0.01 < res.pvalue < 0.3
    assert sign_flip_test(d, n_resamples=20_000) == pytest.approx(res.pvalue, abs=0.01)


def test_sign_flip_on_binary_outcomes_is_the_exact_mcnemar_test():
    # 5 prompts loop for a and none for b, among 64: exact two-sided binomial p = 2 / 2^5
    a = np.zeros((1, 64))
    a[0, :5] = 1.0
    result = paired_mean_difference(a, np.zeros((1, 64)))
    assert result.p_sign_flip == pytest.approx(stats.binomtest(5, 5).pvalue, abs=0.008)  # 0.0625
    assert result.p_t < 0.05  # the t approximation alone would call this separable
    assert result.p_value == result.p_sign_flip


# --- the two-level paired test --------------------------------------------------------------------


@pytest.mark.parametrize("shift", [0.03, 0.06, 0.09])
def test_one_seed_paired_test_is_ttest_rel(shift):
    rng = np.random.default_rng(11)
    a = rng.standard_normal((1, 800))
    b = a + shift + rng.standard_normal((1, 800))
    result = paired_mean_difference(a, b)
    ttest = stats.ttest_rel(a[0], b[0])
    interval = ttest.confidence_interval()
    assert result.difference == pytest.approx(np.mean(a - b), rel=1e-12)
    assert result.p_t == pytest.approx(ttest.pvalue, rel=1e-9)
    assert (result.low, result.high) == pytest.approx((interval.low, interval.high), rel=1e-9)
    assert result.df == ttest.df
    assert 1e-4 < ttest.pvalue < 0.5
    assert result.p_value == pytest.approx(ttest.pvalue, abs=0.01)  # the sign flip agrees on normal data


def test_without_text_noise_the_paired_test_is_ttest_rel_over_seeds():
    # every chunk of a seed differs by the same bpc: only the seeds carry uncertainty
    chars = _chars()
    offsets = np.array([-0.04, -0.01, -0.03, -0.05])
    b = _nll(np.random.default_rng(12), 2.1, seeds=4)
    a = b + offsets[:, None] * chars * LN2
    result = paired_bpc_difference(a, b, chars)
    ttest = stats.ttest_rel(per_seed_bpc(a, chars), per_seed_bpc(b, chars))
    assert result.difference == pytest.approx(offsets.mean(), rel=1e-9)
    assert result.p_t == pytest.approx(ttest.pvalue, rel=1e-6)
    assert result.df == pytest.approx(3.0)
    assert result.p_value == result.p_t  # every chunk points the same way: the sign flip is ~0


@pytest.mark.parametrize("seeds", [1, 3])
def test_identical_generators_are_always_tied(seeds):
    rng = np.random.default_rng(13)
    for _ in range(5):
        nll = _nll(rng, 2.1, seeds=seeds, seed_sd=0.05)
        result = paired_bpc_difference(nll, nll.copy(), _chars(), n_resamples=500)
        assert (result.difference, result.low, result.high, result.p_value) == (0.0, 0.0, 0.0, 1.0)
        table = bpc_comparisons({"a": nll, "b": nll.copy()}, _chars(), n_resamples=500)
        assert [g["rank"] for g in table["generators"]] == ["1=", "1="]
        assert table["pairs"][0]["separable"] is False


@pytest.mark.parametrize("seeds", [1, 3, 5])
def test_a_clearly_better_generator_is_always_separated(seeds):
    rng = np.random.default_rng(14)
    for _ in range(10):
        text = rng.standard_normal(CHUNKS)  # both models find the same chunks hard
        better = _nll(rng, 1.9, seeds=seeds, seed_sd=0.01, text=text)
        worse = _nll(rng, 2.1, seeds=seeds, seed_sd=0.01, text=text)
        result = paired_bpc_difference(better, worse, _chars(), n_resamples=2_000)
        assert result.difference == pytest.approx(-0.2, abs=0.05)
        assert result.high < 0.0
        assert result.p_value < 0.01


def test_the_paired_test_holds_its_size_with_three_seeds_where_the_bootstrap_does_not():
    # null true, seed-to-seed variation dominating the text's: the combined test keeps ~5%, while
    # the pigeonhole bootstrap interval of the difference excludes 0 far too often (module docstring)
    rng = np.random.default_rng(15)
    rejected = excluded = 0
    trials = 300
    for _ in range(trials):
        d = (
            3.0 * rng.standard_normal((3, 1))
            + rng.standard_normal((1, CHUNKS))
            + rng.standard_normal((3, CHUNKS))
        )
        rejected += paired_mean_difference(d, np.zeros_like(d), n_resamples=199).p_value < 0.05
        low, high = mean_interval(d, n_resamples=400)
        excluded += not low <= 0.0 <= high
    assert rejected / trials < 0.09
    assert excluded / trials > 0.15


# --- the comparisons table ------------------------------------------------------------------------


def test_bpc_comparisons_table():
    rng = np.random.default_rng(16)
    text = rng.standard_normal(CHUNKS)
    tied = _nll(rng, 2.1, seeds=3, seed_sd=0.01, text=text)
    nll = {"tied-1": tied, "best": _nll(rng, 1.9, seeds=3, seed_sd=0.01, text=text), "tied-2": tied.copy()}
    table = bpc_comparisons(nll, _chars(), n_resamples=1_000)
    assert json.loads(json.dumps(table, allow_nan=False)) == table  # plain, JSON-ready values
    assert [g["generator"] for g in table["generators"]] == ["best", "tied-1", "tied-2"]
    assert [g["rank"] for g in table["generators"]] == ["1", "2=", "2="]
    assert [(r["a"], r["b"]) for r in table["pairs"]] == [
        ("best", "tied-1"),
        ("best", "tied-2"),
        ("tied-1", "tied-2"),
    ]
    assert table["generators"][0]["estimate"] == pytest.approx(per_seed_bpc(nll["best"], _chars()).mean())
    assert table["generators"][0]["seeds"] == 3
    assert holm_adjust([r["p_value"] for r in table["pairs"]]) == [r["p_holm"] for r in table["pairs"]]
    assert [r["separable"] for r in table["pairs"]] == [True, True, False]
    assert all(r["difference"] < 0 for r in table["pairs"][:2])  # a is the better one: lower bpc
    assert all(type(r["p_holm"]) is float and type(r["df"]) in (float, type(None)) for r in table["pairs"])


def test_metric_comparisons_orient_by_direction():
    rng = np.random.default_rng(17)
    values = {"low": rng.uniform(0.0, 0.2, (2, 64)), "high": rng.uniform(0.5, 0.7, (2, 64))}
    lower = metric_comparisons(values, n_resamples=500)
    higher = metric_comparisons(values, higher_is_better=True, n_resamples=500)
    assert lower["pairs"][0]["a"] == "low" and higher["pairs"][0]["a"] == "high"
    assert lower["pairs"][0]["difference"] == pytest.approx(-higher["pairs"][0]["difference"])
    assert lower["generators"][0]["seed_sd"] == pytest.approx(np.std(values["low"].mean(axis=1), ddof=1))
    assert metric_comparisons({"only": values["low"]})["generators"][0]["rank"] == "1"


# --- validation -----------------------------------------------------------------------------------

GOOD = np.ones((2, 5))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_mean_difference(GOOD, np.ones((2, 4))), "same"),  # mismatched chunk counts
        (lambda: paired_mean_difference(GOOD, np.ones((3, 5))), "same"),  # mismatched seed counts
        (lambda: paired_bpc_difference(GOOD, GOOD, np.ones(4)), "one entry per unit"),
        (lambda: paired_bpc_difference(GOOD, GOOD, [1, 1, 0, 1, 1]), "positive"),
        (lambda: paired_mean_difference(np.ones((0, 5)), np.ones((0, 5))), ">= 1 seed"),
        (lambda: paired_mean_difference(np.ones(5), np.ones(5)), "2-D"),
        (lambda: paired_mean_difference(np.where(np.eye(2, 5), np.nan, 1.0), GOOD), "NaN"),
        (lambda: paired_mean_difference(GOOD, GOOD, confidence=1.0), "confidence"),
        (lambda: bpc_interval(np.ones((2, 1)), [1.0]), ">= 2 units"),
        (lambda: bpc_interval(GOOD, np.ones(5), n_resamples=0), "n_resamples"),
        (lambda: mean_interval([[1.0, math.inf]]), "NaN or infinite"),
        (lambda: mean_sd([]), "non-empty"),
        (lambda: mean_sd([1.0, math.nan]), "NaN"),
        (lambda: sign_flip_test([1.0]), "at least two"),
        (lambda: sign_flip_test([1.0, 2.0], n_resamples=0), "n_resamples"),
        (lambda: metric_comparisons({}), "at least one generator"),
        (lambda: metric_comparisons({"a": GOOD, "b": np.ones((2, 4))}), "'b' has shape"),
        (lambda: metric_comparisons({"a": GOOD, "b": np.full((2, 5), np.nan)}), "'b' has NaN"),
        (lambda: metric_comparisons({"a": GOOD}, alpha=0.0), "alpha"),
        (lambda: tie_aware_ranks({"a": math.nan, "b": 1.0}, {("a", "b"): 0.5}), "finite"),
        (lambda: tie_aware_ranks({"a": 1.0}, {}, alpha=1.0), "alpha"),
    ],
)
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
