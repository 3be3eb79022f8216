"""Repetition of generated continuations: seq-rep-n and Holtzman et al.'s loop rule.

Both on word tokens (:mod:`benchmarks.metrics.tokens`: Welleck et al.'s split, newlines included).

- ``seq_rep_n``: Welleck et al. 2019, "Neural Text Generation with Unlikelihood Training"
  (facebookresearch/unlikelihood_training, ``custom/metrics.py::ngram_metrics``): per continuation
  1 − |unique n-grams| / |n-grams|, averaged over continuations.
- ``loop_repeats`` / ``is_looped_holtzman`` / ``loop_rate_holtzman``: Holtzman et al. 2020, "The
  Curious Case of Neural Text Degeneration" (ari-holtzman/degen, ``metrics/repetition.py``): for
  n = 1..90, count the back-to-back copies of the last n tokens at the end; take the n with the most
  copies; looped if copies > 1 and (n >= 3 or copies > 50). Kept faithfully, on word tokens instead
  of GPT-2 tokens, as the ``loop_rate_holtzman`` column. It was built for 200-token GPT-2
  continuations: a phrase under 3 tokens must repeat more than 50 times, so a two-word loop never
  counts within 300 characters, and the phrase length with the most copies wins even when a
  longer cycle covers the text. The headline loop rate is :mod:`benchmarks.metrics.loops`.

The loop rule runs on ``loop_tokens``: a continuation cut at ``max_chars`` characters usually ends
inside a word ("Ser" of "Servant"), and a cut last word would break the repeat match, so it is
left out (only where the limit cut it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.metrics.tokens import loop_tokens, ngrams, word_tokens

MAX_LOOP_NGRAM = 90  # longest repeated phrase Holtzman et al. look for (their max_n)
MIN_LOOP_NGRAM = 3  # a shorter repeated phrase only counts as a loop when repeated > LONG_LOOP_REPEATS times
LONG_LOOP_REPEATS = 50


def seq_rep_of(text: str, n: int) -> float | None:
    """One continuation's 1 − |unique n-grams| / |n-grams|; None with fewer than n tokens."""
    grams = list(ngrams(word_tokens(text), n))
    return 1.0 - len(set(grams)) / len(grams) if grams else None


def seq_rep_n(continuations: Sequence[str], n: int) -> float:
    """Mean over continuations of 1 − |unique n-grams| / |n-grams| (Welleck et al.'s seq-rep-n).

    Edge cases: Welleck et al.'s ``ngram_metrics`` divides by the number of n-grams and so raises
    ZeroDivisionError on a continuation with fewer than n tokens (their continuations are fixed-length).
    Here such a continuation has no defined value and is left out of the mean (it neither counts as
    0 nor as 1); NaN when no continuation has n tokens, including for an empty list.
    """
    values = [value for value in (seq_rep_of(text, n) for text in continuations) if value is not None]
    return math.fsum(values) / len(values) if values else math.nan


def _tail_repeats(reversed_tokens: Sequence[str], n: int) -> int:
    """How many back-to-back copies of the last n tokens end the sequence (the last copy included)."""
    phrase = reversed_tokens[:n]
    repeats = 1
    while reversed_tokens[n * repeats : n * (repeats + 1)] == phrase and len(phrase) == n:
        repeats += 1
    return repeats


def loop_repeats(tokens: Sequence[str], max_n: int = MAX_LOOP_NGRAM) -> tuple[int, int]:
    """(n, repeats): the phrase length n in 1..max_n whose last n tokens repeat most often at the end.

    As in Holtzman et al.'s ``metrics/repetition.py``: ``repeats`` counts the final occurrence too
    (it starts at 1, so "a b c a b c" gives (3, 2)); n longer than the sequence gives 1; ties go to the
    smallest n (Python's ``max`` keeps the first maximum). An empty sequence gives (1, 1).
    """
    reversed_tokens = list(reversed(tokens))
    repeats_by_n = [_tail_repeats(reversed_tokens, n) for n in range(1, max_n + 1)]
    best = max(range(max_n), key=lambda index: repeats_by_n[index])
    return best + 1, repeats_by_n[best]


def is_looped_holtzman(tokens: Sequence[str], max_n: int = MAX_LOOP_NGRAM) -> bool:
    """Holtzman et al.'s rule: repeats > 1 and (n >= 3 or repeats > 50) for ``loop_repeats``' n."""
    n, repeats = loop_repeats(tokens, max_n)
    return repeats > 1 and (n >= MIN_LOOP_NGRAM or repeats > LONG_LOOP_REPEATS)


def loop_rate_holtzman(continuations: Sequence[str], max_chars: int | None = None) -> float:
    """Fraction of continuations Holtzman et al.'s rule calls looped (on ``loop_tokens``, a last word
    the limit ``max_chars`` cut left out); NaN for none."""
    if not continuations:
        return math.nan
    looped = (is_looped_holtzman(loop_tokens(text, max_chars)) for text in continuations)
    return sum(looped) / len(continuations)
