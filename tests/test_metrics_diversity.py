"""Diversity metrics: distinct-n, Self-BLEU (against NLTK's own loop) and the Zipf coefficient."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.metrics import distinct_n, self_bleu, self_bleu_of_tokens, word_tokens, zipf_coefficient
from benchmarks.metrics.self_bleu import _closest_other_lengths

bleu_score = pytest.importorskip("nltk.translate.bleu_score")


def nltk_self_bleu(token_lists: list[list[str]]) -> float:
    """The definition, spelled out: each sample against all the others with NLTK's sentence_bleu."""
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


def test_distinct_n_hand_values():
    # 1-grams a b a a b: 2 unique / 5
    assert distinct_n(["a b a", "a b"], 1) == pytest.approx(0.4)
    # 2-grams (a b) (b a) | (a b): 2 unique / 3
    assert distinct_n(["a b a", "a b"], 2) == pytest.approx(2 / 3)
    # pooled over samples: the same 2-gram in two samples is one unique of two
    assert distinct_n(["a b", "a b"], 2) == pytest.approx(0.5)


def test_distinct_n_edge_cases():
    assert math.isnan(distinct_n(["a", "a"], 2))  # no 2-gram inside any sample (none across samples)
    assert math.isnan(distinct_n([], 1))
    assert distinct_n(["x"], 1) == 1.0


def test_self_bleu_of_identical_samples_is_one():
    assert self_bleu(["a b c d", "a b c d"]) == pytest.approx(1.0)
    assert self_bleu(["It was the best of times."] * 5) == pytest.approx(1.0)


def test_self_bleu_hand_value_with_a_smoothed_zero():
    # hypothesis "a b c d", reference "a b c e" (and the reverse, symmetric):
    # p1 = 3/4, p2 = 2/3 (ab, bc of ab bc cd), p3 = 1/2 (abc of abc bcd), p4 = 0/1 -> method1: 0.1/1
    # brevity: 4 vs 4 -> exp(1 - 4/4) = 1; BLEU = (3/4 · 2/3 · 1/2 · 0.1) ** (1/4) = 0.025 ** 0.25
    assert self_bleu(["a b c d", "a b c e"]) == pytest.approx(0.025**0.25, rel=1e-12)


def test_self_bleu_hand_value_with_a_short_sample():
    # hyp "a b" vs "a b c d": p1 = 2/2, p2 = 1/1, p3 and p4 have no hypothesis n-gram -> 0.1/1 each;
    #   brevity: c = 2 <= r = 4 -> exp(1 - 4/2) = e^-1; score = e^-1 · (0.1 · 0.1) ** (1/4)
    # hyp "a b c d" vs "a b": p1 = 2/4, p2 = 1/3, p3 = 0/2 -> 0.1/2, p4 = 0/1 -> 0.1; brevity 1 (4 > 2)
    #   score = (1/2 · 1/3 · 0.05 · 0.1) ** (1/4)
    short = math.exp(-1) * 0.01**0.25
    long = (0.5 / 3 * 0.05 * 0.1) ** 0.25
    assert self_bleu(["a b", "a b c d"]) == pytest.approx((short + long) / 2, rel=1e-12)


def test_self_bleu_never_uses_a_sample_as_its_own_reference():
    # no shared word: 0 (with the hypothesis among its references it would be 1, Texygen issue #46)
    assert self_bleu(["a b c d", "e f g h"]) == 0.0
    assert self_bleu(["", "a b"]) == 0.0  # an empty hypothesis scores 0; an empty reference matches nothing


def test_self_bleu_needs_two_samples():
    assert math.isnan(self_bleu(["only one"]))
    assert math.isnan(self_bleu([]))


def test_closest_other_length_matches_nltk_and_prefers_the_shorter():
    assert _closest_other_lengths([3, 5, 7]) == [5, 3, 5]  # 5 is 2 from both 3 and 7 -> 3
    assert _closest_other_lengths([4, 4, 9]) == [4, 4, 4]  # an equal length elsewhere -> itself
    rng = random.Random(5)
    for _ in range(200):
        lengths = [rng.randint(0, 12) for _ in range(rng.randint(2, 7))]
        expected = [
            bleu_score.closest_ref_length([[0] * n for n in lengths[:i] + lengths[i + 1 :]], length)
            for i, length in enumerate(lengths)
        ]
        assert _closest_other_lengths(lengths) == expected


def test_self_bleu_equals_nltk_on_seeded_random_text():
    words = ["the", "a", "cat", "dog", "sat", "ran", ",", ".", "!", "and"]
    rng = random.Random(11)
    for _ in range(40):
        samples = [" ".join(rng.choices(words[: rng.randint(2, 10)], k=rng.randint(0, 15))) for _ in range(6)]
        samples += rng.sample(samples, 2)  # duplicates
        expected = nltk_self_bleu([word_tokens(text) for text in samples])
        assert self_bleu(samples) == pytest.approx(expected, abs=1e-9)


token_lists = st.lists(
    st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=9),  # many samples shorter than 4 tokens
    min_size=2,
    max_size=7,
)


@settings(max_examples=150, deadline=None)
@given(samples=token_lists, duplicate=st.booleans())
def test_self_bleu_equals_nltk_leave_one_out(samples, duplicate):
    if duplicate:
        samples = [*samples, samples[0]]
    assert self_bleu_of_tokens(samples) == pytest.approx(nltk_self_bleu(samples), abs=1e-9)


def test_zipf_of_exact_power_laws():
    # counts 12, 6, 4, 3 = 12 / rank -> log f = log 12 - 1 · log rank -> coefficient 1
    text = " ".join(["a"] * 12 + ["b"] * 6 + ["c"] * 4 + ["d"] * 3)
    assert zipf_coefficient([text]) == pytest.approx(1.0, abs=1e-12)
    # counts 36, 9, 4 = 36 / rank² -> 2, pooled over two samples
    assert zipf_coefficient(["x " * 20 + "y " * 9, "x " * 16 + "z " * 4]) == pytest.approx(2.0, abs=1e-12)


def test_zipf_fits_only_the_top_ranks():
    # 12 / rank for the top 4, then a tail of singletons that bends the full fit
    text = " ".join(["a"] * 12 + ["b"] * 6 + ["c"] * 4 + ["d"] * 3 + ["e", "f", "g", "h"])
    assert zipf_coefficient([text], top_ranks=4) == pytest.approx(1.0, abs=1e-12)
    assert zipf_coefficient([text]) != pytest.approx(1.0, abs=1e-3)


def test_zipf_edge_cases():
    assert zipf_coefficient(["a b c a b c"]) == 0.0  # equal counts: a flat line
    assert math.isnan(zipf_coefficient(["a a a"]))  # one word type
    assert math.isnan(zipf_coefficient([]))


def test_distinct_n_counts_chinese_characters_as_tokens():
    # 我 爱 你 我 爱 你: 3 distinct of 6 unigrams; bigrams 我爱 爱你 你我 我爱 爱你: 3 distinct of 5
    assert distinct_n(["我爱你我爱你"], 1) == pytest.approx(3 / 6)
    assert distinct_n(["我爱你我爱你"], 2) == pytest.approx(3 / 5)
