"""The spelling model: hand-computed Kneser–Ney, exact normalisation, exclusion, sampling, JSON."""

from __future__ import annotations

import itertools
import json
import math
import re

import numpy as np
import pytest

from generators.base import Sampling
from generators.openvocab.spelling import SpellingModel
from generators.openvocab.vocabulary import WHITESPACE

WORDS = ["ab", "abba", "b", "aab", "ba", "bab", "ab", "abba", "b", "bb"]


def test_bigram_by_hand():
    # order 1 on the single string "ab": outcomes a, b, unknown class, END; D = 0.5
    m = SpellingModel.fit(["ab"], order=1, discount=0.5)
    # level 0 continuation counts: a <- START, b <- a, END <- b: 1 each, total 3, 3 types; base 1/4
    p0 = {"a": (1 - 0.5) / 3 + 0.5 * 3 / 3 / 4, "unknown": 0.5 * 3 / 3 / 4}
    p0["b"] = p0["end"] = p0["a"]
    assert sum(p0.values()) == pytest.approx(1.0)
    # level 1: each seen context has one follower, count 1
    p_b_after_a = (1 - 0.5) + 0.5 * p0["b"]
    p_end_after_b = (1 - 0.5) + 0.5 * p0["end"]
    p_a_first = ((1 - 0.5) + 0.5 * p0["a"]) / (1 - 0.5 * p0["end"])  # START → END removed
    expected = math.log(p_a_first * p_b_after_a * p_end_after_b)
    assert m.logprob("ab") == pytest.approx(expected, abs=1e-12)
    # an unseen character: P(unknown class | a) shared by every unseen Unicode scalar
    p_unknown_after_a = 0.5 * p0["unknown"]
    p_end_after_unknown = p0["end"]  # the unknown class is never a seen context: level 0 alone
    expected = math.log(p_a_first * p_unknown_after_a * p_end_after_unknown) + m.unseen_logprob
    assert m.logprob("aé") == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_every_next_distribution_sums_to_one_and_chains_to_logprob(order):
    m = SpellingModel.fit(WORDS, order=order, discount=0.7)
    for word in ["a", "ab", "abba", "bbbbb", "aé", "é", "zz"]:
        total = 0.0
        for i, char in enumerate(word):
            probs = m.next_distribution(word[:i])
            assert probs.sum() == pytest.approx(1.0, abs=1e-12)
            assert np.all(probs > 0) or (i == 0 and probs[m.end] == 0)
            if char in m.index:
                total += math.log(probs[m.index[char]])
            else:
                total += math.log(probs[m.unknown_char]) + m.unseen_logprob
        total += math.log(m.next_distribution(word)[m.end])
        assert m.logprob(word) == pytest.approx(total, abs=1e-12)
    assert m.next_distribution("")[m.end] == 0.0  # no empty string


def test_strings_outside_the_excluded_set_sum_to_one():
    """Σ over strings shorter than L, plus every L-character prefix's probability, is exactly 1."""
    excluded = ["b", "ab"]
    m = SpellingModel.fit(WORDS, order=2, discount=0.7, excluded=excluded)
    unseen = math.exp(-m.unseen_logprob)  # unseen characters, each with the same cost
    length = 6
    finished = 0.0
    for n in range(1, length):
        for chars in itertools.product("abz", repeat=n):  # "z" stands for every unseen character
            word = "".join(chars)
            if word not in excluded:
                finished += math.exp(m.logprob(word)) * unseen ** word.count("z")
    unfinished = 0.0  # P(the string goes on to at least `length` characters), over all prefixes
    for chars in itertools.product("abz", repeat=length):
        p = 1.0
        for i, char in enumerate(chars):
            probs = m.next_distribution("".join(chars[:i]))
            p *= probs[m.unknown_char] if char == "z" else probs[m.index[char]]
        unfinished += p
    assert finished + unfinished / (1 - m_excluded_mass(m, excluded)) == pytest.approx(1.0, abs=1e-12)


def m_excluded_mass(m: SpellingModel, excluded: list[str]) -> float:
    return float(np.exp(m.raw_logprobs(excluded)).sum())


def test_excluded_strings_cost_nothing_and_are_never_spelled():
    m = SpellingModel.fit(WORDS, order=3, discount=0.9, excluded=["b", "ab", "ba"])
    raw = SpellingModel.fit(WORDS, order=3, discount=0.9)
    assert m.logprob("ab") == -math.inf
    shift = math.log(1 - m_excluded_mass(raw, ["b", "ab", "ba"]))
    assert m.logprob("abba") == pytest.approx(raw.logprob("abba") - shift, abs=1e-12)
    rng = np.random.default_rng(0)
    samples = [m.sample(rng) for _ in range(300)]
    assert not {"b", "ab", "ba"} & set(samples)
    assert all(s and set(s) <= set("ab") and len(s) <= 40 for s in samples)


def test_a_model_of_little_more_than_its_excluded_words_still_spells_outside_them():
    m = SpellingModel.fit(["a"] * 1000, order=1, discount=0.01, excluded=["a"])  # 98% of draws are "a"
    assert math.exp(m.raw_logprobs(["a"])[0]) > 0.97
    rng = np.random.default_rng(0)
    samples = [m.sample(rng) for _ in range(200)]
    assert "a" not in samples and all(samples)


def test_sampling_is_seeded_and_follows_the_model():
    m = SpellingModel.fit(WORDS, order=2, discount=0.5)
    draw = [m.sample(np.random.default_rng(7)) for _ in range(3)]
    assert draw == [m.sample(np.random.default_rng(7)) for _ in range(3)]
    samples = [m.sample(np.random.default_rng(i)) for i in range(4000)]
    share = samples.count("ab") / len(samples)
    assert share == pytest.approx(math.exp(m.logprob("ab")), abs=0.025)


