"""Likelihood metrics: hand-computed values, corpus weighting, validation and the bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.metrics import (
    LikelihoodTotals,
    bootstrap_ci,
    chunk_scores,
    totals_from_scores,
    word_count,
)

LN2 = math.log(2)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 1),  # re.split on "" gives [""]
        ("one", 1),
        ("a b", 2),
        ("one\ttwo\n\nthree", 3),  # a whitespace run is one separator
        (" a  b\n", 4),  # ["", "a", "b", ""]: leading and trailing whitespace each add an empty word
    ],
)
def test_word_count_follows_lm_evaluation_harness_rule(text, words):
    assert word_count(text) == words


def test_hand_computed_metrics_of_one_text():
    # "ab cd": 5 chars, 5 bytes, 2 words, every char at p = 1/2 -> NLL = 5 ln 2.
    totals = totals_from_scores("ab cd", [-LN2] * 5, native_tokens=4)
    assert totals.nll_nats == pytest.approx(5 * LN2, rel=1e-15)
    assert totals.bpc == pytest.approx(1.0, rel=1e-15)  # 5 ln2 / (5 ln2)
    assert totals.bpb == pytest.approx(1.0, rel=1e-15)
    assert totals.word_perplexity == pytest.approx(2**2.5, rel=1e-12)  # exp(5 ln2 / 2)
    assert totals.native_token_perplexity == pytest.approx(2**1.25, rel=1e-12)  # exp(5 ln2 / 4)


def test_bits_per_byte_counts_utf8_bytes():
    # "éa": 2 chars, 3 bytes (é is 2 bytes); NLL = 6 ln 2 -> bpc 3, bpb 2.
    totals = totals_from_scores("éa", [-3 * LN2, -3 * LN2])
    assert (totals.chars, totals.bytes) == (2, 3)
    assert totals.bpc == pytest.approx(3.0)
    assert totals.bpb == pytest.approx(2.0)
    assert totals.native_token_perplexity is None


@pytest.mark.parametrize("vocabulary_size", [2, 27, 65, 1_114_112])
def test_uniform_model_has_bpc_log2_of_vocabulary(vocabulary_size):
    text = "to be or not to be, that is the question"
    totals = totals_from_scores(text, np.full(len(text), -math.log(vocabulary_size)))
    assert totals.bpc == pytest.approx(math.log2(vocabulary_size), rel=1e-12)


def test_corpus_weighting_sums_units_not_per_document_perplexities():
    # doc A "ab": 1 word, NLL 2 ln2 -> word ppl exp(2 ln2 / 1) = 4, bpc 1.
    # doc B "x y z": 3 words, 5 chars, NLL 9 ln2 -> word ppl exp(9 ln2 / 3) = 8, bpc 9/5.
    a = totals_from_scores("ab", [-LN2, -LN2])
    b = totals_from_scores("x y z", [-9 * LN2 / 5] * 5)
    corpus = a + b
    assert a.word_perplexity == pytest.approx(4.0) and b.word_perplexity == pytest.approx(8.0)
    # corpus: exp(11 ln2 / 4 words) = 2^2.75 = 6.727..., not the mean of 4 and 8 (= 6)
    assert corpus.word_perplexity == pytest.approx(2**2.75, rel=1e-12)
    assert corpus.word_perplexity != pytest.approx((4.0 + 8.0) / 2)
    # bpc: 11 bits / 7 chars, not the mean (1 + 1.8) / 2 = 1.4
    assert corpus.bpc == pytest.approx(11 / 7, rel=1e-12)
    assert sum([a, b]) == corpus  # the built-in sum works (starts from 0)


def test_native_tokens_sum_only_when_every_part_has_them():
    with_tokens = LikelihoodTotals(nll_nats=1.0, chars=2, bytes=2, words=1, native_tokens=3)
    without = LikelihoodTotals(nll_nats=1.0, chars=2, bytes=2, words=1)
    assert (with_tokens + with_tokens).native_tokens == 6
    assert (with_tokens + without).native_tokens is None


def test_empty_text_has_no_defined_rate():
    totals = totals_from_scores("", [])
    assert totals.words == 1  # lm-evaluation-harness's rule
    assert math.isnan(totals.bpc) and math.isnan(totals.bpb)


def test_word_perplexity_overflow_is_infinite_not_an_error():
    totals = LikelihoodTotals(nll_nats=10_000.0, chars=10, bytes=10, words=1)
    assert totals.word_perplexity == math.inf


@pytest.mark.parametrize(
    ("logprobs", "message"),
    [
        ([-1.0, -1.0], "got 2 log-probabilities for a text of 3 characters"),
        ([-1.0, -1.0, -math.inf], "at index 2"),
        ([-1.0, math.nan, -1.0], "at index 1"),
        ([-1.0, 0.5, -1.0], "> 0 at index 1"),  # NLL passed with the wrong sign
    ],
)
def test_scores_are_validated(logprobs, message):
    with pytest.raises(ValueError, match=message):
        totals_from_scores("abc", logprobs)


def test_chunk_scores_records_size_and_keeps_the_remainder():
    chunks = chunk_scores([-1.0] * 10, chunk_chars=4)  # chunks of 4, 4, 2 characters
    assert chunks.chunk_chars == 4
    np.testing.assert_allclose(chunks.nll_nats, [4.0, 4.0, 2.0])
    np.testing.assert_allclose(chunks.chars, [4.0, 4.0, 2.0])


def _noisy_chunks(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    units = rng.integers(50, 150, size=40).astype(float)
    nll = units * rng.uniform(0.8, 1.6, size=40)
    return nll, units


def test_bootstrap_ci_contains_the_point_estimate_and_is_deterministic():
    nll, units = _noisy_chunks()
    point = nll.sum() / units.sum()
    low, high = bootstrap_ci(nll, units, n_resamples=500, seed=3)
    assert low < point < high
    assert (low, high) == bootstrap_ci(nll, units, n_resamples=500, seed=3)
    assert (low, high) != bootstrap_ci(nll, units, n_resamples=500, seed=4)
    narrower = bootstrap_ci(nll, units, n_resamples=500, seed=3, confidence=0.5)
    assert low < narrower[0] < narrower[1] < high


def test_bootstrap_ci_is_exact_when_every_chunk_has_the_same_ratio():
    # every chunk at 2 nats per unit: every resample's ratio is 2 whatever the weights
    units = np.array([1.0, 5.0, 10.0])
    assert bootstrap_ci(2 * units, units, n_resamples=50) == pytest.approx((2.0, 2.0))


def test_bootstrap_ci_weights_chunks_by_units():
    # One short bad chunk (9 nats/unit over 1 unit) among three long ones (1 nat/unit over 100).
    # A resample holding a copies of the short chunk and 4 - a long ones has ratio
    # (9a + 100(4 - a)) / (a + 100(4 - a)): a = 0 -> 1, 1 -> 1.0266, 2 -> 1.079, 3 -> 1.233, 4 -> 9
    # (P(a = 4) = 1/256, below the 2.5 % tail). A mean of per-chunk ratios would give (9a + 4 - a) / 4,
    # 3 already at a = 1.
    units = np.array([1.0, 100.0, 100.0, 100.0])
    nll = np.array([9.0, 100.0, 100.0, 100.0])
    low, high = bootstrap_ci(nll, units, n_resamples=400)
    assert low == pytest.approx(1.0)
    assert 1.02 < high <= 1.2331


def test_bootstrap_ci_block_drawing_matches_for_a_seed(monkeypatch):
    # drawing resamples in blocks (to bound memory) must not change with the block size in effect
    import benchmarks.metrics.likelihood as likelihood

    nll, units = _noisy_chunks(seed=2)
    whole = bootstrap_ci(nll, units, n_resamples=100, seed=9)
    monkeypatch.setattr(likelihood, "BLOCK_ELEMENTS", 40 * 7)  # 7 resamples per block
    blocked = bootstrap_ci(nll, units, n_resamples=100, seed=9)
    assert blocked == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize(
    ("nll", "units", "kwargs"),
    [
        ([], [], {}),
        ([1.0, 2.0], [1.0], {}),
        ([1.0], [0.0], {}),
        ([1.0], [1.0], {"confidence": 1.0}),
        ([1.0], [1.0], {"n_resamples": 0}),
    ],
)
def test_bootstrap_ci_rejects_bad_input(nll, units, kwargs):
    with pytest.raises(ValueError):
        bootstrap_ci(nll, units, **kwargs)
