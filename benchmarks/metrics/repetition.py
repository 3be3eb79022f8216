"""Repetition and cycling of generated continuations.

Word tokens everywhere are ``re.findall(r"\\w+|[^\\w\\s]", text)``: runs of word characters, and
every other non-space character on its own. Whitespace (newlines included) is never a token.

- ``seq_rep_n``: Welleck et al. 2019 (facebookresearch/unlikelihood_training,
  ``custom/metrics.py::ngram_metrics``).
- ``loop_repeats`` / ``is_looped`` / ``loop_rate``: Holtzman et al. 2020 (ari-holtzman/degen,
  ``metrics/repetition.py``), on word tokens instead of GPT-2 tokens. The rule looks at whole
  tokens, but a continuation is cut at ``max_chars`` characters, usually inside a word ("Ser" of
  "Servant"), and a cut last word breaks the repeat match. So the loop rule runs on
  ``loop_tokens``: the word tokens without a last word that reaches the end of the text.
- ``loop_onset_period``: ours, on characters (no published standard).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence

_WORD_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD_CHAR = re.compile(r"\w")

MAX_LOOP_NGRAM = 90  # longest repeated phrase Holtzman et al. look for (their max_n)
MIN_LOOP_NGRAM = 3  # a shorter repeated phrase only counts as a loop when repeated > LONG_LOOP_REPEATS times
LONG_LOOP_REPEATS = 50
MIN_PERIODS = 3  # loop_onset_period: the periodic tail must span at least this many periods


def word_tokens(text: str) -> list[str]:
    """``re.findall(r"\\w+|[^\\w\\s]", text)``: words and single punctuation marks."""
    return _WORD_TOKEN.findall(text)


def loop_tokens(text: str) -> list[str]:
    """``word_tokens(text)`` without a last word that reaches the end of the text (it may be cut).

    When the text's last character is a word character (``\\w``), its final ``\\w+`` token may be
    a word cut off by the character limit, so it is dropped: "the state of the sta" gives
    ["the", "state", "of", "the"]. A text ending in whitespace or punctuation keeps every token. A continuation
    the model ended itself loses a complete last word too; one token less rarely changes the rule.
    """
    tokens = word_tokens(text)
    return tokens[:-1] if text and _WORD_CHAR.fullmatch(text[-1]) else tokens


def ngrams(tokens: Sequence[str], n: int) -> Iterator[tuple[str, ...]]:
    """Consecutive n-grams of ``tokens`` as tuples (none when there are fewer than n tokens)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return zip(*(tokens[i:] for i in range(n)), strict=False)


def seq_rep_n(continuations: Sequence[str], n: int) -> float:
    """Mean over continuations of 1 − |unique n-grams| / |n-grams| (Welleck et al.'s seq-rep-n).

    Edge cases: Welleck et al.'s ``ngram_metrics`` divides by the number of n-grams and so raises
    ZeroDivisionError on a continuation with fewer than n tokens (their continuations are fixed-length).
    Here such a continuation has no defined value and is left out of the mean (it neither counts as
    0 nor as 1); NaN when no continuation has n tokens, including for an empty list.
    """
    values = []
    for text in continuations:
        grams = list(ngrams(word_tokens(text), n))
        if grams:
            values.append(1.0 - len(set(grams)) / len(grams))
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


def is_looped(tokens: Sequence[str], max_n: int = MAX_LOOP_NGRAM) -> bool:
    """Holtzman et al.'s rule: repeats > 1 and (n >= 3 or repeats > 50) for ``loop_repeats``' n."""
    n, repeats = loop_repeats(tokens, max_n)
    return repeats > 1 and (n >= MIN_LOOP_NGRAM or repeats > LONG_LOOP_REPEATS)


def loop_rate(continuations: Sequence[str]) -> float:
    """Fraction of continuations that end in a loop (``is_looped`` on ``loop_tokens``); NaN for none."""
    if not continuations:
        return math.nan
    return sum(is_looped(loop_tokens(text)) for text in continuations) / len(continuations)


def _periodic_tail_start(text: str, period: int) -> int:
    """Smallest i such that text[i:] is ``period``-periodic (text[j] == text[j + period] for j ≥ i)."""
    j = len(text) - period - 1
    while j >= 0 and text[j] == text[j + period]:
        j -= 1
    return j + 1


def loop_onset_period(text: str, min_periods: int = MIN_PERIODS) -> tuple[int, int] | None:
    """(onset, period) of the character loop the text ends in, or None.

    period = the smallest p such that text[i:] is p-periodic for some i with len(text) − i ≥
    min_periods · p; onset = the smallest such i for that p. "abcxyzxyzxyz" → (3, 3).
    Note the definition counts any short run at the end: "Wait..." → (4, 1).
    Cost: one backward scan per candidate period, O(len(text)²) at worst.
    """
    for period in range(1, len(text) // min_periods + 1):
        onset = _periodic_tail_start(text, period)
        if len(text) - onset >= min_periods * period:
            return onset, period
    return None
