"""Where, in one text, the loop and the copied n-grams are: character spans, and the text's own metrics.

The HTML report's sample browser highlights what the metrics found in each continuation. It never
recomputes a metric, so the harness stores, for every text of ``samples.json.gz``, what
``text_annotation`` returns: the loop the loop rule found, the spans of the word n-grams found in
the training split, and the per-continuation metrics of that one text. Every value comes from the
metric functions themselves (:mod:`benchmarks.metrics.repetition`, :mod:`benchmarks.metrics.overlap`),
on the same word tokens, so the spans agree with the cell's numbers:

- ``loop``: ``[onset, end, period]`` in characters, the loop the headline rule found
  (:func:`benchmarks.metrics.loops.find_loop`, as ``loop_rate`` counts it): ``text[onset:end]`` is
  the loop (``end`` is always the text's length), repeating every ``period`` characters. These are
  the onsets and periods whose medians a sweep cell reports. None when the text does not loop.
- ``looped``: whether it loops (``loop`` is not None).
- ``copied``: ``[[start, end], ...]``, the union of the character spans of the text's word n-grams
  that occur in the training index, overlapping spans merged, in order.
- ``seq_rep_4``, ``copy_rate_8``, ``valid_word_rate``: the per-continuation metrics of this text
  alone (None where undefined: fewer than 4 tokens, no 8-gram, no alphabetic word).

Offsets are into the NFC-normalised text (:func:`benchmarks.metrics.tokens.normalised`), as every
metric reads it; the browser shows that text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from benchmarks.metrics.loops import find_loop
from benchmarks.metrics.overlap import NgramIndex, copy_rate, valid_word_rate
from benchmarks.metrics.repetition import seq_rep_of
from benchmarks.metrics.tokens import ngrams, normalised
from benchmarks.metrics.tokens import token_spans as token_starts


def token_spans(text: str) -> list[tuple[int, int]]:
    """The character span ``(start, end)`` of each word token (``tokens.word_tokens``), in order,
    in the NFC text."""
    return [(start, start + len(token)) for token, start in token_starts(text)]


def loop_span(text: str, max_chars: int | None = None) -> tuple[int, int, int] | None:
    """``(onset, end, period)`` of the loop the headline rule found, in characters; None when the
    text does not loop (``max_chars``: the limit it was generated under, as ``find_loop`` takes it)."""
    loop = find_loop(text, max_chars)
    return None if loop is None else (loop.onset, len(normalised(text)), loop.period)


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
    nfc = normalised(text)
    tokens = [nfc[start:end] for start, end in spans]
    found = [
        (spans[i][0], spans[i + index.n - 1][1])
        for i, gram in enumerate(ngrams(tokens, index.n))
        if gram in index
    ]
    return merge_spans(found)


def defined(value: float) -> float | None:
    """None for NaN (a metric undefined for this text), else the value."""
    return None if math.isnan(value) else value


def text_annotation(
    text: str, index: NgramIndex, vocabulary: Iterable[str], max_chars: int | None = None
) -> dict[str, Any]:
    """What the sample browser shows of one text (keys in the module docstring); JSON-ready.

    ``index`` and ``vocabulary`` are the training split's, as the sweep metrics use them
    (``benchmarks.samples.train_indexes``: ``"ngrams"`` and ``"vocabulary"``); ``max_chars`` is the
    limit the text was generated under (the loop rule leaves out a last word it cut).
    """
    loop = loop_span(text, max_chars)
    return {
        "loop": list(loop) if loop is not None else None,
        "looped": loop is not None,
        "copied": [list(span) for span in copied_spans(text, index)],
        "seq_rep_4": seq_rep_of(text, 4),
        "copy_rate_8": defined(copy_rate([text], index)),
        "valid_word_rate": defined(valid_word_rate([text], vocabulary)),
    }
