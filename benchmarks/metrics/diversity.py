"""Diversity of a set of samples: distinct-n and the Zipf coefficient (Self-BLEU is in self_bleu.py).

All on word tokens (:mod:`benchmarks.metrics.tokens`: Welleck et al.'s split, newlines included).

- ``distinct_n``: Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
  Models": distinct n-grams / all n-grams, pooled over the samples of one setting.
- ``zipf_coefficient``: Holtzman et al. 2020 (ari-holtzman/degen, ``metrics/zipf.py``): −slope of
  the least-squares line of log frequency on log rank over the top 5,000 word ranks.

Both are pooled metrics, like Self-BLEU: their values depend on how many texts are pooled (the
shakespeare test split's Zipf coefficient is 0.86–0.89 for three draws of 64 passages of 300
characters and 1.27 for the whole split), so they compare generators only within one run, over the
same number of texts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from benchmarks.metrics.tokens import ngrams, word_tokens

ZIPF_TOP_RANKS = 5000  # Holtzman et al. fit the top 5000 ranks (their --N)


def distinct_n(samples: Sequence[str], n: int) -> float:
    """Unique n-grams / total n-grams, pooled over all samples (n-grams never span two samples).

    Divides by the number of n-grams, as most code does, not by the number of tokens as Li et al.
    2016 wrote. NaN when the samples hold no n-gram at all.
    """
    unique: set[tuple[str, ...]] = set()
    total = 0
    for text in samples:
        grams = list(ngrams(word_tokens(text), n))
        unique.update(grams)
        total += len(grams)
    return len(unique) / total if total else math.nan


def zipf_coefficient(samples: Sequence[str], top_ranks: int = ZIPF_TOP_RANKS) -> float:
    """−slope of the least-squares line of log frequency on log rank, over the top ``top_ranks`` words.

    As Holtzman et al.'s ``metrics/zipf.py`` (scipy ``linregress`` of log counts, sorted descending,
    on log ranks 1..min(types, N)); the closed-form slope here is the same number. NaN with fewer
    than two word types (no line to fit).
    """
    counts = Counter(token for text in samples for token in word_tokens(text))
    frequencies = np.array(sorted(counts.values(), reverse=True)[:top_ranks], dtype=np.float64)
    if len(frequencies) < 2:
        return math.nan
    log_rank = np.log(np.arange(1, len(frequencies) + 1, dtype=np.float64))
    log_frequency = np.log(frequencies)
    centred_rank = log_rank - log_rank.mean()
    slope = float(
        np.dot(centred_rank, log_frequency - log_frequency.mean()) / np.dot(centred_rank, centred_rank)
    )
    return -slope + 0.0  # + 0.0 turns -0.0 (all frequencies equal) into 0.0
