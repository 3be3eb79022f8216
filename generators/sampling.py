"""The sampling rule every generator follows, written once for numpy arrays and torch tensors.

:func:`next_token_probs` turns a batch of next-token logits into the distribution a
:class:`~generators.base.Sampling` asks for, and :func:`choose_tokens` draws one token per row from
it by inverse CDF. Both take a numpy array or a torch tensor and answer in the same kind (the
Python array API, through ``array_api_compat``), so markov's count tables, the spelling model's
characters, the LSTMs' and gpt2's logits on any device, and a plugin's own scores are sampled by
one rule. Each row's result depends on that row alone: rows sampled together give each row, bit
for bit, what it gives alone.

The rules, in the order they act (transformers' ``generate`` order: its logits processors, then
its warpers, each warper renormalising what the one before kept):

1. repetition penalty (Keskar et al. 2019, CTRL): the logit of every token already in the row is
   divided by θ when positive and multiplied by θ when negative (transformers'
   ``RepetitionPenaltyLogitsProcessor``);
2. n-gram blocking (Paulus et al. 2017): a token that would complete an n-gram already in the row is
   never chosen (``NoRepeatNGramLogitsProcessor``); when that would leave a row no token at all,
   the row's step is not blocked (transformers would sample from a row of -inf: NaN);
3. greedy (temperature 0) stops here: the argmax of what 1 and 2 left (the first one on ties);
4. temperature: logits / T;
5. top-k (Fan et al. 2018): exactly k tokens, ties at the k-th broken by the lower id (see
   :func:`next_token_probs`);
6. top-p, nucleus (Holtzman et al. 2020): the smallest set of most likely tokens whose mass reaches p;
7. min-p (Nguyen et al. 2024): tokens at least ``min_p`` times as likely as the most likely one
   (``MinPLogitsWarper``);
8. typical (Meister et al. 2023): the tokens whose surprisal is closest to the distribution's
   entropy, fewest first, until their mass reaches ``typical_p``, with every token tied with the last
   one (``TypicalLogitsWarper``).

So min-p and typical act after temperature, as transformers applies them; transformers keeps at
least ``min_tokens_to_keep = 1`` token in each warper, as every rule here keeps the most likely (or,
for typical, the most typical) token. Rules 1 and 2 read each row's tokens so far, the prompt's
included (transformers' ``input_ids``): a :class:`TokenHistory` the generator keeps and passes as
``history``; with ``candidates`` the columns of the logits are those token ids (markov's followers),
else column j is token j. ``choose_tokens`` without a history refuses a Sampling that needs one.

Seeding rule (every generator follows it): prompt ``i`` of a ``generate(prompts, seed=s)`` call is
sampled from its own stream seeded ``s + i``, so a batch gives the same text as one call per
prompt with seeds ``s, s+1, …``. Each stream is a fixed sequence of uniforms, one per step
(:func:`seeded_uniforms`), and a token is drawn by inverse CDF, so the batch composition never
changes a row's draws.

A plugin samples with the same rule::

    from generators import TokenHistory, choose_tokens, seeded_uniforms

    uniforms = seeded_uniforms(seed, len(prompts), max_steps)  # (B, steps)
    history = TokenHistory.for_sampling(prompt_ids, sampling)  # None unless a rule reads it
    for step in range(max_steps):
        picked = choose_tokens(logits, sampling, uniforms[:, step], history)  # (B,) ids
        if history is not None:
            history.append(picked.tolist())
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from array_api_compat import array_namespace, device

from generators.base import Sampling
from generators.errors import SamplingError

Array = Any  # a numpy array or a torch tensor; the functions answer in the same kind


def seeded_uniforms(seed: int, batch: int, steps: int) -> np.ndarray:
    """(batch, steps) float64 uniforms in [0, 1); row i comes from ``default_rng(seed + i)``."""
    rows = [np.random.default_rng(seed + i).random(steps) for i in range(batch)]
    return np.stack(rows) if rows else np.empty((0, steps), dtype=np.float64)


class TokenHistory:
    """Each row's tokens so far (its prompt's, then the generated ones), as rules 1 and 2 read them.

    Kept incrementally: the set of tokens seen and, for n-gram blocking, each (n-1)-gram's followers,
    so a step costs the same however long the row is. :meth:`subset` views some rows (a batch whose
    finished rows left); appending through a view appends to those rows.
    """

    def __init__(self, rows: Iterable[Sequence[int]], ngram: int = 0) -> None:
        self.ngram = ngram
        self._rows: list[_Row] = []
        for tokens in rows:
            row = _Row(ngram)
            for token in tokens:
                row.append(int(token))
            self._rows.append(row)

    @classmethod
    def for_sampling(cls, rows: Iterable[Sequence[int]], sampling: Sampling) -> TokenHistory | None:
        """The history ``sampling`` needs of these rows, or None when no rule reads one."""
        return cls(rows, sampling.no_repeat_ngram) if sampling.uses_history else None

    def __len__(self) -> int:
        return len(self._rows)

    def tokens(self, row: int) -> list[int]:
        return list(self._rows[row].tokens)

    def append(self, tokens: Sequence[int]) -> None:
        """One new token per row."""
        if len(tokens) != len(self._rows):
            raise ValueError(f"{len(tokens)} tokens for {len(self._rows)} rows")
        for row, token in zip(self._rows, tokens, strict=True):
            row.append(int(token))

    def subset(self, rows: Sequence[int]) -> TokenHistory:
        """A view of these rows, in this order (sharing their state)."""
        view = TokenHistory([], self.ngram)
        view._rows = [self._rows[i] for i in rows]
        return view

    def seen(self, candidates: np.ndarray | None, vocab_size: int) -> np.ndarray:
        """(B, V) True where the column's token is already in the row."""
        return self._mask([row.seen for row in self._rows], candidates, vocab_size)

    def banned(self, candidates: np.ndarray | None, vocab_size: int) -> np.ndarray:
        """(B, V) True where the column's token would complete an n-gram already in the row."""
        return self._mask([row.banned() for row in self._rows], candidates, vocab_size)

    def _mask(self, sets: list[set[int]], candidates: np.ndarray | None, vocab_size: int) -> np.ndarray:
        if candidates is not None:
            rows = np.asarray(candidates).reshape(len(sets), -1)
            return np.stack([_members(row, s) for row, s in zip(rows, sets, strict=True)])
        mask = np.zeros((len(sets), vocab_size), dtype=bool)
        for row, tokens in enumerate(sets):
            ids = np.fromiter(tokens, dtype=np.int64, count=len(tokens))
            mask[row, ids[(ids >= 0) & (ids < vocab_size)]] = True
        return mask


