"""Uncertainty over training seeds and test text: intervals and paired tests of differences.

Every array is laid out ``[seed, unit]``: a unit is a test-split chunk (bpc) or a prompt (per-
continuation metrics). The design is *crossed*: every seed is scored on the same units, and two
generators are paired by seed index and by unit. A generator's estimate is the ratio

    estimate = scale · Σ_s Σ_u x[s, u] / (S · Σ_u w[u])

(x = chunk NLL, w = chunk characters, scale = 1/ln 2 for bpc; w = 1, scale = 1 for the mean of a
per-continuation metric), which is the mean over seeds of the per-seed estimates.

**Intervals of one generator** (``bpc_interval``, ``mean_interval``): the pigeonhole bootstrap for
crossed arrays (Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat. 1:386–411). A resample
draws S seeds and U units with replacement and keeps every (drawn seed, drawn unit) cell: the *same*
unit indices serve every drawn seed, because the text is shared by all seeds and its error does not
average out over them; drawing units independently per seed would treat the text as nested within
seeds and shrink its variance by about 1/S. Percentile interval (Efron & Tibshirani 1993, An
Introduction to the Bootstrap, ch. 13). With one seed it is exactly today's chunk bootstrap. With
a few seeds its seed level is too narrow (below), so show the seeds' mean ± SD (``mean_sd``) beside it.

**Paired differences** (``paired_bpc_difference``, ``paired_mean_difference``): for d = x_a − x_b,
Δ = scale · Σd / (S Σw) = mean over seeds of Δ_s = scale · Σ_u d[s, u] / Σw, and
Var(Δ) ≈ V_seed + V_text, as in a two-way crossed random-effects layout:

- V_seed = var(Δ_s, ddof=1) / S with S − 1 degrees of freedom (0 when S = 1);
- V_text = scale² · U/(U − 1) · Σ_u (D_u − Δ/scale · w_u)² / (Σw)² with U − 1 degrees of freedom:
  the linearised variance of a ratio estimate (Cochran 1977, Sampling Techniques, §6.3) of the
  seed-averaged unit differences D_u = mean_s d[s, u].

The seed×unit interaction noise is counted in both parts, so the variance errs on the large side, as
the pigeonhole bootstrap's does (Owen 2007). t = Δ/√V with Welch–Satterthwaite degrees of freedom
df = V² / (V_seed²/(S − 1) + V_text²/(U − 1)) (Satterthwaite 1946, Biometrics Bull. 2:110–114;
Welch 1947, Biometrika 34:28–35) gives p_t (two-sided) and the interval Δ ± t_df · √V. With S = 1
and w = 1 this is exactly ``scipy.stats.ttest_rel`` over units; with no text noise, ``ttest_rel``
over the per-seed values. The second p-value, ``sign_flip_test`` on D_u, is exact at the text level
given the trained seeds and guards the t where its normal approximation is poor (a 0/1 metric with
few discordant prompts). The reported p-value is max(p_t, p_sign_flip), valid whenever p_t is, as
P(max ≤ α) ≤ P(p_t ≤ α). Identical inputs give Δ = 0 and p = 1.

**The smallest p** (``sign_flip_floor``): the sign-flip p-value is never below 2/2^U when it
enumerates all 2^U sign patterns (U ≤ 13 units at 10,000 resamples), else 2/(N + 1) for N random
patterns (no pattern as extreme as the data). So neither is the reported p, however large the
difference: with 3 test chunks no p is below 0.25. Holm's correction multiplies a table's smallest p
by its m pairs, so a table separates nothing when m · floor ≥ α, whatever the data.

**Differences of bounded values** (``value_range``): per-unit values in [lo, hi] (a rate's 0/1
outcomes; seq-rep-4 and Self-BLEU-4 in [0, 1]) have a difference in [lo − hi, hi − lo], and the t
interval is cut to that range: the confidence set of the t-test restricted to the values the
difference can take. The cut keeps the coverage, as the true difference lies in the range
(Mandelkern 2002, "Setting confidence intervals for bounded parameters", Statist. Sci.
17:149–172), and keeps "0 lies outside the interval" equivalent to p_t < 1 − confidence. A percentile
bootstrap stays in range too, but it would not agree with the test that decides "separable", and
at three seeds it excludes 0 far too often under the null (below).

**Why not a bootstrap or sign-flip test over seeds?** Simulated under the null with 53 units and
seed variance dominating, the pigeonhole bootstrap's 95% interval of the difference excluded 0 in
23–26% of datasets at S = 3 and 16–19% at S = 5: resampling 3 seeds only reshuffles 3 values (10
multisets). An exact seed-level sign flip has 2^S patterns (p ≥ 0.25 at S = 3). The two-level
test above rejected 3–8%: it pays, through df, for estimating the seed variance from S − 1
degrees of freedom, assuming roughly normal per-seed results. With one seed nothing measures seed
variance: intervals and tests are then conditional on the trained models (do *these* models differ
on text like the test split?), not on what other trainings would do.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from benchmarks.metrics.likelihood import BLOCK_ELEMENTS, LN2, percentile_interval, resampled_ratios

DEFAULT_RESAMPLES = 10_000
RATE_RANGE = (0.0, 1.0)  # the values a per-prompt rate takes (0/1 outcomes and their means)
TIE_TOLERANCE = 100 * float(np.finfo(np.float64).eps)  # relative; scipy.stats.permutation_test's rule


@dataclass(frozen=True)
class PairedDifference:
    """A paired comparison of generators a and b; every number is a Python float (JSON-ready)."""

    difference: float  # estimate(a) − estimate(b)
    low: float  # two-level t interval of the difference, cut to the range the values allow
    high: float
    p_value: float  # max(p_t, p_sign_flip): what "separable" is decided on
    p_t: float  # two-level paired t, Welch–Satterthwaite degrees of freedom
    p_sign_flip: float  # sign-flip test over the shared units of the seed-averaged differences
    df: float | None  # the t's degrees of freedom; None when every difference is exactly the same


def mean_sd(values: ArrayLike) -> tuple[float, float | None]:
    """Mean and sample standard deviation (ddof = 1) of per-seed values; the SD is None for one seed."""
    x = _finite(values, "values")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {x.shape}")
    return float(x.mean()), (float(x.std(ddof=1)) if x.size > 1 else None)


def per_seed_bpc(nll: ArrayLike, chars: ArrayLike) -> np.ndarray:
    """(S,) bpc of each seed, Σ_chunk nll[s, chunk] / (Σ chars · ln 2); ``mean_sd`` of it gives mean ± SD."""
    x = _crossed(nll, "nll")
    return x.sum(axis=1) / (_weights(chars, x.shape[1]).sum() * LN2)


def bpc_interval(
    nll: ArrayLike,
    chars: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of bpc = Σ nll / (Σ chars · S · ln 2) by the pigeonhole bootstrap.

    ``nll[seed, chunk]`` in nats, ``chars[chunk]``; see the module docstring for the method. With one
    seed the numbers equal ``bootstrap_ci(nll[0], chars, seed=seed)`` divided by ln 2.
    """
    x = _crossed(nll, "nll")
    return _pigeonhole_interval(x, _weights(chars, x.shape[1]), 1.0 / LN2, confidence, n_resamples, seed)


