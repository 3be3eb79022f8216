"""The metrics of one cell of the sweep (a generator, or the human text, at one temperature)."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.metrics import (
    NgramIndex,
    distinct_n,
    is_looped,
    loop_onset_period,
    self_bleu,
    seq_rep_n,
    training_vocabulary,
    valid_word_rate,
    word_tokens,
    zipf_coefficient,
)
from benchmarks.metrics import copy_rate as copy_rate_of
from benchmarks.store import finite_or_none

COPY_NGRAM = 8  # word n-gram length for the copy (memorisation) rate


def train_indexes(train: str) -> dict[str, Any]:
    """What the cell metrics need from the train split, built once per run."""
    return {"ngrams": NgramIndex.from_text(train, COPY_NGRAM), "vocabulary": training_vocabulary(train)}


def loop_statistics(texts: list[str]) -> dict[str, Any]:
    looped = [text for text in texts if is_looped(word_tokens(text))]
    spans = [span for span in (loop_onset_period(text) for text in looped) if span is not None]
    return {
        "loop_rate": len(looped) / len(texts) if texts else None,
        "loop_onset_median": float(np.median([s[0] for s in spans])) if spans else None,
        "loop_period_median": float(np.median([s[1] for s in spans])) if spans else None,
    }


def cell_metrics(texts: list[str], indexes: dict[str, Any]) -> dict[str, Any]:
    """Repetition, diversity and overlap metrics of one cell's continuations."""
    metrics: dict[str, Any] = {f"seq_rep_{n}": seq_rep_n(texts, n) for n in range(1, 5)}
    metrics.update({f"distinct_{n}": distinct_n(texts, n) for n in range(1, 5)})
    metrics.update(loop_statistics(texts))
    metrics["self_bleu_4"] = self_bleu(texts) if len(texts) > 1 else None
    metrics["zipf"] = zipf_coefficient(texts)
    metrics["copy_rate_8"] = copy_rate_of(texts, indexes["ngrams"])
    metrics["valid_word_rate"] = valid_word_rate(texts, indexes["vocabulary"])
    metrics["mean_chars"] = float(np.mean([len(t) for t in texts])) if texts else 0.0
    return {
        key: finite_or_none(value) if isinstance(value, float) else value for key, value in metrics.items()
    }