def _members(candidates: np.ndarray, tokens: set[int]) -> np.ndarray:
    """(n,) True where a candidate is in ``tokens``: a set lookup each for a few candidates (np.isin
    costs ~0.5 ms a call), np.isin for many."""
    if len(candidates) > 512:
        return np.isin(candidates, np.fromiter(tokens, dtype=np.int64, count=len(tokens)))
    return np.array([t in tokens for t in candidates.tolist()], dtype=bool)


class _Row:
    """One row's tokens, the set of them, and each (n-1)-gram's followers (n-gram blocking)."""

    def __init__(self, ngram: int) -> None:
        self.ngram = ngram
        self.tokens: list[int] = []
        self.seen: set[int] = set()
        self.followers: dict[tuple[int, ...], set[int]] = {}

    def append(self, token: int) -> None:
        if self.ngram and len(self.tokens) >= self.ngram - 1:
            self.followers.setdefault(self._prefix(), set()).add(token)
        self.tokens.append(token)
        self.seen.add(token)

    def banned(self) -> set[int]:
        if not self.ngram or len(self.tokens) < self.ngram - 1:
            return set()
        return self.followers.get(self._prefix(), set())

    def _prefix(self) -> tuple[int, ...]:
        return tuple(self.tokens[len(self.tokens) - self.ngram + 1 :])


def next_token_probs(
    logits: Array,
    sampling: Sampling,
    history: TokenHistory | None = None,
    candidates: np.ndarray | None = None,
) -> Array:
    """(..., V) logits -> (..., V) float64 probabilities, by the rules in the module docstring.

    Greedy sampling (temperature 0) gives a one-hot row at the argmax (the first one on ties).
    Top-k keeps exactly k tokens, breaking ties at the k-th as greedy does (the lower id first), so
    ``top_k = 1`` is greedy at every temperature (Fan et al. 2018). OpenAI's GPT-2 ``sample.py`` and
    transformers' ``TopKLogitsWarper`` keep every token tied with the k-th largest logit: the same
    with float logits, which rarely tie, but markov's count-based logits tie often. Top-p keeps the
    smallest set of most likely tokens whose mass reaches p, at least one (Holtzman et al. 2020).
    """
    xp = array_namespace(logits)
    logits = history_rules(logits, sampling, history, candidates)
    if sampling.greedy:
        return _one_hot_argmax(xp, logits)
    logits = xp.astype(logits, xp.float64) / sampling.temperature
    if 0 < sampling.top_k < logits.shape[-1]:
        logits = xp.where(_ranks(xp, logits) < sampling.top_k, logits, -xp.inf)
    probs = _softmax(xp, logits)
    if sampling.top_p < 1.0:
        probs = _nucleus(xp, probs, sampling.top_p)
    if sampling.min_p > 0.0:
        probs = _min_p(xp, probs, sampling.min_p)
    if sampling.typical_p < 1.0:
        probs = _typical(xp, probs, sampling.typical_p)
    return probs


