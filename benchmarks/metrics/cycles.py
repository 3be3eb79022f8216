"""Cycling at a long horizon: which continuations fall into a cycle, when, into which, and drifting loops.

The cycling probe generates one long continuation per test prompt (``sweep.cycle_chars``
characters, 2,000 by default) at a few low temperatures. A loop rule reads only the text it is
given: in 300 characters it cannot see a 228-character cycle, which a greedy word chain falls
into within 20 characters. Per continuation:

- **cycling**: the headline loop rule of :mod:`benchmarks.metrics.loops` (``find_loop``) on the
  long text, so one rule counts loops at every horizon. It sees any period up to half the horizon
  (two repetitions must fit). **Onset** (characters before the cycle begins) and **period**
  (characters of one repetition) are the rule's.
- **attractor**: the cycle's text, ``text[onset:onset + period]``, reduced to its primitive root
  (a period read as two copies of a shorter one is that shorter one) and taken up to rotation
  (its least rotation). Two continuations share an attractor when these are equal: the same
  cycle, entered at different points. Attractors are numbered by size, 1 the largest (ties: in
  prompt order).
- **tail repetition** (``tail_rep_4``): of the word 4-grams that begin in the last half of the
  continuation's characters, the share that already occurred earlier in the continuation. It is
  seq-rep-4's own count (an n-gram that is not its first occurrence), restricted to the tail and
  held against the whole text, so a tail that re-walks earlier text counts even when the repeat is
  longer than the tail. A continuation is **degenerate** when its tail repetition is at least
  ``DEGENERATE_TAIL_REP`` (three quarters): most of its tail repeats earlier text, exactly
  periodic or drifting ("And, and the baste, …" five times, then "And, and the bat of the bat of
  the bat,").

Calibration of ``DEGENERATE_TAIL_REP`` on human text (``python -m benchmarks.calibrate``): five
independent draws (seeds 0–4) of 3,000 random passages of the shakespeare test split at each
horizon. The highest tail repetition per draw was 0.649, 0.667, 0.468, 0.629 and 0.583 at 300
characters; 0.465, 0.556, 0.461, 0.535 and 0.540 at 1,000; 0.342, 0.362, 0.330, 0.367 and 0.366
at 2,000. Human text repeats too (a song's refrain, "With hey, ho, the wind and the rain", gave
0.667 at 300 characters), and the shorter the horizon the more a refrain weighs, so one half,
enough at 2,000 characters, would call refrains degenerate at 300 and 1,000: the threshold is set
above every human passage at every calibrated horizon (300 characters and more).

Tokens are :mod:`benchmarks.metrics.tokens`' word tokens; a last word that the limit
``max_chars`` cut is left out (as ``find_loop`` leaves it out). Offsets are into the NFC text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.metrics.loops import Loop, find_loop
from benchmarks.metrics.tokens import last_word_cut, ngrams, normalised, token_spans

TAIL_NGRAM = 4  # word n-grams of the tail repetition (seq-rep-4's n)
DEGENERATE_TAIL_REP = 0.75  # a tail repeating at least this share is degenerate (calibrated above)
CURVE_POINTS = 40  # characters-generated points of the cycling curve
# the numbers of a probe setting that the sweep cell of the same setting carries (its ``cycling``)
HEADLINE_CYCLING = ("chars", "looped_share", "degenerate_share", "tail_rep_4", "attractors", "largest_attractor_share")


def primitive_root(text: str) -> str:
    """The shortest ``u`` with ``text == u * k`` ("abab" -> "ab"; "aba" -> "aba")."""
    n = len(text)
    for size in range(1, n // 2 + 1):
        if n % size == 0 and text[:size] * (n // size) == text:
            return text[:size]
    return text


def least_rotation(text: str) -> str:
    """The lexicographically least rotation of ``text`` (Booth's algorithm, linear time)."""
    doubled = text + text
    failure = [-1] * len(doubled)
    best = 0
    for j in range(1, len(doubled)):
        char, i = doubled[j], failure[j - best - 1]
        while i != -1 and char != doubled[best + i + 1]:
            if char < doubled[best + i + 1]:
                best = j - i - 1
            i = failure[i]
        if char != doubled[best + i + 1]:  # here i == -1
            if char < doubled[best]:
                best = j
            failure[j - best] = -1
        else:
            failure[j - best] = i + 1
    return doubled[best : best + len(text)]


def cycle_key(text: str, loop: Loop) -> str:
    """The attractor a looped text ends in: its cycle's primitive root, least rotation."""
    cycle = normalised(text)[loop.onset : loop.onset + loop.period]
    return least_rotation(primitive_root(cycle))


def attractors(keys: Sequence[str | None]) -> tuple[list[int | None], list[int]]:
    """Each text's attractor number (1 = the largest; None: no cycle) and each attractor's size."""
    counts = Counter(key for key in keys if key is not None)
    first = {key: keys.index(key) for key in counts}
    ranked = sorted(counts, key=lambda key: (-counts[key], first[key]))
    number = {key: rank + 1 for rank, key in enumerate(ranked)}
    return [None if key is None else number[key] for key in keys], [counts[key] for key in ranked]


def tail_rep(text: str, max_chars: int | None = None, n: int = TAIL_NGRAM) -> float | None:
    """Share of the word n-grams beginning in the last half of the characters that occurred earlier
    in the text; None when none begins there."""
    spans = token_spans(text)
    if last_word_cut([token for token, _ in spans], text, max_chars):
        spans = spans[:-1]
    half = len(normalised(text)) / 2
    seen: set[tuple[str, ...]] = set()
    repeated = total = 0
    for gram, (_, start) in zip(ngrams([token for token, _ in spans], n), spans, strict=False):
        if start >= half:
            total += 1
            repeated += gram in seen
        seen.add(gram)
    return repeated / total if total else None


def is_degenerate(value: float | None) -> bool:
    """True when a tail repetition reaches ``DEGENERATE_TAIL_REP``."""
    return value is not None and value >= DEGENERATE_TAIL_REP


@dataclass(frozen=True)
class TextCycle:
    """What the probe finds in one long continuation."""

    loop: Loop | None  # the cycle the loop rule found
    key: str | None  # its attractor (cycle_key)
    tail_rep: float | None  # tail repetition


def text_cycle(text: str, max_chars: int | None) -> TextCycle:
    loop = find_loop(text, max_chars)
    return TextCycle(loop, None if loop is None else cycle_key(text, loop), tail_rep(text, max_chars))


def agrees_with_exact(text: str, loop: Loop | None, exact: tuple[int, int] | None) -> bool:
    """Whether the loop rule's ``loop`` is the cycle a model found from its own state (``exact``:
    onset and period in characters, as ``Generator.greedy_cycles`` gives them): the same period,
    from the first word token at or after the exact onset; or no loop where there is no exact cycle,
    or where two of its repetitions do not fit in the text (no rule on the text can see it)."""
    if exact is None or exact[0] + 2 * exact[1] > len(normalised(text)):
        return loop is None
    onset, period = exact
    first = next((start for _, start in token_spans(text) if start >= onset), None)
    return loop is not None and (loop.onset, loop.period) == (first, period)


def quartiles(values: Sequence[float]) -> dict[str, float | None]:
    """25th, 50th and 75th percentiles (numpy's linear rule); None for no values."""
    if not values:
        return {"p25": None, "median": None, "p75": None}
    p25, median, p75 = np.percentile(np.asarray(values, dtype=np.float64), [25, 50, 75]).tolist()
    return {"p25": p25, "median": median, "p75": p75}


def cycling_curve(onsets: Sequence[int | None], horizon: int) -> dict[str, list[float]]:
    """Share of the continuations whose cycle has begun (onset <= c) at ``CURVE_POINTS`` evenly
    spaced character counts c up to ``horizon``; it ends at the looped share."""
    chars = [horizon * (i + 1) / CURVE_POINTS for i in range(CURVE_POINTS)]
    found = np.array([o for o in onsets if o is not None], dtype=np.float64)
    share = [float((found <= c).sum() / len(onsets)) if onsets else 0.0 for c in chars]
    return {"chars": chars, "share": share}


def cycle_statistics(
    texts: Sequence[str], max_chars: int | None, exact: Sequence[tuple[int, int] | None] | None = None
) -> dict[str, Any]:
    """The probe's numbers for one cell and temperature (one continuation per prompt), JSON-ready:
    shares, onset and period quartiles over the cycling texts, attractors, the cycling curve, and
    each prompt's own values (``per_prompt``, for the paired tests and the sample browser).

    ``exact``: each text's cycle as the model found it from its own state (greedy text of a model
    that can tell, else None): ``exact_cycles`` counts them, ``exact_agree`` the texts where the
    loop rule agrees (``agrees_with_exact``).
    """
    found = [text_cycle(text, max_chars) for text in texts]
    loops = [f.loop for f in found]
    onsets = [None if loop is None else loop.onset for loop in loops]
    periods = [None if loop is None else loop.period for loop in loops]
    numbers, sizes = attractors([f.key for f in found])
    degenerate = [is_degenerate(f.tail_rep) for f in found]
    looped = [loop is not None for loop in loops]
    reps = [f.tail_rep for f in found if f.tail_rep is not None]
    count = len(texts)
    onset = quartiles([o for o in onsets if o is not None])
    period = quartiles([p for p in periods if p is not None])
    stats: dict[str, Any] = {
        "samples": count,
        "looped_share": sum(looped) / count if count else None,
        "degenerate_share": sum(degenerate) / count if count else None,
        "looped_count": sum(looped),
        "degenerate_threshold": DEGENERATE_TAIL_REP,
        "tail_rep_4": float(np.mean(reps)) if reps else None,
        **{f"onset_{k}": v for k, v in onset.items()},
        **{f"period_{k}": v for k, v in period.items()},
        "attractors": len(sizes),
        "largest_attractor_share": sizes[0] / count if sizes else 0.0 if count else None,
        "attractor_sizes": sizes,
        "curve": cycling_curve(onsets, max_chars or max(map(len, texts), default=0)),
        "per_prompt": {
            "looped": [float(x) for x in looped],
            "degenerate": [float(x) for x in degenerate],
            "onset": onsets,
            "period": periods,
            "attractor": numbers,
            "tail_rep_4": [f.tail_rep for f in found],
        },
    }
    if exact is not None:
        agree = [agrees_with_exact(t, loop, e) for t, loop, e in zip(texts, loops, exact, strict=True)]
        stats.update(exact_cycles=sum(e is not None for e in exact), exact_agree=sum(agree))
        stats["per_prompt"]["exact"] = [None if e is None else list(e) for e in exact]
    return stats
