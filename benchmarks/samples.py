"""The metrics of one cell of the sweep (a generator, or the human text, at one temperature).

A cell holds ``samples_per_prompt`` continuations of each test prompt, prompt-major (every sample
of the first prompt, then of the second, …). Two kinds of metric, two sets of texts:

- per-continuation metrics (seq-rep-n, loop rates, onset and period, copy rate, valid-word rate,
  mean length) are means or rates over continuations: they use every sample (``samples``);
- pooled metrics (distinct-n, Self-BLEU-4, Zipf) compare texts with each other and change with
  their number: they use the first sample of each prompt only (``pooled_samples``, one text per
  prompt, as many as the human row has). Otherwise samples of the same prompt are each other's
  Self-BLEU references (at T=0 they are identical: Self-BLEU 1) and a cell with more samples
  than the human row is not compared like with like.

Loops: ``loop_rate`` is the headline rule of :mod:`benchmarks.metrics.loops` (a periodic tail of
three repetitions, or two covering a fifth of the continuation, at any phrase length);
``loop_rate_holtzman`` is Holtzman et al.'s rule, kept as its own column. ``loop_onset_median``
and ``loop_period_median`` (characters) are taken over the ``loop_span_count`` continuations the
headline rule calls looped: every one of them has an onset and a period.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.files import finite_or_none
from benchmarks.metrics import (
    NgramIndex,
    distinct_n,
    find_loop,
    loop_rate_holtzman,
    self_bleu,
    self_bleu_scores,
    seq_rep_n,
    seq_rep_of,
    training_vocabulary,
    valid_word_rate,
    zipf_coefficient,
)
from benchmarks.metrics import copy_rate as copy_rate_of
from benchmarks.metrics.operating import jackknife_interval
from benchmarks.metrics.spans import text_annotation

COPY_NGRAM = 8  # word n-gram length for the copy (memorisation) rate


def train_indexes(train: str) -> dict[str, Any]:
    """What the cell metrics need from the train split, built once per run."""
    return {"ngrams": NgramIndex.from_text(train, COPY_NGRAM), "vocabulary": training_vocabulary(train)}


def loop_statistics(texts: list[str], max_chars: int | None = None) -> dict[str, Any]:
    """Both loop rates, and the median character onset and period of the looped continuations.

    The medians are over the ``loop_span_count`` continuations the headline rule calls looped;
    ``max_chars`` is the limit the texts were generated (or cut) under.
    """
    loops = [loop for loop in (find_loop(text, max_chars) for text in texts) if loop is not None]
    return {
        "loop_rate": len(loops) / len(texts) if texts else None,
        "loop_rate_holtzman": loop_rate_holtzman(texts, max_chars) if texts else None,
        "loop_onset_median": float(np.median([loop.onset for loop in loops])) if loops else None,
        "loop_period_median": float(np.median([loop.period for loop in loops])) if loops else None,
        "loop_span_count": len(loops),
    }


def first_sample_per_prompt(texts: list[str], samples_per_prompt: int) -> list[str]:
    """The first continuation of each prompt, from prompt-major ``texts``."""
    if samples_per_prompt < 1 or len(texts) % samples_per_prompt:
        raise ValueError(f"{len(texts)} continuations are not {samples_per_prompt} per prompt")
    return texts[::samples_per_prompt]


def continuation_metrics(texts: list[str], indexes: dict[str, Any], max_chars: int | None) -> dict[str, Any]:
    """Metrics that are means or rates over continuations: every sample counts."""
    metrics: dict[str, Any] = {f"seq_rep_{n}": seq_rep_n(texts, n) for n in range(1, 5)}
    metrics.update(loop_statistics(texts, max_chars))
    metrics["copy_rate_8"] = copy_rate_of(texts, indexes["ngrams"])
    metrics["valid_word_rate"] = valid_word_rate(texts, indexes["vocabulary"])
    metrics["mean_chars"] = float(np.mean([len(t) for t in texts])) if texts else 0.0
    return metrics


def pooled_metrics(texts: list[str]) -> dict[str, Any]:
    """Metrics over the texts taken together (their value depends on how many there are)."""
    metrics: dict[str, Any] = {f"distinct_{n}": distinct_n(texts, n) for n in range(1, 5)}
    metrics["self_bleu_4"] = self_bleu(texts) if len(texts) > 1 else None
    metrics["zipf"] = zipf_coefficient(texts)
    return metrics


def per_prompt_values(
    texts: list[str], samples_per_prompt: int, max_chars: int | None = None
) -> dict[str, list[float | None]]:
    """Each prompt's own value of the metrics the paired tests compare (benchmarks.run.comparisons):
    the share of its continuations that loop, their mean seq-rep-4 (None when none has 4 tokens),
    and its first continuation's Self-BLEU-4 against the other prompts' first continuations."""
    groups = [texts[i : i + samples_per_prompt] for i in range(0, len(texts), samples_per_prompt)]
    looped = [float(np.mean([find_loop(text, max_chars) is not None for text in group])) for group in groups]
    reps = [[v for v in (seq_rep_of(text, 4) for text in group) if v is not None] for group in groups]
    bleu = self_bleu_scores(first_sample_per_prompt(texts, samples_per_prompt))
    return {
        "looped": looped,
        "seq_rep_4": [float(np.mean(r)) if r else None for r in reps],
        "self_bleu_4": [float(b) for b in bleu] if bleu else [None] * len(groups),
    }


def human_intervals(texts: list[str]) -> dict[str, list[float] | None]:
    """95% intervals over prompts of the human continuations' distinct-2 and Self-BLEU-4 (the
    delete-one jackknife, :func:`benchmarks.metrics.operating.jackknife_interval`): how far a
    generator's diversity may be from the human value and still match it."""
    metrics = {"distinct_2": lambda t: distinct_n(t, 2), "self_bleu_4": self_bleu}
    intervals = {key: jackknife_interval(texts, metric) for key, metric in metrics.items()}
    return {key: list(interval) if interval else None for key, interval in intervals.items()}


def annotate(texts: list[str], indexes: dict[str, Any], max_chars: int | None = None) -> list[dict[str, Any]]:
    """Each text's loop span, copied spans and own metrics, for the HTML report's sample browser
    (:func:`benchmarks.metrics.spans.text_annotation`)."""
    return [text_annotation(text, indexes["ngrams"], indexes["vocabulary"], max_chars) for text in texts]


def cell_metrics(
    texts: list[str], indexes: dict[str, Any], samples_per_prompt: int = 1, max_chars: int | None = None
) -> dict[str, Any]:
    """Repetition, diversity and overlap metrics of one cell's continuations (prompt-major).

    ``samples`` counts the continuations the per-continuation metrics used, ``pooled_samples`` the
    texts (one per prompt) the pooled metrics used; ``max_chars`` is the limit the texts were
    generated (or, for the human text, cut) under.
    """
    pooled = first_sample_per_prompt(texts, samples_per_prompt)
    metrics = {
        "samples": len(texts),
        "pooled_samples": len(pooled),
        **continuation_metrics(texts, indexes, max_chars),
        **pooled_metrics(pooled),
    }
    metrics = {
        key: finite_or_none(value) if isinstance(value, float) else value for key, value in metrics.items()
    }
    return {**metrics, "per_prompt": per_prompt_values(texts, samples_per_prompt, max_chars)}