def choose_tokens(
    logits: Array,
    sampling: Sampling,
    uniforms: Array,
    history: TokenHistory | None = None,
    candidates: np.ndarray | None = None,
) -> Array:
    """One token per row of (B, V) ``logits``: the argmax when greedy, else the inverse CDF of
    :func:`next_token_probs` at ``uniforms`` (B,) (numpy or torch, any device). Returns (B,) column
    indexes (token ids unless ``candidates`` names the columns)."""
    xp = array_namespace(logits)
    if sampling.greedy:
        return xp.argmax(history_rules(logits, sampling, history, candidates), axis=-1)
    cdf = xp.cumulative_sum(next_token_probs(logits, sampling, history, candidates), axis=-1)  # (B, V)
    u = xp.asarray(uniforms, dtype=xp.float64, device=device(cdf))[:, None] * cdf[:, -1:]  # (B, 1)
    picked = xp.sum(xp.astype(cdf <= u, xp.int64), axis=-1)  # the first index whose cdf passes u
    return xp.clip(picked, max=logits.shape[-1] - 1)


def history_rules(
    logits: Array, sampling: Sampling, history: TokenHistory | None, candidates: np.ndarray | None = None
) -> Array:
    """Rules 1 and 2 (repetition penalty, then n-gram blocking) on (B, V) raw logits, in their dtype."""
    if not sampling.uses_history:
        return logits
    if history is None or len(history) != logits.shape[0]:
        raise SamplingError(
            f"sampling: {sampling.describe()} reads each row's earlier tokens; pass a TokenHistory "
            "of the batch's rows as history"
        )
    xp = array_namespace(logits)
    vocab = logits.shape[-1]
    if sampling.repetition_penalty != 1.0:
        seen = xp.asarray(history.seen(candidates, vocab), device=device(logits))
        logits = repetition_penalty(xp, logits, seen, sampling.repetition_penalty)
    if sampling.no_repeat_ngram:
        banned = xp.asarray(history.banned(candidates, vocab), device=device(logits))
        logits = no_repeat_ngram(xp, logits, banned)
    return logits


def repetition_penalty(xp: Any, logits: Array, seen: Array, penalty: float) -> Array:
    """Keskar et al. 2019 (CTRL), as transformers' ``RepetitionPenaltyLogitsProcessor``: the logit of
    each token already in the row divided by ``penalty`` when positive, multiplied when negative, so
    that θ > 1 always makes it less likely."""
    penalised = xp.where(logits < 0, logits * penalty, logits / penalty)
    return xp.where(seen, penalised, logits)


def no_repeat_ngram(xp: Any, logits: Array, banned: Array) -> Array:
    """Paulus et al. 2017, as transformers' ``NoRepeatNGramLogitsProcessor``: the ``banned`` tokens
    (completing an n-gram already in the row) get -inf, unless that leaves the row no token."""
    possible = logits > -xp.inf
    stuck = xp.all(banned | ~possible, axis=-1, keepdims=True)  # (B, 1) nothing would be left
    return xp.where(banned & ~stuck, -xp.inf, logits)


def _nucleus(xp: Any, probs: Array, top_p: float) -> Array:
    """Holtzman et al. 2020: the smallest set of most likely tokens whose mass reaches ``top_p``."""
    order = xp.argsort(probs, axis=-1, descending=True, stable=True)
    sorted_probs = xp.take_along_axis(probs, order, axis=-1)
    mass_before = xp.cumulative_sum(sorted_probs, axis=-1) - sorted_probs
    drop = _unsorted(xp, mass_before >= top_p, order)  # keeps the most likely token
    return _renormalised(xp, xp.where(drop, 0.0, probs))


def _min_p(xp: Any, probs: Array, min_p: float) -> Array:
    """Nguyen et al. 2024, as transformers' ``MinPLogitsWarper``: the tokens with probability at
    least ``min_p`` times the most likely token's (that one always)."""
    threshold = min_p * xp.max(probs, axis=-1, keepdims=True)
    return _renormalised(xp, xp.where(probs < threshold, 0.0, probs))


def _typical(xp: Any, probs: Array, mass: float) -> Array:
    """Meister et al. 2023 (locally typical sampling), as transformers' ``TypicalLogitsWarper``:
    tokens ordered by how far their surprisal -log p is from the entropy, the fewest first whose
    mass reaches ``mass``, and every token as typical as the last of them (at least one)."""
    positive = probs > 0
    surprisal = -xp.log(xp.where(positive, probs, 1.0))
    entropy = xp.sum(xp.where(positive, probs * surprisal, 0.0), axis=-1, keepdims=True)
    distance = xp.where(positive, xp.abs(surprisal - entropy), xp.inf)  # (B, V)
    order = xp.argsort(distance, axis=-1, stable=True)
    cumulative = xp.cumulative_sum(xp.take_along_axis(probs, order, axis=-1), axis=-1)
    last = xp.sum(xp.astype(cumulative < mass, xp.int64), axis=-1, keepdims=True)
    last = xp.clip(last, max=probs.shape[-1] - 1)
    bound = xp.take_along_axis(xp.take_along_axis(distance, order, axis=-1), last, axis=-1)  # (B, 1)
    return _renormalised(xp, xp.where(distance > bound, 0.0, probs))


def _renormalised(xp: Any, probs: Array) -> Array:
    return probs / xp.sum(probs, axis=-1, keepdims=True)


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
