"""Interpolated Kneser–Ney over integer token ids, vectorised with numpy.

The standard formulation (Chen & Goodman 1998, "interpolated Kneser–Ney" with one absolute discount
``D``). For a context ``h`` of ``m`` tokens (level ``m``, n-gram order ``m + 1``) and its suffix
``h'`` of ``m - 1`` tokens::

    P_m(w | h) = max(c_m(h, w) - D, 0) / c_m(h) + λ(h) · P_{m-1}(w | h'),   λ(h) = D · N1+(h •) / c_m(h)

* the longest level (``m = order``) counts ``c_m`` are the raw n-gram counts;
* every lower level uses continuation counts ``c_m(h, w) = N1+(• h w)``, the number of distinct
  tokens seen just before ``h w``;
* ``c_m(h) = Σ_w c_m(h, w)``, ``N1+(h •)`` = number of distinct ``w`` with ``c_m(h, w) > 0``;
* a context never seen at level ``m`` passes its lower level through unchanged (λ = 1);
* below level 0 sits ``base``, a distribution over all ``outcomes`` (the vocabulary plus an
  unknown-token id), so every outcome, unknown included, gets probability > 0.

Each level's distribution sums to 1 over the outcomes, so the model is normalised for every context.
Contexts may hold ids that are never predicted (a BEGIN padding id); ids outside every context table
(an unknown token in the history) simply make the longer contexts unseen.

Lookups are vectorised: a level-``m`` context gets an integer id by searching the key
``first_token * n_contexts[m-1] + id(rest)`` in a sorted array, and an n-gram the key
``context_id * outcomes + token``.
"""

from __future__ import annotations

import numpy as np


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(rows, axis=0, return_inverse=True), several times faster (lexsort)."""
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


class KneserNey:
    """Interpolated Kneser–Ney built from the counts of the longest n-grams."""

    def __init__(
        self, ngrams: np.ndarray, counts: np.ndarray, outcomes: int, discount: float, base: np.ndarray
    ) -> None:
        """``ngrams`` (N, order + 1): distinct n-grams, context ids then predicted id; ``counts`` (N,).

        ``outcomes``: predicted ids are ``0 .. outcomes - 1``; ``base`` (outcomes,): the level below
        unigrams, summing to 1.
        """
        if not 0 < discount < 1:
            raise ValueError(f"discount must be in (0, 1), got {discount}")
        self.order = ngrams.shape[1] - 1  # longest context, in tokens
        self.outcomes = outcomes
        self.discount = discount
        self.base = np.asarray(base, dtype=np.float64)  # (outcomes,)
        levels = self._level_counts(np.asarray(ngrams, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        self.context_keys: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]  # level 0: the empty context
        self.ngram_keys: list[np.ndarray] = []  # per level, sorted context_id * outcomes + token
        self.ngram_counts: list[np.ndarray] = []  # per level, aligned with ngram_keys
        self.context_totals: list[np.ndarray] = []  # per level, c_m(h) by context id
        self.context_types: list[np.ndarray] = []  # per level, N1+(h •) by context id
        for m, (rows, values) in enumerate(levels):
            if m > 0:
                self.context_keys.append(np.unique(self._context_keys(rows[:, :m])))
            ids = self.context_ids(rows[:, :m])[:, m]  # (N_m,) all found
            keys = ids * outcomes + rows[:, m]
            order = np.argsort(keys)
            self.ngram_keys.append(keys[order])
            self.ngram_counts.append(values[order].astype(np.float64))
            size = len(self.context_keys[m])
            self.context_totals.append(np.bincount(ids, weights=values, minlength=size))
            self.context_types.append(np.bincount(ids, minlength=size).astype(np.float64))

    @staticmethod
    def _level_counts(ngrams: np.ndarray, counts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per level m = 0..order: (distinct (m+1)-grams (N_m, m+1), their KN counts (N_m,))."""
        order = ngrams.shape[1] - 1
        levels = [(ngrams, counts)]
        rows = ngrams
        for _ in range(order):
            rows, inverse = unique_rows(rows[:, 1:])
            levels.append((rows, np.bincount(inverse, minlength=len(rows))))  # N1+(• h w)
        return levels[::-1]

    def _context_keys(self, contexts: np.ndarray) -> np.ndarray:
        """Keys of level-m contexts (n, m) whose suffixes are all known."""
        m = contexts.shape[1]
        rest = self.context_ids(contexts[:, 1:])[:, m - 1]
        return contexts[:, 0] * len(self.context_keys[m - 1]) + rest

    @property
    def ngram_count(self) -> int:
        """Stored n-grams over all levels (the model's parameters)."""
        return int(sum(len(keys) for keys in self.ngram_keys))

    def context_ids(self, contexts: np.ndarray) -> np.ndarray:
        """(n, L) token ids -> (n, L + 1) ids; column m: the last m tokens' context id or -1."""
        n, length = contexts.shape
        ids = np.full((n, length + 1), -1, dtype=np.int64)
        ids[:, 0] = 0
        for m in range(1, min(length, len(self.context_keys) - 1) + 1):
            table = self.context_keys[m]
            known = ids[:, m - 1] >= 0
            keys = contexts[:, length - m] * len(self.context_keys[m - 1]) + ids[:, m - 1]
            pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
            ids[:, m] = np.where(known & (table[pos] == keys), pos, -1)
        return ids

    def _count(self, m: int, context_ids: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        table = self.ngram_keys[m]
        keys = context_ids * self.outcomes + tokens
        pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
        return np.where((context_ids >= 0) & (table[pos] == keys), self.ngram_counts[m][pos], 0.0)

    def probs(self, context_ids: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """P(token | context) for aligned (n, order + 1) context ids and (n,) tokens."""
        p = self.base[tokens]  # (n,)
        d = self.discount
        for m in range(self.order + 1):
            cid = context_ids[:, m]
            seen = cid >= 0
            safe = np.where(seen, cid, 0)
            count = self._count(m, cid, tokens)
            total = self.context_totals[m][safe]
            mixed = (np.maximum(count - d, 0.0) + d * self.context_types[m][safe] * p) / total
            p = np.where(seen, mixed, p)
        return p

    def logprobs(self, padded: np.ndarray) -> np.ndarray:
        """log P(x_t | the ``order`` ids before it) for every t >= order of a padded id sequence."""
        k = self.order
        n = len(padded) - k
        if n <= 0:
            return np.zeros(0)
        windows = np.lib.stride_tricks.sliding_window_view(padded, k + 1)[:n]  # (n, k + 1)
        ids = self.context_ids(windows[:, :k])
        return np.log(self.probs(ids, windows[:, k]))

    def distribution(self, context: np.ndarray) -> np.ndarray:
        """The full next-token distribution (outcomes,) after ``context`` (its last ``order`` ids count)."""
        context = np.asarray(context, dtype=np.int64)[-self.order :] if self.order else np.zeros(0, np.int64)
        ids = self.context_ids(context[None, :])  # (1, len + 1)
        ids = np.pad(ids, ((0, 0), (0, self.order + 1 - ids.shape[1])), constant_values=-1)
        tokens = np.arange(self.outcomes)
        return self.probs(np.repeat(ids, self.outcomes, axis=0), tokens)
