"""Where, in one text, the loop and the copied n-grams are: character spans, and the text's own metrics.

The HTML report's sample browser highlights what the metrics found in each continuation. It never
recomputes a metric, so the harness stores, for every text of ``samples.json.gz``, what
``text_annotation`` returns: the loop the loop rule found, the spans of the word n-grams found in
the training split, and the per-continuation metrics of that one text. Every value comes from the
metric functions themselves (:mod:`benchmarks.metrics.repetition`, :mod:`benchmarks.metrics.overlap`),
on the same word tokens, so the spans agree with the cell's numbers:

- ``loop``: ``[onset, end, period]`` in characters (Python string indices, code points), set when
  Holtzman et al.'s rule finds the text looped (``is_looped(loop_tokens(text))``, as ``loop_rate``
  counts it) and ``loop_onset_period`` finds its character loop: ``text[onset:end]`` is the loop
  (``end`` is always ``len(text)``), repeating every ``period`` characters. These onsets and periods
  are the ones whose medians a sweep cell reports. None otherwise.
- ``looped``: the rule's verdict (True with ``loop`` None when the words loop but the characters
  have no period repeated ``MIN_PERIODS`` times: such a text counts in the loop rate, not in the medians).
- ``copied``: ``[[start, end], ...]``, the union of the character spans of the text's word n-grams
  that occur in the training index, overlapping spans merged, in order.
- ``seq_rep_4``, ``copy_rate_8``, ``valid_word_rate``: the per-continuation metrics of this text
  alone (None where undefined: fewer than 4 tokens, no 8-gram, no alphabetic word).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from benchmarks.metrics.overlap import NgramIndex, copy_rate, valid_word_rate
from benchmarks.metrics.repetition import (
    _WORD_TOKEN,
    is_looped,
    loop_onset_period,
    loop_tokens,
    ngrams,
    seq_rep_n,
)


def token_spans(text: str) -> list[tuple[int, int]]:
    """The character span ``(start, end)`` of each word token (``repetition.word_tokens``), in order."""
    return [match.span() for match in _WORD_TOKEN.finditer(text)]


def loop_span(text: str) -> tuple[int, int, int] | None:
    """``(onset, end, period)`` of the loop the loop rule found, in characters; None when not looped
    or when the looped text has no character period (``loop_onset_period`` gives None)."""
    if not is_looped(loop_tokens(text)):
        return None
    found = loop_onset_period(text)
    return None if found is None else (found[0], len(text), found[1])


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open spans as disjoint spans in order (overlapping ones joined, touching kept apart)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def copied_spans(text: str, index: NgramIndex) -> list[tuple[int, int]]:
    """The character spans of the text's word n-grams (``index.n`` tokens) found in ``index``, merged."""
    spans = token_spans(text)
    tokens = [text[start:end] for start, end in spans]
    found = [
        (spans[i][0], spans[i + index.n - 1][1])
        for i, gram in enumerate(ngrams(tokens, index.n))
        if gram in index
    ]
    return merge_spans(found)


def defined(value: float) -> float | None:
    """None for NaN (a metric undefined for this text), else the value."""
    return None if math.isnan(value) else value


def text_annotation(text: str, index: NgramIndex, vocabulary: Iterable[str]) -> dict[str, Any]:
    """What the sample browser shows of one text (keys in the module docstring); JSON-ready.

    ``index`` and ``vocabulary`` are the training split's, as the sweep metrics use them
    (``benchmarks.samples.train_indexes``: ``"ngrams"`` and ``"vocabulary"``).
    """
    loop = loop_span(text)
    return {
        "loop": list(loop) if loop is not None else None,
        "looped": is_looped(loop_tokens(text)),
        "copied": [list(span) for span in copied_spans(text, index)],
        "seq_rep_4": defined(seq_rep_n([text], 4)),
        "copy_rate_8": defined(copy_rate([text], index)),
        "valid_word_rate": defined(valid_word_rate([text], vocabulary)),
    }
