"""Families of pairwise comparisons: Holm's adjustment, tie-aware ranks and the comparisons table.

One family is one table: every pair of generators on one metric (bpc, or one per-continuation
metric at one temperature). Pairs are compared by ``significance``'s paired tests, their p-values
adjusted by Holm's step-down procedure, and generators ranked so that those not separable share a
rank. A table also says whether it could separate anything at all: the sign-flip test's smallest p
(``significance.sign_flip_floor``), times the number of pairs for Holm, must be below α, which takes
a minimum number of units. Every number returned is a Python float, int, bool, str or None
(JSON-ready).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from benchmarks.metrics.significance import (
    DEFAULT_RESAMPLES,
    PairedDifference,
    mean_sd,
    paired_bpc_difference,
    paired_mean_difference,
    per_seed_bpc,
    sign_flip_floor,
)

Compare = Callable[[np.ndarray, np.ndarray], PairedDifference]


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (Holm 1979, Scand. J. Statist. 6:65–70).

    With the m p-values sorted p_(1) ≤ … ≤ p_(m), adjusted p_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j))
    (Wright 1992, "Adjusted P-values for simultaneous inference", Biometrics 48:1005–1013): rejecting
    where adjusted p < α is Holm's procedure, controlling the family-wise error rate at α. Monotone in
    the raw p-values; equal raw p-values get equal adjusted ones.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}")
    if np.any(np.isnan(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("every p-value must lie in [0, 1]")
    order = np.argsort(p, kind="stable")
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.empty(len(p))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return [float(value) for value in adjusted]


def tie_aware_ranks(
    estimates: Mapping[str, float],
    adjusted_p: Mapping[tuple[str, str], float],
    *,
    alpha: float = 0.05,
    higher_is_better: bool = False,
) -> dict[str, str]:
    """A rank label per generator, best first: "1=", "1=", "3".

    rank(g) = 1 + the number of generators h with a better point estimate than g whose adjusted
    p-value against g is below alpha (h is *significantly* better than g). The label is the rank,
    followed by "=" when another generator has the same rank. Generators not separable from every
    better one share rank 1; a chain a ≈ b, b ≈ c, a < c gives a "1=", b "1=", c "2" (only a is
    significantly better than c). ``adjusted_p`` holds every pair, keyed (g, h) in either order.
    """
    _check_alpha(alpha)
    if not estimates or not all(math.isfinite(value) for value in estimates.values()):
        raise ValueError("tie_aware_ranks needs at least one generator, every estimate finite")
    sign = -1.0 if higher_is_better else 1.0
    better = {g: [h for h in estimates if sign * estimates[h] < sign * estimates[g]] for g in estimates}
    separated = {(g, h): _pair_p(adjusted_p, g, h) < alpha for g in estimates for h in estimates if g != h}
    ranks = {g: 1 + sum(separated[g, h] for h in better[g]) for g in estimates}
    order = sorted(estimates, key=lambda g: (ranks[g], sign * estimates[g]))
    counts = {rank: list(ranks.values()).count(rank) for rank in ranks.values()}
    return {g: f"{ranks[g]}{'=' if counts[ranks[g]] > 1 else ''}" for g in order}


def bpc_comparisons(
    nll: Mapping[str, ArrayLike],
    chars: ArrayLike,
    *,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """The comparisons table of bpc for ``nll[generator][seed, chunk]`` (nats) and ``chars[chunk]``.

    Lower is better. See ``comparisons`` for the layout.
    """
    compare = partial(
        paired_bpc_difference, chars=chars, confidence=confidence, n_resamples=n_resamples, seed=seed
    )
    return comparisons(nll, partial(per_seed_bpc, chars=chars), compare, alpha=alpha, n_resamples=n_resamples)


def metric_comparisons(
    values: Mapping[str, ArrayLike],
    *,
    higher_is_better: bool = False,
    value_range: tuple[float, float] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """The comparisons table of a per-continuation metric ``values[generator][seed, prompt]``.

    One metric at one temperature (loop rate, seq-rep-4, Self-BLEU-4: lower is better by default).
    ``value_range`` bounds every value (``significance.RATE_RANGE`` for a rate), and every interval
    of a difference then stays within what two such means can differ by.
    """
    compare = partial(
        paired_mean_difference,
        value_range=value_range,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    return comparisons(
        values,
        lambda x: x.mean(axis=1),
        compare,
        alpha=alpha,
        higher_is_better=higher_is_better,
        n_resamples=n_resamples,
    )


def comparisons(
    arrays: Mapping[str, ArrayLike],
    per_seed: Callable[[np.ndarray], np.ndarray],
    compare: Compare,
    *,
    alpha: float = 0.05,
    higher_is_better: bool = False,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Any]:
    """Every pair of generators compared, Holm-adjusted as one family, and the generators ranked.

    ``per_seed`` maps a [seed, unit] array to per-seed estimates; ``compare(a, b)`` is a paired test
    whose sign-flip part draws ``n_resamples`` patterns. Returns ``{"alpha", "higher_is_better",
    "generators": [...], "pairs": [...], **attainable(...)}``. Generators are listed best first by
    point estimate (the mean of the per-seed estimates; ties keep the input order), each with its
    estimate, seed_sd (None for one seed), seeds and rank label. Pairs follow that order, (1st, 2nd),
    (1st, 3rd), …, (2nd, 3rd), …, so a is the better (or equal) one: difference (a − b), low/high,
    p_value, p_t, p_sign_flip, df, p_holm and separable (p_holm < alpha).
    """
    _check_alpha(alpha)
    checked = _same_shaped(arrays)
    sign = -1.0 if higher_is_better else 1.0
    summaries = {name: mean_sd(per_seed(x)) for name, x in checked.items()}
    order = sorted(checked, key=lambda name: sign * summaries[name][0])
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    results = [compare(checked[a], checked[b]) for a, b in pairs]
    adjusted = holm_adjust([result.p_value for result in results])
    rows = [
        {"a": a, "b": b, **asdict(result), "p_holm": p_holm, "separable": p_holm < alpha}
        for (a, b), result, p_holm in zip(pairs, results, adjusted, strict=True)
    ]
    estimates = {name: summaries[name][0] for name in order}
    ranks = tie_aware_ranks(
        estimates, dict(zip(pairs, adjusted, strict=True)), alpha=alpha, higher_is_better=higher_is_better
    )
    generators = [
        {
            "generator": name,
            "estimate": summaries[name][0],
            "seed_sd": summaries[name][1],
            "seeds": int(checked[name].shape[0]),
            "rank": ranks[name],
        }
        for name in order
    ]
    units = next(iter(checked.values())).shape[1]
    return {
        "alpha": alpha,
        "higher_is_better": higher_is_better,
        "generators": generators,
        "pairs": rows,
        **attainable(units, len(pairs), alpha, n_resamples),
    }


def attainable(units: int, pairs: int, alpha: float, n_resamples: int = DEFAULT_RESAMPLES) -> dict[str, Any]:
    """What a table of ``pairs`` pairs over ``units`` shared units can show, whatever the data.

    ``smallest_p``: no pair's p is below it (the sign-flip floor); ``smallest_p_holm``: no pair's
    Holm-adjusted p is below it (Holm multiplies the smallest p by the number of pairs);
    ``can_separate``: smallest_p_holm < alpha; ``units_needed``: the fewest units with which it
    could (None when no number of units could, because ``n_resamples`` sets the floor);
    ``sign_flip_resamples``: the random sign patterns the test draws past 2^units > n_resamples.
    """
    _check_alpha(alpha)
    family = max(pairs, 1)
    smallest_holm = min(1.0, family * sign_flip_floor(units, n_resamples))
    candidates = range(2, 2 + n_resamples.bit_length())  # past 2^u > n_resamples the floor stays put
    needed = next((u for u in candidates if family * sign_flip_floor(u, n_resamples) < alpha), None)
    return {
        "units": units,
        "smallest_p": sign_flip_floor(units, n_resamples),
        "smallest_p_holm": smallest_holm,
        "can_separate": smallest_holm < alpha,
        "units_needed": needed,
        "sign_flip_resamples": n_resamples,
    }


def _same_shaped(arrays: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """The arrays as float64, after checking they are finite, 2-D [seed, unit] and of one shape."""
    if not arrays:
        raise ValueError("comparisons need at least one generator")
    checked = {name: np.asarray(x, dtype=np.float64) for name, x in arrays.items()}
    shape = next(iter(checked.values())).shape
    for name, x in checked.items():
        if x.ndim != 2 or x.shape != shape or x.size == 0:
            raise ValueError(
                f"{name!r} has shape {x.shape}; every generator needs one 2-D [seed, unit] shape"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name!r} has NaN or infinite entries")
    return checked


def _pair_p(adjusted_p: Mapping[tuple[str, str], float], g: str, h: str) -> float:
    for key in ((g, h), (h, g)):
        if key in adjusted_p:
            return float(adjusted_p[key])
    raise ValueError(f"no adjusted p-value for the pair ({g!r}, {h!r})")


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
