"""Batched next-token choice shared by the neural generators.

Seeding rule (every generator follows it): prompt ``i`` of a ``generate(prompts, seed=s)`` call is
sampled from its own stream seeded ``s + i``, so a batch gives the same text as one call per
prompt with seeds ``s, s+1, …``. Each stream is a fixed sequence of uniforms, one per step, and a
token is drawn by inverse CDF, so the batch composition never changes a row's draws.
"""

from __future__ import annotations

import numpy as np
import torch

from generators.base import Sampling


def seeded_uniforms(seed: int, batch: int, steps: int) -> torch.Tensor:
    """(batch, steps) float64 uniforms in [0, 1); row i comes from ``default_rng(seed + i)``."""
    rows = [np.random.default_rng(seed + i).random(steps) for i in range(batch)]
    return torch.from_numpy(np.stack(rows)) if rows else torch.empty(0, steps, dtype=torch.float64)


def next_token_probs(logits: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Temperature, then top-k, then top-p: (B, V) logits -> (B, V) float64 probabilities.

    Greedy sampling (temperature 0) gives a one-hot row at the argmax (the first one on ties).
    Top-k keeps exactly k tokens, breaking ties at the k-th as greedy does (the lower id first), so
    ``top_k = 1`` is greedy at every temperature. (OpenAI's GPT-2 ``sample.py`` and transformers'
    ``TopKLogitsWarper`` keep every token tied with the k-th largest logit: the same with float
    logits, which rarely tie, but markov's count-based logits tie often.)
    """
    if sampling.greedy:
        argmax = torch.argmax(logits, dim=-1, keepdim=True)  # (B, 1)
        return torch.zeros_like(logits, dtype=torch.float64).scatter(-1, argmax, 1.0)
    logits = logits.double() / sampling.temperature  # (B, V)
    if 0 < sampling.top_k < logits.size(-1):
        order = torch.sort(logits, dim=-1, descending=True, stable=True).indices  # (B, V) ties: lower first
        kept = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, order[:, : sampling.top_k], True)
        logits = logits.masked_fill(~kept, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if sampling.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)
        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # (B, V)
        drop_sorted = mass_before >= sampling.top_p  # keeps at least the most likely token
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        probs = probs.masked_fill(drop, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs


def choose_tokens(logits: torch.Tensor, sampling: Sampling, uniforms: torch.Tensor) -> torch.Tensor:
    """Pick one token per row: argmax when greedy, else inverse CDF at ``uniforms`` (B,)."""
    if sampling.greedy:
        return torch.argmax(logits, dim=-1)
    probs = next_token_probs(logits, sampling)  # (B, V)
    cdf = torch.cumsum(probs, dim=-1)  # (B, V)
    u = uniforms.to(cdf.device, torch.float64).unsqueeze(-1) * cdf[:, -1:]  # (B, 1)
    picked = torch.searchsorted(cdf, u, right=True).squeeze(-1)  # (B,)
    return picked.clamp_max(logits.size(-1) - 1)
