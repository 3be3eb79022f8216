"""Scoring a token sequence with GPT-2's sliding windows: every target once, each with enough context.

A sequence longer than the model's window (n_positions) is scored with the windows of the whole
sequence: the first window scores its targets with all their context, each later one the next
``stride`` tokens (the last one cut short, not moved back), so every token is scored once, sees at
least ``window - stride`` earlier tokens (right padding is causal, so it changes nothing), and gets
the same score whatever the split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from generators.gpt2.tokens import ByteLevelTokens

LOGIT_ROWS = 1024  # hidden states per lm_head call when scoring (bounds the (rows, vocab) logits)


def window_plan(n: int, first: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """(begin, score_from, end) windows scoring each target in [first, n) once.

    The windows of the whole sequence: window k would end at ``window + k · stride`` and begin
    ``window`` tokens before; it feeds ``ids[begin:end]`` (the last one cut at n, not moved) and
    scores the targets its predecessor did not. Windows ending at or before ``first`` are left
    out, so a target's window, and its score, depend neither on where the scored part begins
    nor on how long the sequence is.
    """
    plan, score_from, reach = [], 1, window
    while score_from < n:
        end = min(n, reach)
        if end > first:
            plan.append((max(0, reach - window), max(score_from, first), end))
        score_from, reach = end, reach + stride
    return plan


@torch.inference_mode()
def token_logprobs(
    model: GPT2LMHeadModel,
    tokens: ByteLevelTokens,
    ids: np.ndarray,
    plan: list[tuple[int, int, int]],
    prefixes: Sequence[tuple[int, bytes]] = (),
    *,
    batch: int,
) -> tuple[np.ndarray, list[float]]:
    """(scored targets,) float64 log P(ids[j] | earlier ids in its window) for the targets of
    ``plan`` (:func:`window_plan`), ``batch`` windows per forward; and, for each (scored position i,
    bytes) of ``prefixes``, the open end's log P(a token starting with the bytes) at i."""
    model.eval()
    device = next(model.parameters()).device
    out: list[np.ndarray] = []
    masses = [math.nan] * len(prefixes)
    for i in range(0, len(plan), batch):
        chunk = plan[i : i + batch]
        width = max(e - b for b, _, e in chunk)  # the last window may be shorter: right-padded
        windows = np.stack([np.pad(ids[b:e], (0, width - e + b)) for b, _, e in chunk])  # (B, L)
        inputs = torch.from_numpy(windows).to(device)
        hidden = model.transformer(input_ids=inputs, use_cache=False).last_hidden_state  # (B, L, D)
        # the hidden state before each target predicts it: (n, D) rows, (n,) targets
        rows = torch.cat([hidden[k, s - 1 - b : e - 1 - b] for k, (b, s, e) in enumerate(chunk)])
        targets = torch.from_numpy(np.concatenate([ids[s:e] for _, s, e in chunk])).to(device)
        done = sum(len(part) for part in out)  # scored positions before this chunk
        for index, (position, prefix) in enumerate(prefixes):
            if done <= position < done + len(rows):
                masses[index] = open_end_logprob(model, tokens, rows[position - done], prefix)
        out.append(gather_logprobs(model, rows, targets))
    return np.concatenate(out), masses


def open_end_logprob(
    model: GPT2LMHeadModel, tokens: ByteLevelTokens, row: torch.Tensor, prefix: bytes
) -> float:
    """log P(a token whose bytes start with ``prefix``) from one hidden state (D,): an open end."""
    logprobs = torch.log_softmax(model.lm_head(row).float(), dim=-1)  # (V,)
    allowed = torch.from_numpy(tokens.starting_with(prefix)).to(row.device)
    return float(torch.logsumexp(logprobs[allowed], 0))


def gather_logprobs(model: GPT2LMHeadModel, rows: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """log-softmax of lm_head(rows) at ``targets``, LOGIT_ROWS rows at a time: (n,) float64."""
    parts = []
    for i in range(0, len(rows), LOGIT_ROWS):
        logits = model.lm_head(rows[i : i + LOGIT_ROWS]).float()  # (r, V)
        logprobs = torch.log_softmax(logits, dim=-1)
        parts.append(logprobs.gather(1, targets[i : i + LOGIT_ROWS, None]).squeeze(1))
    return torch.cat(parts).double().cpu().numpy()
