"""Metrics: pure functions of strings and numbers (no torch, no generator objects).

Each module's docstring states its definitions and names their published sources:
:mod:`~benchmarks.metrics.likelihood` (bpc, bpb, word and token perplexity, bootstrap interval),
:mod:`~benchmarks.metrics.tokens` (the word tokens every text metric uses),
:mod:`~benchmarks.metrics.repetition` (seq-rep-n, Holtzman et al.'s loop rule),
:mod:`~benchmarks.metrics.loops` (the headline loop rate, onset and period),
:mod:`~benchmarks.metrics.cycles` (cycling at a long horizon: attractors, drifting loops),
:mod:`~benchmarks.metrics.diversity` (distinct-n, Zipf), :mod:`~benchmarks.metrics.self_bleu`
(Self-BLEU-4) and :mod:`~benchmarks.metrics.overlap` (copy rate, valid-word rate).
"""

from benchmarks.metrics.cycles import (
    DEGENERATE_TAIL_REP,
    agrees_with_exact,
    cycle_key,
    cycle_statistics,
    tail_rep,
)
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
from benchmarks.metrics.loops import Loop, find_loop, is_looped, loop_onset_period, loop_rate
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
    is_looped_holtzman,
    loop_rate_holtzman,
    loop_repeats,
    seq_rep_n,
    seq_rep_of,
)
from benchmarks.metrics.self_bleu import self_bleu, self_bleu_of_tokens, self_bleu_scores
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
from benchmarks.metrics.tokens import loop_tokens, ngrams, normalised, token_spans, word_tokens

__all__ = [
    "DEGENERATE_TAIL_REP",
    "LikelihoodTotals",
    "Loop",
    "NgramIndex",
    "PairedDifference",
    "ScoreChunks",
    "agrees_with_exact",
    "alphabetic_words",
    "bootstrap_ci",
    "bpc_comparisons",
    "bpc_interval",
    "chunk_scores",
    "comparisons",
    "copy_rate",
    "cycle_key",
    "cycle_statistics",
    "distinct_n",
    "find_loop",
    "holm_adjust",
    "is_looped",
    "is_looped_holtzman",
    "loop_onset_period",
    "loop_rate",
    "loop_rate_holtzman",
    "loop_repeats",
    "loop_tokens",
    "mean_interval",
    "mean_sd",
    "metric_comparisons",
    "ngrams",
    "normalised",
    "paired_bpc_difference",
    "paired_mean_difference",
    "per_seed_bpc",
    "self_bleu",
    "self_bleu_of_tokens",
    "self_bleu_scores",
    "seq_rep_n",
    "seq_rep_of",
    "sign_flip_test",
    "tail_rep",
    "tie_aware_ranks",
    "token_spans",
    "totals_from_scores",
    "training_vocabulary",
    "valid_word_rate",
    "validated_logprobs",
    "word_count",
    "word_tokens",
    "zipf_coefficient",
]
