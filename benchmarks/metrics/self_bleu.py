"""Self-BLEU: how much each sample looks like the others (Zhu et al. 2018, Texygen).

Each sample is the hypothesis and ALL OTHER samples are its references (leave-one-out: a sample is
never its own reference, and nothing is truncated). The score of one hypothesis is exactly NLTK's

    sentence_bleu(others, hypothesis, weights=(1/max_n,) * max_n,
                  smoothing_function=SmoothingFunction().method1)

on ``word_tokens``, and Self-BLEU is the mean over samples. NLTK's loop rebuilds every reference's
n-gram counts for every hypothesis, O(samples² · length); here each sample is counted once:

- clipping needs, per hypothesis n-gram, the largest count in any OTHER sample. Keeping, per n-gram,
  the top count, the sample holding it, and the second-largest count answers that for every sample
  (the second count when the sample asking is the holder, the top count otherwise);
- the closest reference length (NLTK's ``closest_ref_length``: nearest, ties to the shorter) comes
  from the sorted lengths of the other samples.

NLTK's corner cases, kept: a precision with zero matches becomes 0.1 / its denominator (method1's
epsilon); a hypothesis shorter than n has denominator 1 for that order; zero unigram matches gives a
score of exactly 0; brevity penalty 1 if the hypothesis is longer than the closest reference, else
exp(1 − r / c); the log-precisions are summed with ``math.fsum``.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence

from benchmarks.metrics.tokens import ngrams, word_tokens

SELF_BLEU_MAX_N = 4  # BLEU-4
METHOD1_EPSILON = 0.1  # NLTK SmoothingFunction().method1's default epsilon


def self_bleu(samples: Sequence[str], max_n: int = SELF_BLEU_MAX_N) -> float:
    """Mean leave-one-out BLEU-max_n of the samples on word tokens; NaN for fewer than 2 samples.

    (With one sample there is no reference: NLTK itself raises on an empty reference list.)
    """
    return self_bleu_of_tokens([word_tokens(text) for text in samples], max_n)


def self_bleu_of_tokens(token_lists: Sequence[Sequence[str]], max_n: int = SELF_BLEU_MAX_N) -> float:
    """``self_bleu`` on already tokenised samples."""
    scores = self_bleu_scores_of_tokens(token_lists, max_n)
    return math.fsum(scores) / len(scores) if scores else math.nan


def self_bleu_scores(samples: Sequence[str], max_n: int = SELF_BLEU_MAX_N) -> list[float]:
    """Each sample's leave-one-out BLEU-max_n against all the others (their mean is ``self_bleu``);
    [] for fewer than 2 samples."""
    return self_bleu_scores_of_tokens([word_tokens(text) for text in samples], max_n)


def self_bleu_scores_of_tokens(
    token_lists: Sequence[Sequence[str]], max_n: int = SELF_BLEU_MAX_N
) -> list[float]:
    if max_n < 1:
        raise ValueError(f"max_n must be >= 1, got {max_n}")
    if len(token_lists) < 2:
        return []
    lengths = [len(tokens) for tokens in token_lists]
    matches_by_order = [_clipped_matches(token_lists, n) for n in range(1, max_n + 1)]
    reference_lengths = _closest_other_lengths(lengths)
    return [
        _sentence_bleu(
            matches=[matches[index] for matches in matches_by_order],
            hypothesis_length=lengths[index],
            reference_length=reference_lengths[index],
        )
        for index in range(len(token_lists))
    ]


def _clipped_matches(token_lists: Sequence[Sequence[str]], n: int) -> list[int]:
    """Per sample: Σ over its n-grams of min(its count, the largest count in any other sample)."""
    counts = [Counter(ngrams(tokens, n)) for tokens in token_lists]
    leaders: dict[tuple[str, ...], list[int]] = {}  # n-gram -> [top count, holder index, second count]
    for index, counter in enumerate(counts):
        for gram, count in counter.items():
            leader = leaders.get(gram)
            if leader is None:
                leaders[gram] = [count, index, 0]
            elif count > leader[0]:
                leader[2], leader[0], leader[1] = leader[0], count, index
            elif count > leader[2]:
                leader[2] = count
    matches = []
    for index, counter in enumerate(counts):
        matched = 0
        for gram, count in counter.items():
            top, holder, second = leaders[gram]
            matched += min(count, second if holder == index else top)
        matches.append(matched)
    return matches


def _closest_other_lengths(lengths: Sequence[int]) -> list[int]:
    """Per sample: the length among the OTHER samples closest to its own, ties to the shorter."""
    ordered = sorted(lengths)
    multiplicity = Counter(lengths)
    closest = []
    for length in lengths:
        if multiplicity[length] > 1:
            closest.append(length)
            continue
        position = bisect.bisect_left(ordered, length)  # ordered[position] is this sample itself
        candidates = []
        if position > 0:
            candidates.append(ordered[position - 1])
        if position + 1 < len(ordered):
            candidates.append(ordered[position + 1])
        closest.append(min(candidates, key=lambda other: (abs(other - length), other)))
    return closest


def _sentence_bleu(matches: Sequence[int], hypothesis_length: int, reference_length: int) -> float:
    """NLTK's ``corpus_bleu`` arithmetic for one hypothesis with method1 smoothing, uniform weights."""
    if matches[0] == 0:
        return 0.0
    weight = 1.0 / len(matches)
    log_precisions = []
    for n, matched in enumerate(matches, start=1):
        denominator = max(1, hypothesis_length - n + 1)
        precision = matched / denominator if matched else METHOD1_EPSILON / denominator
        log_precisions.append(weight * math.log(precision))
    return _brevity_penalty(reference_length, hypothesis_length) * math.exp(math.fsum(log_precisions))


def _brevity_penalty(reference_length: int, hypothesis_length: int) -> float:
    if hypothesis_length > reference_length:
        return 1.0
    if hypothesis_length == 0:
        return 0.0
    return math.exp(1 - reference_length / hypothesis_length)
