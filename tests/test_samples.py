"""The metrics of one sweep cell: per-continuation metrics over every sample, pooled ones over one per prompt."""

from __future__ import annotations

import pytest

from benchmarks.samples import cell_metrics, first_sample_per_prompt, loop_statistics, train_indexes

INDEXES = train_indexes("a b c d e f g h i j")


def test_first_sample_per_prompt_of_prompt_major_texts():
    assert first_sample_per_prompt(["p0 s0", "p0 s1", "p1 s0", "p1 s1"], 2) == ["p0 s0", "p1 s0"]
    assert first_sample_per_prompt(["p0", "p1"], 1) == ["p0", "p1"]
    with pytest.raises(ValueError, match="3 continuations are not 2 per prompt"):
        first_sample_per_prompt(["a", "b", "c"], 2)


def test_greedy_duplicates_do_not_make_self_bleu_one():
    # T=0: both samples of a prompt are the same text. Pooled over all four, each text would have
    # its own copy among its references (Self-BLEU 1.0) and distinct-1 would be 8 / 16 = 0.5.
    # One per prompt: "a b c d" and "e f g h" share no word -> Self-BLEU 0; distinct-1 = 8 / 8.
    metrics = cell_metrics(["a b c d", "a b c d", "e f g h", "e f g h"], INDEXES, 2)
    assert metrics["self_bleu_4"] == 0.0
    assert metrics["distinct_1"] == 1.0
    assert (metrics["samples"], metrics["pooled_samples"]) == (4, 2)


def test_per_continuation_metrics_use_every_sample_and_pooled_ones_the_first_of_each_prompt():
    texts = ["x y ", "a b c a b c ", "d e f ", "d e f d e f "]  # prompt 0: texts 0, 1; prompt 1: 2, 3
    metrics = cell_metrics(texts, INDEXES, 2)
    assert (metrics["samples"], metrics["pooled_samples"]) == (4, 2)
    # every sample: seq-rep-1 (0 + 1/2 + 0 + 1/2) / 4; loops in texts 1 and 3 (a 3-token phrase twice,
    # nothing dropped: the texts end in a space) -> 2 / 4; lengths (4 + 12 + 6 + 12) / 4;
    # words in the training vocabulary: 15 of 17 (x and y are not)
    assert metrics["seq_rep_1"] == pytest.approx(0.25)
    assert metrics["loop_rate"] == 0.5
    assert metrics["mean_chars"] == 8.5
    assert metrics["valid_word_rate"] == pytest.approx(15 / 17)
    # first of each prompt, "x y " and "d e f ": 5 distinct words of 5, one trigram, no 4-gram,
    # no shared word (Self-BLEU 0), every word once (Zipf 0); all four texts would give 8 / 17
    assert metrics["distinct_1"] == 1.0
    assert metrics["distinct_3"] == 1.0
    assert metrics["distinct_4"] is None
    assert metrics["self_bleu_4"] == 0.0
    assert metrics["zipf"] == 0.0


def test_one_sample_per_prompt_pools_everything():
    metrics = cell_metrics(["a b c d", "a b c d"], INDEXES)
    assert (metrics["samples"], metrics["pooled_samples"]) == (2, 2)
    assert metrics["self_bleu_4"] == pytest.approx(1.0)  # identical texts of two prompts stay visible
    assert metrics["distinct_1"] == 0.5


def test_loop_statistics_report_both_rules_and_how_many_loops_the_medians_cover():
    texts = [
        ("the come " * 40)[:300],  # a two-word loop from 0, period 9: Holtzman's rule needs > 50 copies
        "So: a b c a b c ",  # a 3-token phrase twice from offset 4, period 6: both rules
        "no loop in this text at all. ",
        ("the end... " * 10)[:-1],  # the 11-character cycle from 0, not the trailing dots
    ]
    stats = loop_statistics(texts)
    assert stats["loop_rate"] == 0.75
    assert stats["loop_rate_holtzman"] == 0.5
    assert stats["loop_span_count"] == 3
    assert stats["loop_onset_median"] == 0.0  # onsets 0, 4, 0
    assert stats["loop_period_median"] == 9.0  # periods 9, 6, 11
    assert cell_metrics(texts, INDEXES)["loop_span_count"] == 3


def test_per_prompt_values_are_what_the_paired_tests_compare():
    from benchmarks.metrics import self_bleu, seq_rep_n
    from benchmarks.samples import cell_metrics, per_prompt_values, train_indexes

    loop = "the come " * 20
    texts = [loop, "a quiet line of words that never repeats itself", "x y", "one two three four five six"]
    values = per_prompt_values(texts, 2)  # two prompts, two samples each
    assert values["looped"] == [0.5, 0.0]
    assert values["seq_rep_4"][0] == pytest.approx(seq_rep_n(texts[:2], 4))
    assert values["seq_rep_4"][1] == pytest.approx(0.0)  # "x y" has no 4-gram: left out of its prompt's mean
    assert len(values["self_bleu_4"]) == 2
    assert sum(values["self_bleu_4"]) / 2 == pytest.approx(self_bleu([texts[0], texts[2]]))
    assert per_prompt_values(["x y"], 1)["seq_rep_4"] == [None]
    cell = cell_metrics(texts, train_indexes("the come a quiet line"), 2)
    assert cell["per_prompt"] == values and cell["loop_rate"] == 0.25