def test_vectorised_logprobs_equal_one_word_at_a_time():
    m = SpellingModel.fit(WORDS, order=4, discount=0.8, excluded=["b"])
    words = ["a", "abba", "ééé", "bab", "aaaaaaaaab", "a", "b"]
    one_by_one = [m.logprob(w) for w in words]
    assert one_by_one[-1] == -math.inf
    assert m.logprobs(words).tolist() == pytest.approx(one_by_one, abs=1e-12)
    raw = SpellingModel.fit(WORDS, order=4, discount=0.8)
    assert m.raw_logprobs(words) == pytest.approx([raw.logprob(w) for w in words], abs=1e-12)


def test_longer_contexts_spell_held_out_words_better():
    rng = np.random.default_rng(0)
    stems = ["ing", "tion", "ness", "ment"]
    train = ["".join(rng.choice(list("bcdfg"), 2)) + rng.choice(stems) for _ in range(400)]
    test = ["".join(rng.choice(list("bcdfg"), 2)) + rng.choice(stems) for _ in range(100)]
    bigram = SpellingModel.fit(train, order=1, discount=0.9)
    fivegram = SpellingModel.fit(train, order=5, discount=0.9)
    assert np.mean(fivegram.raw_logprobs(test)) > np.mean(bigram.raw_logprobs(test)) + 1.0


def test_json_round_trip_gives_identical_scores():
    m = SpellingModel.fit(WORDS, order=3, discount=0.8, excluded=["b"])
    again = SpellingModel.from_json(json.loads(json.dumps(m.to_json())), excluded=["b"])
    for word in ["ab", "é", "bbab", "b"]:
        assert again.logprob(word) == m.logprob(word)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="non-empty"):
        SpellingModel.fit(["", ""])
    with pytest.raises(ValueError, match=r"spelling_order must be in 1\.\.12, got 0"):
        SpellingModel.fit(["ab"], order=0)
    with pytest.raises(ValueError, match=r"spelling_discount must be in \(0, 1\), got 1\.0"):
        SpellingModel.fit(["ab"], discount=1.0)
    with pytest.raises(ValueError, match="non-empty"):
        SpellingModel.fit(["ab"]).logprob("")


@pytest.mark.parametrize("prefix", ["a", "ab", "b", "ba", "é", "abab"])
def test_open_end_mass_is_the_string_itself_plus_every_extension(prefix):
    """P(starts with p) = P(p) + Σ_c P(starts with p + c) + P(p followed by an unseen character)."""
    m = SpellingModel.fit(WORDS, order=2, discount=0.7, excluded=["b", "ab"])
    raw = 0.0
    for i, char in enumerate(prefix):
        probs = m.next_distribution(prefix[:i])
        raw += (
            math.log(probs[m.unknown_char]) + m.unseen_logprob
            if char not in m.index
            else math.log(probs[m.index[char]])
        )
    unseen_next = math.exp(raw) * m.next_distribution(prefix)[m.unknown_char] / math.exp(m.log_outside)
    extensions = sum(math.exp(m.open_end_logprob(prefix + c)) for c in m.alphabet)
    assert math.exp(m.open_end_logprob(prefix)) == pytest.approx(
        math.exp(m.logprob(prefix)) + extensions + unseen_next, rel=1e-12
    )
    assert m.open_end_logprob("") == 0.0
    first = sum(math.exp(m.open_end_logprob(c)) for c in m.alphabet)
    assert first + m.next_distribution("")[m.unknown_char] / math.exp(m.log_outside) == pytest.approx(1.0)


def test_a_long_prefix_does_not_underflow():
    m = SpellingModel.fit(WORDS, order=2, discount=0.7, excluded=["b"])
    assert -math.inf < m.open_end_logprob("é" * 80) < -1000


def test_the_alphabet_holds_the_excluded_and_known_characters():
    m = SpellingModel.fit(["ab"], order=2, excluded=["the cat"], known_chars="\t")
    assert set(m.alphabet) == set("ab" + "the cat" + "\t")
    assert m.logprob(" ") > m.logprob("Ж")  # a space is a known character, not one of 1.1 million
    spaces = sum(math.exp(m.open_end_logprob(c)) for c in m.alphabet if c.isspace())
    unseen = m.next_distribution("")[m.unknown_char] / math.exp(m.log_outside)  # each 1 / #unseen of it
    unseen_spaces = unseen * (len(WHITESPACE) - 2) * math.exp(m.unseen_logprob)  # all but " " and "\t"
    assert m.word_start_logprob() == pytest.approx(math.log1p(-spaces - unseen_spaces), abs=1e-12)


def test_greedy_and_top_k_one_spell_the_most_likely_string_outside_the_excluded():
    m = SpellingModel.fit(WORDS, order=2, discount=0.5, excluded=["b"])
    greedy = m.sample(np.random.default_rng(0), Sampling(0.0))
    assert greedy and greedy not in m.excluded
    for seed, temperature in [(1, 0.5), (2, 1.0), (3, 3.0)]:
        assert m.sample(np.random.default_rng(seed), Sampling(temperature, top_k=1)) == greedy
        assert m.sample(np.random.default_rng(seed), Sampling(temperature, top_p=1e-9)) == greedy
    hot = {m.sample(np.random.default_rng(i), Sampling(1.0, top_k=2)) for i in range(200)}
    assert all(s and set(s) <= set("ab") for s in hot)  # never empty, never an unseen character


def test_whitespace_is_every_character_re_counts_as_space():
    assert {chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))} == set(WHITESPACE)
