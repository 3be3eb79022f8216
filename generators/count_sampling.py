"""Sampling one follower from n-gram counts, with numpy only (markov needs no torch to sample).

:func:`sampling_probs` is the numpy twin of :func:`generators.sampling.next_token_probs`, row by
row (tested equal to 1e-12); a batch of rows gives each row bit for bit what the row alone gives,
so markov can compute every state's table at once. :func:`choose` picks from a markovify follower
list's cumulative counts with one uniform, by inverse CDF.
"""

from __future__ import annotations

import bisect

import numpy as np

from generators.base import Sampling


def sampling_probs(logits: np.ndarray, sampling: Sampling) -> np.ndarray:
    """numpy twin of generators.sampling.next_token_probs: (..., V) logits -> (..., V) probs."""
    if sampling.greedy:
        probs = np.zeros(logits.shape)
        np.put_along_axis(probs, np.argmax(logits, axis=-1)[..., None], 1.0, axis=-1)
        return probs
    n = logits.shape[-1]
    logits = logits / sampling.temperature
    if 0 < sampling.top_k < n:
        order = np.argsort(-logits, axis=-1, kind="stable")[
            ..., : sampling.top_k
        ]  # ties: the first, as argmax
        kept = np.zeros(logits.shape, dtype=bool)
        np.put_along_axis(kept, order, True, axis=-1)
        logits = np.where(kept, logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    if sampling.top_p < 1.0:
        order = np.argsort(-probs, axis=-1, kind="stable")
        sorted_probs = np.take_along_axis(probs, order, axis=-1)
        mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
        drop = np.empty(probs.shape, dtype=bool)
        np.put_along_axis(drop, order, mass_before >= sampling.top_p, axis=-1)  # keeps the most likely
        probs = np.where(drop, 0.0, probs)
        probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def is_plain(sampling: Sampling) -> bool:
    """T = 1 without top-k or top-p: the counts themselves are the distribution."""
    return sampling.temperature == 1 and sampling.top_k == 0 and sampling.top_p == 1


def choose(cumulative: list[int], sampling: Sampling, u: float) -> int:
    """Pick a follower from its cumulative counts: argmax when greedy (first on ties), else inverse
    CDF at the uniform ``u``.

    Plain sampling searches ``u · total`` in the integer cumulative counts, which is the same
    distribution as softmax(log count) without the float round trip.
    """
    if sampling.greedy:
        counts = np.diff(cumulative, prepend=0)
        return int(np.argmax(counts))
    if is_plain(sampling):
        return min(bisect.bisect_right(cumulative, u * cumulative[-1]), len(cumulative) - 1)
    logits = np.log(np.diff(np.asarray(cumulative, dtype=np.float64), prepend=0.0))
    cdf = np.cumsum(sampling_probs(logits, sampling))
    return min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(cdf) - 1)
