"""Likelihood metrics from per-character log-probabilities (tokenizer-independent).

Every generator scores a held-out text as one natural-log probability per character; the metrics
below are all functions of the summed NLL and a count of units:

    bpc = NLL / (chars · ln 2)            bits per character (the headline)
    bpb = NLL / (utf-8 bytes · ln 2)      bits per byte
    word perplexity = exp(NLL / words)    words = len(re.split(r"\\s+", text)), lm-evaluation-harness's rule
    native token perplexity = exp(NLL / the model's own tokens)   NOT comparable across tokenizers

Documents are aggregated by summing NLL and units (corpus-weighted), never by averaging per-document
perplexities: ``LikelihoodTotals`` supports ``+`` and ``sum()`` for that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LN2 = math.log(2.0)
POSITIVE_LOGPROB_TOLERANCE = 1e-4  # float error allowed above log p = 0 before a score is rejected
BLOCK_ELEMENTS = 4_000_000  # resampled chunk indices held in memory at once by bootstrap_ci

_WHITESPACE_RUN = re.compile(r"\s+")


def word_count(text: str) -> int:
    """Words as lm-evaluation-harness counts them: ``len(re.split(r"\\s+", text))``.

    The rule is kept exactly, quirks included: ``""`` counts 1 word, and leading or trailing
    whitespace adds an empty "word" at each end (``" a b "`` counts 4).
    """
    return len(_WHITESPACE_RUN.split(text))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when there are no units to divide by."""
    return numerator / denominator if denominator > 0 else math.nan


def _exp_ratio(numerator: float, denominator: float) -> float:
    ratio = _ratio(numerator, denominator)
    if math.isnan(ratio):
        return ratio
    return math.exp(ratio) if ratio < 709.0 else math.inf  # exp overflows a double above ~709.78


@dataclass(frozen=True)
class LikelihoodTotals:
    """Summed NLL of some text and the units it can be divided by.

    Add totals of several documents with ``+`` (or ``sum(list_of_totals)``) to get corpus-weighted
    metrics. ``native_tokens`` is None when the model has no token count of its own (or when any
    summed part lacks one).
    """

    nll_nats: float  # −Σ ln p over every character
    chars: int  # len(text): Unicode code points
    bytes: int  # len(text.encode("utf-8"))
    words: int  # word_count(text)
    native_tokens: int | None = None  # the model's own tokens; None when it has none

    def __add__(self, other: LikelihoodTotals) -> LikelihoodTotals:
        if not isinstance(other, LikelihoodTotals):
            return NotImplemented
        tokens = None
        if self.native_tokens is not None and other.native_tokens is not None:
            tokens = self.native_tokens + other.native_tokens
        return LikelihoodTotals(
            nll_nats=self.nll_nats + other.nll_nats,
            chars=self.chars + other.chars,
            bytes=self.bytes + other.bytes,
            words=self.words + other.words,
            native_tokens=tokens,
        )

    def __radd__(self, other: object) -> LikelihoodTotals:
        if other == 0:  # lets the built-in sum() start from 0
            return self
        return NotImplemented

    @property
    def nats_per_char(self) -> float:
        return _ratio(self.nll_nats, self.chars)

    @property
    def bpc(self) -> float:
        """Bits per character: NLL / (chars · ln 2); NaN for an empty text."""
        return _ratio(self.nll_nats, self.chars * LN2)

    @property
    def bpb(self) -> float:
        """Bits per UTF-8 byte: NLL / (bytes · ln 2); NaN for an empty text."""
        return _ratio(self.nll_nats, self.bytes * LN2)

    @property
    def word_perplexity(self) -> float:
        """exp(NLL / words), words counted by lm-evaluation-harness's rule (``word_count``)."""
        return _exp_ratio(self.nll_nats, self.words)

    @property
    def native_token_perplexity(self) -> float | None:
        """exp(NLL / the model's own tokens): not comparable across tokenizers; None when unknown."""
        if self.native_tokens is None:
            return None
        return _exp_ratio(self.nll_nats, self.native_tokens)


def validated_logprobs(text: str, logprobs: Sequence[float] | np.ndarray) -> np.ndarray:
    """The scores as float64, after checking there is exactly one finite log-probability per character.

    Raises ValueError naming the first problem: a length mismatch, -inf/+inf/NaN at index i, or a
    log-probability above 0 (a probability above 1, e.g. NLL passed with the wrong sign).
    """
    scores = np.asarray(logprobs, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"logprobs must be one-dimensional, got shape {scores.shape}")
    if len(scores) != len(text):
        raise ValueError(f"got {len(scores)} log-probabilities for a text of {len(text)} characters")
    bad = np.flatnonzero(~np.isfinite(scores))
    if len(bad):
        index = int(bad[0])
        raise ValueError(
            f"log-probability {scores[index]} at index {index} ({text[index]!r}); all must be finite"
        )
    positive = np.flatnonzero(scores > POSITIVE_LOGPROB_TOLERANCE)
    if len(positive):
        index = int(positive[0])
        raise ValueError(
            f"log-probability {scores[index]} > 0 at index {index} ({text[index]!r}): a probability above 1"
        )
    return scores


