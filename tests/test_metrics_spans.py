"""Per-text spans for the sample browser: the loop the rule found and the copied n-grams, in characters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.metrics import NgramIndex, copy_rate, is_looped, normalised, seq_rep_n, word_tokens
from benchmarks.metrics.spans import (
    copied_spans,
    loop_span,
    merge_spans,
    text_annotation,
    token_spans,
)
from benchmarks.samples import loop_statistics, train_indexes

TRAIN = "one two three four five six seven eight nine ten"


def test_token_spans_are_the_word_tokens_of_the_metrics():
    text = "Héllo, wörld!\n  It's 42…"
    assert [text[a:b] for a, b in token_spans(text)] == word_tokens(text)


@given(st.text(alphabet=st.sampled_from("ab ,.\n\té😀"), max_size=60))
def test_token_spans_match_word_tokens_on_any_text(text):
    assert [text[a:b] for a, b in token_spans(text)] == word_tokens(text)


def test_loop_span_is_the_character_loop_of_a_looped_text():
    text = "So it begins: the end of it, the end of it, the end of it, the end of it, the en"
    # periodic from the first "the" (":" and "," differ) to the end, the cut word included
    assert loop_span(text, len(text)) == (len("So it begins: "), len(text), len("the end of it, "))
    assert text[len("So it begins: ") :] == "the end of it, " * 4 + "the en"


def test_no_loop_span_when_the_rule_finds_no_loop():
    assert loop_span("the end of the day") is None
    assert loop_span("Wait...") is None  # a run of dots: the phrase holds no word
    assert loop_span("") is None


def test_loop_span_offsets_are_into_the_nfc_text():
    nfd = "Cafe\u0301 noir, " + "le cafe\u0301 noir, " * 3
    onset, end, period = loop_span(nfd)
    nfc = normalised(nfd)
    assert end == len(nfc) < len(nfd)
    assert nfc[onset : onset + period] == "noir, le café "  # from "noir": "Café" is capitalised once


def test_the_annotation_says_looped_exactly_when_it_has_a_loop_span():
    index = NgramIndex.from_text(TRAIN)
    for text in ["a b c\na  b c ", "go on, go on, go on", "the the the the", "x"]:
        annotation = text_annotation(text, index, set())
        assert annotation["looped"] is (annotation["loop"] is not None) is is_looped(text)


def test_merge_spans_joins_overlaps_and_keeps_touching_spans_apart():
    assert merge_spans([(5, 9), (0, 3), (2, 4), (9, 12)]) == [(0, 4), (5, 9), (9, 12)]
    assert merge_spans([]) == []


def test_copied_spans_cover_the_copied_eight_grams():
    index = NgramIndex.from_text(TRAIN)
    text = "zero one two three four five six seven eight nine, nope"
    # 8-grams (one..eight) and (two..nine) are copied: together "one" to "nine"
    assert [text[a:b] for a, b in copied_spans(text, index)] == [
        "one two three four five six seven eight nine"
    ]
    assert copied_spans("one two three", index) == []


def test_two_separate_copies_stay_two_spans():
    index = NgramIndex.from_text(TRAIN, 2)
    text = "one two x five six"
    assert [text[a:b] for a, b in copied_spans(text, index)] == ["one two", "five six"]


def test_annotation_values_are_the_metrics_of_the_one_text():
    indexes = train_indexes(TRAIN + "\n")
    text = "one two three four five six seven eight nope nope"
    annotation = text_annotation(text, indexes["ngrams"], indexes["vocabulary"])
    assert annotation["copy_rate_8"] == pytest.approx(copy_rate([text], indexes["ngrams"]))
    assert annotation["copy_rate_8"] == pytest.approx(1 / 3)
    assert annotation["seq_rep_4"] == pytest.approx(seq_rep_n([text], 4))
    assert annotation["valid_word_rate"] == pytest.approx(8 / 10)
    assert annotation["copied"] == [[0, len("one two three four five six seven eight")]]
    assert text_annotation("", indexes["ngrams"], indexes["vocabulary"]) == {
        "loop": None,
        "looped": False,
        "copied": [],
        "seq_rep_4": None,
        "copy_rate_8": None,
        "valid_word_rate": None,
    }


def test_annotations_of_a_cell_give_its_loop_rate_and_medians():
    texts = [
        "It was the night of the fire, the night of the fire, the night of the fire, the nig",
        "and so on and so on and so on and so on and so on and so on",
        "nothing repeats here at all",
        "a b c\na  b c ",  # the words repeat once, not twice: no loop
    ]
    limit = len(texts[0])  # the first text alone reaches the limit: its "nig" was cut
    index = NgramIndex.from_text(TRAIN)
    annotations = [text_annotation(text, index, set(), limit) for text in texts]
    cell = loop_statistics(texts, limit)
    assert loop_statistics(texts)["loop_rate"] == 0.25  # whole texts: "the nig" breaks the first loop
    assert np.mean([a["looped"] for a in annotations]) == cell["loop_rate"] == 0.5
    spans = [a["loop"] for a in annotations if a["loop"]]
    assert len(spans) == 2
    assert np.median([s[0] for s in spans]) == cell["loop_onset_median"]
    assert np.median([s[2] for s in spans]) == cell["loop_period_median"]