def mean_interval(
    values: ArrayLike, *, confidence: float = 0.95, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of the mean of ``values[seed, prompt]`` by the pigeonhole bootstrap."""
    x = _crossed(values, "values")
    return _pigeonhole_interval(x, np.ones(x.shape[1]), 1.0, confidence, n_resamples, seed)


def paired_bpc_difference(
    nll_a: ArrayLike,
    nll_b: ArrayLike,
    chars: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """bpc(a) − bpc(b) over the same chunks and seeds, paired by seed and chunk (module docstring).

    ``nll_a[seed, chunk]``, ``nll_b[seed, chunk]`` in nats, ``chars[chunk]``: w = chars, scale = 1/ln 2.
    """
    a, b = _pair(nll_a, nll_b)
    return _paired_difference(a, b, _weights(chars, a.shape[1]), 1.0 / LN2, confidence, n_resamples, seed)


def paired_mean_difference(
    values_a: ArrayLike,
    values_b: ArrayLike,
    *,
    value_range: tuple[float, float] | None = None,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """mean(a) − mean(b) of a per-continuation metric ``values[seed, prompt]`` (module docstring; w = 1).

    For the greedy loop rate (0/1 per continuation), seq-rep-4 or Self-BLEU-4 of one temperature's
    cell. Self-BLEU of a text depends on the other texts of its cell, so prompts are only roughly
    independent units for it. ``value_range`` (lo, hi) bounds every value, e.g. ``RATE_RANGE`` for
    a rate: the interval then stays within [lo − hi, hi − lo] (module docstring).
    """
    a, b = _pair(values_a, values_b)
    if value_range is not None:
        _check_range(a, value_range, "a")
        _check_range(b, value_range, "b")
    d = _paired_difference(a, b, np.ones(a.shape[1]), 1.0, confidence, n_resamples, seed)
    if value_range is None:
        return d
    width = value_range[1] - value_range[0]
    return replace(d, low=min(max(d.low, -width), width), high=max(min(d.high, width), -width))


def _paired_difference(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, scale: float, confidence: float, n_resamples: int, seed: int
) -> PairedDifference:
    """The comparison of the module docstring for d = a − b, unit weights w and a scale."""
    _check_confidence(confidence)
    d = a - b
    estimate, low, high, p_t, df = _two_level_t(d, w, scale, confidence)
    p_flip = sign_flip_test(d.mean(axis=0), n_resamples=n_resamples, seed=seed)
    return PairedDifference(estimate, low, high, max(p_t, p_flip), p_t, p_flip, df)


def sign_flip_floor(units: int, n_resamples: int = DEFAULT_RESAMPLES) -> float:
    """The smallest p ``sign_flip_test`` can return for ``units`` differences (module docstring)."""
    if units < 2 or n_resamples < 1:
        raise ValueError(f"need at least two units and one resample, got {units} and {n_resamples}")
    exact = n_resamples >= 2**units
    return min(1.0, 2.0 / 2**units if exact else 2.0 / (n_resamples + 1))


def sign_flip_test(differences: ArrayLike, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> float:
    """Two-sided paired sign-flip (randomization) test that the differences are symmetric about 0.

    Statistic T = Σ_u d_u; its null distribution flips the sign of each d_u (Fisher 1935, The Design
    of Experiments, §21). All 2^U sign patterns when n_resamples ≥ 2^U (exact), else n_resamples
    random ones with the +1 rule of Phipson & Smyth (2010, Stat. Appl. Genet. Mol. Biol. 9:39).
    p = min(1, 2 · min(P(T* ≤ T), P(T* ≥ T))), ties within a relative 100·eps of T counted as equal:
    scipy.stats.permutation_test's definitions for ``permutation_type='samples'``. For differences of
    0/1 outcomes it is the exact McNemar (sign) test, or a Monte Carlo estimate of it.
    """
    d = _finite(differences, "differences")
    if d.ndim != 1 or d.size < 2:
        raise ValueError(f"differences must be 1-D with at least two units, got shape {d.shape}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    observed = float(d.sum())
    gamma = abs(observed) * TIE_TOLERANCE
    exact = n_resamples >= 2**d.size
    less = greater = total = 0
    for signs in _sign_blocks(d.size, exact, n_resamples, np.random.default_rng(seed)):
        null = signs @ d
        less += int(np.count_nonzero(null <= observed + gamma))
        greater += int(np.count_nonzero(null >= observed - gamma))
        total += len(null)
    adjustment = 0 if exact else 1
    return min(1.0, 2.0 * (min(less, greater) + adjustment) / (total + adjustment))


def _sign_blocks(units: int, exact: bool, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Sign matrices (rows, units) of ±1: every pattern once when exact, else n_resamples random rows."""
    count = 2**units if exact else n_resamples
    rows_per_block = max(1, BLOCK_ELEMENTS // units)
    for start in range(0, count, rows_per_block):
        rows = min(rows_per_block, count - start)
        if exact:
            bits = (np.arange(start, start + rows)[:, None] >> np.arange(units)) & 1
        else:
            bits = rng.integers(0, 2, size=(rows, units))
        yield (2 * bits - 1).astype(np.float64)


def _two_level_t(
    d: np.ndarray, w: np.ndarray, scale: float, confidence: float
) -> tuple[float, float, float, float, float | None]:
    """(estimate, low, high, p, df) of the two-level t of the module docstring."""
    seeds, units = d.shape
    total = float(w.sum())
    per_seed = scale * d.sum(axis=1) / total
    estimate = float(per_seed.mean())
    v_seed = float(per_seed.var(ddof=1)) / seeds if seeds > 1 else 0.0
    residual = d.mean(axis=0) - (estimate / scale) * w
    v_text = scale**2 * units / (units - 1) * float(np.sum(residual**2)) / total**2
    variance = v_seed + v_text
    if variance == 0.0:  # every difference is the same multiple of its weight: nothing is uncertain
        return estimate, estimate, estimate, (1.0 if estimate == 0.0 else 0.0), None
    if seeds == 1:
        df = float(units - 1)
    else:
        df = variance**2 / (v_seed**2 / (seeds - 1) + v_text**2 / (units - 1))
    se = math.sqrt(variance)
    half_width = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
    p = float(min(1.0, 2.0 * stats.t.sf(abs(estimate) / se, df)))
    return estimate, estimate - half_width, estimate + half_width, p, float(df)


def _pigeonhole_interval(
    x: np.ndarray, w: np.ndarray, scale: float, confidence: float, n_resamples: int, seed: int
) -> tuple[float, float]:
    _check_confidence(confidence)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    seeds = x.shape[0]
    counts = None if seeds == 1 else _seed_counts(seeds, n_resamples, rng)  # seeds first, then units
    return percentile_interval(scale * resampled_ratios(x, w, n_resamples, rng, counts), confidence)


def _seed_counts(seeds: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    """(rows, seeds) how often each seed is drawn when drawing `seeds` of them with replacement."""
    drawn = rng.integers(0, seeds, size=(rows, seeds)) + seeds * np.arange(rows)[:, None]
    return np.bincount(drawn.ravel(), minlength=rows * seeds).reshape(rows, seeds).astype(np.float64)


def _finite(values: ArrayLike, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has NaN or infinite entries")
    return x


def _crossed(values: ArrayLike, name: str) -> np.ndarray:
    """A finite 2-D [seed, unit] array with at least one seed and two units."""
    x = _finite(values, name)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(
            f"{name} must be 2-D [seed, unit] with >= 1 seed and >= 2 units, got shape {x.shape}"
        )
    return x


def _pair(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, y = _crossed(a, "a"), _crossed(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"paired arrays need the same [seed, unit] shape, got {x.shape} and {y.shape}")
    return x, y


def _weights(weights: ArrayLike, units: int) -> np.ndarray:
    w = _finite(weights, "chars")
    if w.shape != (units,):
        raise ValueError(f"chars must be 1-D with one entry per unit ({units}), got shape {w.shape}")
    if not np.all(w > 0):
        raise ValueError("every chunk needs a positive number of characters")
    return w


def _check_range(x: np.ndarray, value_range: tuple[float, float], name: str) -> None:
    low, high = value_range
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    if np.any((x < low) | (x > high)):
        raise ValueError(f"{name} has values outside its value_range [{low:g}, {high:g}]")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
