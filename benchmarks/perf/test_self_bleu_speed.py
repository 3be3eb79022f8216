"""Self-BLEU speed: the counting implementation on 1,000 samples against NLTK's leave-one-out loop.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_self_bleu_speed.py --benchmark-enable``).
NLTK's loop recounts every reference for every hypothesis, so it costs ~ samples · (samples − 1);
it is timed on a small subset and extrapolated to 1,000 samples in ``extra_info``.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics import self_bleu, word_tokens

SAMPLES = 1_000
SAMPLE_CHARS = 300
NLTK_SUBSET = 50  # NLTK's loop on 1,000 samples takes minutes: time this many and extrapolate
BUDGET_SECONDS = 10.0  # the target for 1,000 samples of 300 characters on one core

COMMON_WORDS_TEXT = (
    "the of and to a in that is was he for it with as his on be at by i this had not are but from or have an "
    "they which one you were her all she there would their we him been has when who will more no if out so "
    "said what up its about into than them can only other new some could time these two may then do first "
    "any my now such like our over man me even most made after also did many before must through back years "
    "where much your way well down should because each just those people how too little state good very make "
    "world still own see men work long get here between both life being under never day same another know"
)
COMMON_WORDS = COMMON_WORDS_TEXT.split()
PUNCTUATION = [",", ".", ";", "!", "?"]


def pseudo_random_samples(count: int, chars: int, seed: int = 0) -> list[str]:
    """``count`` texts of exactly ``chars`` characters: Zipf-weighted words with some punctuation."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(COMMON_WORDS) + 1)
    weights /= weights.sum()
    samples = []
    for _ in range(count):
        pieces: list[str] = []
        length = 0
        while length < chars:
            word = str(COMMON_WORDS[rng.choice(len(COMMON_WORDS), p=weights)])
            if rng.random() < 0.08:
                word += PUNCTUATION[rng.integers(len(PUNCTUATION))]
            pieces.append(word)
            length += len(word) + 1
        samples.append(" ".join(pieces)[:chars])
    return samples


def nltk_self_bleu(samples: list[str]) -> float:
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    token_lists = [word_tokens(text) for text in samples]
    smoothing = bleu_score.SmoothingFunction().method1
    scores = [
        bleu_score.sentence_bleu(
            token_lists[:i] + token_lists[i + 1 :],
            hypothesis,
            weights=(0.25,) * 4,
            smoothing_function=smoothing,
        )
        for i, hypothesis in enumerate(token_lists)
    ]
    return sum(scores) / len(scores)


def measured_mean(benchmark) -> float | None:
    """The benchmark's mean seconds, or None when benchmarking is disabled (plain ``make test``)."""
    return None if benchmark.stats is None else benchmark.stats.stats.mean


@pytest.fixture(scope="module")
def samples() -> list[str]:
    return pseudo_random_samples(SAMPLES, SAMPLE_CHARS)


def test_self_bleu_1000_samples(benchmark, samples):
    score = benchmark.pedantic(self_bleu, args=(samples,), rounds=3, iterations=1)
    assert 0.0 < score < 1.0
    seconds = measured_mean(benchmark)
    benchmark.extra_info.update({"samples": SAMPLES, "chars_per_sample": SAMPLE_CHARS, "self_bleu_4": score})
    if seconds is not None:
        assert seconds < BUDGET_SECONDS


def test_nltk_leave_one_out_subset(benchmark, samples):
    subset = samples[:NLTK_SUBSET]
    score = benchmark.pedantic(nltk_self_bleu, args=(subset,), rounds=1, iterations=1)
    assert self_bleu(subset) == pytest.approx(score, abs=1e-9)  # same number, only faster
    seconds = measured_mean(benchmark)
    pairs_ratio = (SAMPLES * (SAMPLES - 1)) / (NLTK_SUBSET * (NLTK_SUBSET - 1))
    benchmark.extra_info.update(
        {"samples": NLTK_SUBSET, "chars_per_sample": SAMPLE_CHARS, "self_bleu_4": score}
    )
    if seconds is not None:
        benchmark.extra_info["extrapolated_seconds_for_1000"] = seconds * pairs_ratio
