"""Sampling one follower from n-gram counts, with numpy only (markov needs no torch to sample).

:func:`sampling_probs` is the numpy twin of :func:`generators.sampling.next_token_probs` for one
row (tested equal to 1e-12); :func:`choose` picks from a markovify follower list's cumulative
counts with one uniform, by inverse CDF.
"""

from __future__ import annotations

import bisect

import numpy as np

from generators.base import Sampling


def sampling_probs(logits: np.ndarray, sampling: Sampling) -> np.ndarray:
    """numpy twin of generators.sampling.next_token_probs for one row: (V,) logits -> (V,) probs."""
    if sampling.greedy:
        probs = np.zeros(len(logits))
        probs[np.argmax(logits)] = 1.0
        return probs
    logits = logits / sampling.temperature
    if 0 < sampling.top_k < len(logits):
        kept = np.zeros(len(logits), dtype=bool)
        kept[np.argsort(-logits, kind="stable")[: sampling.top_k]] = True  # ties: the first ones, as argmax
        logits = np.where(kept, logits, -np.inf)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    if sampling.top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        sorted_probs = probs[order]
        mass_before = np.cumsum(sorted_probs) - sorted_probs
        drop = np.empty(len(probs), dtype=bool)
        drop[order] = mass_before >= sampling.top_p  # keeps at least the most likely token
        probs = np.where(drop, 0.0, probs)
        probs /= probs.sum()
    return probs


def choose(cumulative: list[int], sampling: Sampling, rng: np.random.Generator) -> int:
    """Pick a follower from its cumulative counts: argmax when greedy (first on ties), else inverse CDF.

    Plain sampling (T = 1, no top-k/top-p) searches ``u · total`` in the integer cumulative counts,
    which is the same distribution as softmax(log count) without the float round trip.
    """
    if sampling.greedy:
        counts = np.diff(cumulative, prepend=0)
        return int(np.argmax(counts))
    u = rng.random()
    if sampling.temperature == 1 and sampling.top_k == 0 and sampling.top_p == 1:
        return min(bisect.bisect_right(cumulative, u * cumulative[-1]), len(cumulative) - 1)
    logits = np.log(np.diff(np.asarray(cumulative, dtype=np.float64), prepend=0.0))
    cdf = np.cumsum(sampling_probs(logits, sampling))
    return min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(cdf) - 1)
