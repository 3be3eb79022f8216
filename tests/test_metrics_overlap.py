"""Overlap with the training split: copy rate of word n-grams and valid-word rate."""

from __future__ import annotations

import math

import pytest

from benchmarks.metrics import NgramIndex, copy_rate, training_vocabulary, valid_word_rate

TRAIN = "the cat sat on the mat"  # 2-grams: the cat, cat sat, sat on, on the, the mat


def test_copy_rate_hand_value():
    # 2-grams of the samples: (the cat) yes, (cat sat) yes | (a cat) no, (cat sat) yes -> 3 / 4
    assert copy_rate(["the cat sat", "a cat sat"], TRAIN, n=2) == pytest.approx(0.75)


def test_copy_rate_with_a_prebuilt_index():
    index = NgramIndex.from_text(TRAIN, 2)
    assert len(index) == 5
    assert ("the", "cat") in index and ("cat", "the") not in index and ("the",) not in index
    assert copy_rate(["the cat sat", "a cat sat"], index) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="holds 2-grams"):
        copy_rate(["the cat"], index, n=3)


def test_copy_rate_eight_grams_by_default():
    train = "one two three four five six seven eight nine ten"
    # the sample is 9 words: 8-grams (one..eight) copied, (two..eight, nope) not -> 1 / 2
    sample = "one two three four five six seven eight nope"
    assert copy_rate([sample], train) == pytest.approx(0.5)
    assert copy_rate(["three four five six seven eight nine ten"], train) == 1.0


def test_copy_rate_ngrams_stay_inside_one_sample_and_punctuation_counts():
    # "the cat" + "sat" across two samples is not the 2-gram (cat sat)
    assert copy_rate(["the cat", "sat"], TRAIN, n=2) == 1.0
    # "the, cat": 2-grams (the ,) (, cat) -> neither in TRAIN
    assert copy_rate(["the, cat"], TRAIN, n=2) == 0.0


def test_copy_rate_without_ngrams_is_nan():
    assert math.isnan(copy_rate(["the"], TRAIN, n=2))
    assert math.isnan(copy_rate([], TRAIN, n=2))


def test_training_vocabulary_is_lowercase_alphabetic():
    assert training_vocabulary("The cat sat. 3 dogs! x2") == frozenset({"the", "cat", "sat", "dogs"})


def test_valid_word_rate_hand_value():
    vocabulary = training_vocabulary("The cat sat. 3 dogs!")
    # alphabetic words: the, Cat -> cat, zat ("sa7", "42" and "," are not alphabetic) -> 2 / 3
    assert valid_word_rate(["the Cat sa7 42,", "zat"], vocabulary) == pytest.approx(2 / 3)
    assert valid_word_rate(["THE DOGS"], {"The", "Dogs"}) == 1.0  # any vocabulary is lowercased
    assert math.isnan(valid_word_rate(["42 !", ""], vocabulary))