def totals_from_scores(
    text: str, logprobs: Sequence[float] | np.ndarray, native_tokens: int | None = None
) -> LikelihoodTotals:
    """Totals of one text from its per-character natural-log probabilities (validated first)."""
    scores = validated_logprobs(text, logprobs)
    return LikelihoodTotals(
        nll_nats=-math.fsum(scores.tolist()),
        chars=len(text),
        bytes=len(text.encode("utf-8")),
        words=word_count(text),
        native_tokens=native_tokens,
    )


@dataclass(frozen=True)
class ScoreChunks:
    """Per-chunk NLL and character counts of one scored text, for ``bootstrap_ci``."""

    chunk_chars: int  # the chunk size used (the last chunk may be shorter)
    nll_nats: np.ndarray  # (chunks,) −Σ ln p within each chunk
    chars: np.ndarray  # (chunks,) characters in each chunk, float64


def chunk_scores(logprobs: Sequence[float] | np.ndarray, chunk_chars: int) -> ScoreChunks:
    """Split per-character log-probabilities into consecutive chunks of ``chunk_chars`` characters.

    Chunks of a few thousand characters make the resampling units roughly independent (characters are
    not). The last chunk keeps the remainder; the ratio estimator weights it by its length.
    """
    if chunk_chars < 1:
        raise ValueError(f"chunk_chars must be >= 1, got {chunk_chars}")
    scores = np.asarray(logprobs, dtype=np.float64)
    starts = np.arange(0, len(scores), chunk_chars)
    nll = -np.add.reduceat(scores, starts) if len(scores) else np.zeros(0)
    chars = np.diff(np.append(starts, len(scores))).astype(np.float64)
    return ScoreChunks(chunk_chars=chunk_chars, nll_nats=nll, chars=chars)


def bootstrap_ci(
    chunk_nll: Sequence[float] | np.ndarray,
    chunk_units: Sequence[float] | np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the ratio Σ NLL / Σ units over chunks (corpus-weighted).

    Each resample draws as many chunks as there are, with replacement, and computes
    sum(nll[drawn]) / sum(units[drawn]); the interval is the (1 − confidence)/2 and (1 + confidence)/2
    percentiles (numpy's linear interpolation) of those ratios. With units = characters the ratio is in
    nats per character: divide both ends by ln 2 for bpc (percentiles commute with a positive scale).
    Deterministic for a seed (an explicit ``np.random.Generator``).
    """
    nll = np.asarray(chunk_nll, dtype=np.float64)
    units = np.asarray(chunk_units, dtype=np.float64)
    if nll.ndim != 1 or nll.shape != units.shape:
        raise ValueError(f"chunk_nll {nll.shape} and chunk_units {units.shape} must be 1-D of equal length")
    if len(nll) == 0:
        raise ValueError("bootstrap_ci needs at least one chunk")
    if not np.all(np.isfinite(nll)) or not np.all(units > 0):
        raise ValueError("every chunk needs a finite NLL and a positive number of units")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    ratios = resampled_ratios(nll[None, :], units, n_resamples, np.random.default_rng(seed))
    return percentile_interval(ratios, confidence)


def percentile_interval(ratios: np.ndarray, confidence: float) -> tuple[float, float]:
    """The (1 − confidence)/2 and (1 + confidence)/2 percentiles of resampled estimates."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.percentile(ratios, [100.0 * tail, 100.0 * (1.0 - tail)])
    return float(low), float(high)


def resampled_ratios(
    x: np.ndarray,
    w: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
    seed_counts: np.ndarray | None = None,
) -> np.ndarray:
    """(n_resamples,) ratios Σ x[drawn seeds × drawn units] / (S · Σ w[drawn units]) of ``x[seed, unit]``.

    Each resample draws as many units as there are, with replacement, in blocks of resamples (to
    bound memory; the block size never changes the numbers); ``seed_counts[resample, seed]`` says how
    often each seed is drawn (every seed once when None). One seed is ``bootstrap_ci``'s chunk
    bootstrap; several, the pigeonhole bootstrap of :mod:`benchmarks.metrics.significance`.
    """
    seeds, units = x.shape
    counts = np.ones((n_resamples, seeds)) if seed_counts is None else seed_counts
    rows_per_block = max(1, BLOCK_ELEMENTS // units)
    ratios = np.empty(n_resamples)
    for start in range(0, n_resamples, rows_per_block):
        rows = min(rows_per_block, n_resamples - start)
        drawn = rng.integers(0, units, size=(rows, units))  # (rows, units) unit indices
        summed = counts[start : start + rows] @ x  # (rows, units): each unit summed over drawn seeds
        numerator = np.take_along_axis(summed, drawn, axis=1).sum(axis=1)
        ratios[start : start + rows] = numerator / (seeds * w[drawn].sum(axis=1))
    return ratios
