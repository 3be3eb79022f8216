"""Metrics: pure functions of strings and numbers (no torch, no generator objects).

Definitions follow ``REFERENCE.md``; each module's docstring names its published source.
"""

from benchmarks.metrics.diversity import distinct_n, zipf_coefficient
from benchmarks.metrics.likelihood import (
    LikelihoodTotals,
    ScoreChunks,
    bootstrap_ci,
    chunk_scores,
    totals_from_scores,
    validated_logprobs,
    word_count,
)
from benchmarks.metrics.overlap import (
    NgramIndex,
    alphabetic_words,
    copy_rate,
    training_vocabulary,
    valid_word_rate,
)
from benchmarks.metrics.ranking import (
    bpc_comparisons,
    comparisons,
    holm_adjust,
    metric_comparisons,
    tie_aware_ranks,
)
from benchmarks.metrics.repetition import (
    is_looped,
    loop_onset_period,
    loop_rate,
    loop_repeats,
    loop_tokens,
    ngrams,
    seq_rep_n,
    word_tokens,
)
from benchmarks.metrics.self_bleu import self_bleu, self_bleu_of_tokens
from benchmarks.metrics.significance import (
    PairedDifference,
    bpc_interval,
    mean_interval,
    mean_sd,
    paired_bpc_difference,
    paired_mean_difference,
    per_seed_bpc,
    sign_flip_test,
)

__all__ = [
    "LikelihoodTotals",
    "NgramIndex",
    "PairedDifference",
    "ScoreChunks",
    "alphabetic_words",
    "bootstrap_ci",
    "bpc_comparisons",
    "bpc_interval",
    "chunk_scores",
    "comparisons",
    "copy_rate",
    "distinct_n",
    "holm_adjust",
    "is_looped",
    "loop_onset_period",
    "loop_rate",
    "loop_repeats",
    "loop_tokens",
    "mean_interval",
    "mean_sd",
    "metric_comparisons",
    "ngrams",
    "paired_bpc_difference",
    "paired_mean_difference",
    "per_seed_bpc",
    "self_bleu",
    "self_bleu_of_tokens",
    "seq_rep_n",
    "sign_flip_test",
    "tie_aware_ranks",
    "totals_from_scores",
    "training_vocabulary",
    "valid_word_rate",
    "validated_logprobs",
    "word_count",
    "word_tokens",
    "zipf_coefficient",
]
