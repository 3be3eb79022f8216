"""The headline loop measure: does a continuation end in a loop a reader sees, and where does it begin?

Definition (ours: there is no published standard). On the word tokens t_0 … t_{N−1} of the
continuation (Welleck et al.'s split, newlines included), the periodic tail of phrase length n is
the longest suffix in which t_j = t_{j+n} throughout. The continuation is **looped** when for some n

- the phrase holds a word: a run of punctuation or newlines ("...", "\\n\\n\\n") is not a loop, and
- the tail holds at least three whole repetitions of its phrase (at least 3n tokens), or at least
  two that cover, from the tail's first token to the end of the text, at least ``MIN_LOOP_SHARE``
  (a fifth) of the continuation's characters.

A last word that the character limit cut (the text is exactly ``max_chars`` long and nothing
follows the word: "sta" of "state") is not a token of the tail; the phrase must still agree with
it: the word the period predicts there must begin with it. So "the King's the King's the King's
famb", cut at its length, does not loop, while "the King's the King's the Ki" does;
"Go, after, after, cousin" (whole, or shorter than the limit) keeps "cousin" and does not loop.

Calibration (``python -m benchmarks.calibrate``): five independent draws (seeds 0–4) of 3,000
random passages of the shakespeare test split, each cut at its length, found 0, 0, 0, 2 and 0
looped passages at 100 characters, and none in any draw at 300, 1,000 or 2,000 characters. The
two are human repetition that ends a 100-character passage: "Sir Topas, Sir Topas," and "'O, no,
no, no, no, ". With a quarter instead of a fifth and no three-repetition clause the rule missed
"of the King of the King of the King" ending a greedy gpt2 continuation.

Of the phrase lengths that qualify, the loop is the one whose tail begins first (ties: the shortest
phrase). Its **onset** is the character offset where the tail begins, its **period** the characters
of one repetition (from the start of one copy of the phrase to the start of the next, whitespace
included), ``repeats`` the tail's tokens / n. ``("the end... " * 10)[:-1]`` is an 11-character loop
from offset 0 (5 tokens: "the", "end", three dots), not a 1-character run of dots.

The rule has no phrase-length or text-length limit, unlike Holtzman et al.'s (their rule needs more
than 50 copies of a phrase under 3 tokens: a two-word loop never counts in 300 characters; kept as
``loop_rate_holtzman`` in :mod:`benchmarks.metrics.repetition`). A cycle that does not repeat twice
within the continuation cannot be seen and does not count. Offsets are into the NFC-normalised text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.metrics.tokens import is_word, last_word_cut, normalised, token_spans

MIN_LOOP_SHARE = 0.2  # a tail of two repetitions covers at least this share of the characters
MIN_LOOP_REPEATS = 2  # whole repetitions of the phrase in the tail, at least
MANY_REPEATS = 3  # this many whole repetitions are a loop whatever share they cover


@dataclass(frozen=True)
class Loop:
    """The loop a continuation ends in (see the module docstring)."""

    onset: int  # character offset where the periodic tail begins
    period: int  # characters of one repetition of the phrase
    phrase_tokens: int  # n: word tokens in one repetition
    repeats: float  # tail tokens / n (at least MIN_LOOP_REPEATS)


def _tail_start(tokens: Sequence[str], n: int) -> int:
    """Smallest i such that tokens[j] == tokens[j + n] for every j >= i (tokens[i:] is n-periodic)."""
    j = len(tokens) - n - 1
    while j >= 0 and tokens[j] == tokens[j + n]:
        j -= 1
    return j + 1


def find_loop(text: str, max_chars: int | None = None, min_share: float = MIN_LOOP_SHARE) -> Loop | None:
    """The loop ``text`` ends in, or None (the definition is in the module docstring).

    ``max_chars``: the character limit ``text`` was generated (or cut) under; None for a whole text.
    """
    spans = token_spans(text)
    cut = spans.pop()[0] if last_word_cut([token for token, _ in spans], text, max_chars) else None
    tokens = [token for token, _ in spans]
    length = len(normalised(text))
    best: tuple[int, int] | None = None  # (tail start, n)
    for n in range(1, len(tokens) // MIN_LOOP_REPEATS + 1):
        start = _tail_start(tokens, n)
        repeats = (len(tokens) - start) // n
        if repeats < MIN_LOOP_REPEATS or not any(map(is_word, tokens[start : start + n])):
            continue
        if cut is not None and not tokens[len(tokens) - n].startswith(cut):
            continue  # the cut word breaks the period
        wide = repeats >= MANY_REPEATS or length - spans[start][1] >= min_share * length
        if wide and (best is None or start < best[0]):
            best = (start, n)
    if best is None:
        return None
    start, n = best
    onset = spans[start][1]
    return Loop(onset, spans[start + n][1] - onset, n, (len(tokens) - start) / n)


def is_looped(text: str, max_chars: int | None = None) -> bool:
    """True when ``text`` ends in a loop (``find_loop`` finds one)."""
    return find_loop(text, max_chars) is not None


def loop_rate(continuations: Sequence[str], max_chars: int | None = None) -> float:
    """Fraction of continuations that end in a loop (the headline rule); NaN for none."""
    if not continuations:
        return math.nan
    return sum(is_looped(text, max_chars) for text in continuations) / len(continuations)


def loop_onset_period(text: str, max_chars: int | None = None) -> tuple[int, int] | None:
    """(onset, period) in characters of the loop ``text`` ends in, or None when it does not loop."""
    loop = find_loop(text, max_chars)
    return None if loop is None else (loop.onset, loop.period)
