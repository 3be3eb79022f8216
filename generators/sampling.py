"""The sampling rule every generator follows, written once for numpy arrays and torch tensors.

:func:`next_token_probs` turns a batch of next-token logits into the distribution a
:class:`~generators.base.Sampling` asks for (temperature, then top-k, then top-p), and
:func:`choose_tokens` draws one token per row from it by inverse CDF. Both take a numpy array or a
torch tensor and answer in the same kind (the Python array API, through ``array_api_compat``), so
markov's count tables, the spelling model's characters, the LSTMs' and gpt2's logits on any device,
and a plugin's own scores are sampled by one rule. Each row's result depends on that row alone:
rows sampled together give each row, bit for bit, what it gives alone.

Seeding rule (every generator follows it): prompt ``i`` of a ``generate(prompts, seed=s)`` call is
sampled from its own stream seeded ``s + i``, so a batch gives the same text as one call per
prompt with seeds ``s, s+1, …``. Each stream is a fixed sequence of uniforms, one per step
(:func:`seeded_uniforms`), and a token is drawn by inverse CDF, so the batch composition never
changes a row's draws.

A plugin samples with the same rule::

    from generators import choose_tokens, seeded_uniforms

    uniforms = seeded_uniforms(seed, len(prompts), max_steps)  # (B, steps)
    for step in range(max_steps):
        picked = choose_tokens(logits, sampling, uniforms[:, step])  # (B,) ids
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace, device

from generators.base import Sampling

Array = Any  # a numpy array or a torch tensor; the functions answer in the same kind


def seeded_uniforms(seed: int, batch: int, steps: int) -> np.ndarray:
    """(batch, steps) float64 uniforms in [0, 1); row i comes from ``default_rng(seed + i)``."""
    rows = [np.random.default_rng(seed + i).random(steps) for i in range(batch)]
    return np.stack(rows) if rows else np.empty((0, steps), dtype=np.float64)


def next_token_probs(logits: Array, sampling: Sampling) -> Array:
    """Temperature, then top-k, then top-p: (..., V) logits -> (..., V) float64 probabilities.

    Greedy sampling (temperature 0) gives a one-hot row at the argmax (the first one on ties).
    Top-k keeps exactly k tokens, breaking ties at the k-th as greedy does (the lower id first), so
    ``top_k = 1`` is greedy at every temperature (Fan et al. 2018). OpenAI's GPT-2 ``sample.py`` and
    transformers' ``TopKLogitsWarper`` keep every token tied with the k-th largest logit: the same
    with float logits, which rarely tie, but markov's count-based logits tie often. Top-p keeps the
    smallest set of most likely tokens whose mass reaches p, at least one (Holtzman et al. 2020).
    """
    xp = array_namespace(logits)
    if sampling.greedy:
        return _one_hot_argmax(xp, logits)
    logits = xp.astype(logits, xp.float64) / sampling.temperature
    if 0 < sampling.top_k < logits.shape[-1]:
        logits = xp.where(_ranks(xp, logits) < sampling.top_k, logits, -xp.inf)
    probs = _softmax(xp, logits)
    if sampling.top_p < 1.0:
        order = xp.argsort(probs, axis=-1, descending=True, stable=True)
        sorted_probs = xp.take_along_axis(probs, order, axis=-1)
        mass_before = xp.cumulative_sum(sorted_probs, axis=-1) - sorted_probs
        drop = _unsorted(xp, mass_before >= sampling.top_p, order)  # keeps the most likely token
        probs = xp.where(drop, 0.0, probs)
        probs = probs / xp.sum(probs, axis=-1, keepdims=True)
    return probs


def choose_tokens(logits: Array, sampling: Sampling, uniforms: Array) -> Array:
    """One token per row of (B, V) ``logits``: the argmax when greedy, else the inverse CDF of
    :func:`next_token_probs` at ``uniforms`` (B,) (numpy or torch, any device). Returns (B,) ids."""
    xp = array_namespace(logits)
    if sampling.greedy:
        return xp.argmax(logits, axis=-1)
    cdf = xp.cumulative_sum(next_token_probs(logits, sampling), axis=-1)  # (B, V)
    u = xp.asarray(uniforms, dtype=xp.float64, device=device(cdf))[:, None] * cdf[:, -1:]  # (B, 1)
    picked = xp.sum(xp.astype(cdf <= u, xp.int64), axis=-1)  # the first index whose cdf passes u
    return xp.clip(picked, max=logits.shape[-1] - 1)


def _one_hot_argmax(xp: Any, logits: Array) -> Array:
    columns = xp.arange(logits.shape[-1], device=device(logits))
    return xp.astype(columns == xp.argmax(logits, axis=-1, keepdims=True), xp.float64)


def _ranks(xp: Any, logits: Array) -> Array:
    """Each token's place in its row, most likely first (ties: the lower id first)."""
    order = xp.argsort(logits, axis=-1, descending=True, stable=True)
    places = xp.broadcast_to(xp.arange(logits.shape[-1], device=device(logits)), logits.shape)
    return _unsorted(xp, places, order)


def _unsorted(xp: Any, values: Array, order: Array) -> Array:
    """``values`` given in the sorted ``order`` of each row, put back at the tokens' own places."""
    return xp.take_along_axis(values, xp.argsort(order, axis=-1, stable=True), axis=-1)


def _softmax(xp: Any, logits: Array) -> Array:
    shifted = xp.exp(logits - xp.max(logits, axis=-1, keepdims=True))
    return shifted / xp.sum(shifted, axis=-1, keepdims=True)

