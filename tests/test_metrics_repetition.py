"""Repetition metrics: seq-rep-n and Holtzman et al.'s loop rule, on word tokens."""

from __future__ import annotations

import math

import pytest

from benchmarks.metrics import (
    is_looped_holtzman,
    loop_rate_holtzman,
    loop_repeats,
    loop_tokens,
    seq_rep_n,
    word_tokens,
)


def test_seq_rep_hand_values():
    # "a b a b": 1-grams a b a b -> 1 - 2/4 = 0.5; 2-grams ab ba ab -> 1 - 2/3 = 1/3
    assert seq_rep_n(["a b a b"], 1) == pytest.approx(0.5)
    assert seq_rep_n(["a b a b"], 2) == pytest.approx(1 / 3)
    # mean over continuations: (0.5 + 0) / 2
    assert seq_rep_n(["a b a b", "a b c d"], 1) == pytest.approx(0.25)
    # "the cat. the cat." -> the cat . the cat . : 4-grams (the cat . the) (cat . the cat) (. the cat .) -> 0
    assert seq_rep_n(["the cat. the cat."], 4) == 0.0
    # "x x x x x": 4-grams xxxx twice -> 1 - 1/2
    assert seq_rep_n(["x x x x x"], 4) == pytest.approx(0.5)


def test_seq_rep_skips_continuations_shorter_than_n():
    # "a a a": 2-grams aa aa -> 0.5; "x" has no 2-gram (Welleck's code divides by zero): left out,
    # so the mean is 0.5, not (0.5 + 0) / 2
    assert seq_rep_n(["a a a", "x", ""], 2) == pytest.approx(0.5)
    assert math.isnan(seq_rep_n(["x", ""], 2))
    assert math.isnan(seq_rep_n([], 1))


def test_seq_rep_of_identical_tokens_approaches_one():
    # 10 identical tokens: 1-grams 10, unique 1 -> 0.9
    assert seq_rep_n(["go " * 10], 1) == pytest.approx(0.9)


def test_three_token_cycle_is_looped_holtzman():
    tokens = ["x", "y"] + ["a", "b", "c"] * 4
    assert loop_repeats(tokens) == (3, 4)  # the final occurrence counts: 4 copies -> 4
    assert is_looped_holtzman(tokens)
    assert loop_repeats(["a", "b", "c"] * 2) == (3, 2)  # two copies already loop (repeats > 1, n >= 3)
    assert is_looped_holtzman(["a", "b", "c"] * 2)


def test_two_token_cycle_needs_more_than_fifty_repeats():
    assert loop_repeats(["a", "b"] * 10) == (2, 10)  # n = 4 gives 5, n = 6 gives 3: n = 2 wins
    assert not is_looped_holtzman(["a", "b"] * 10)
    assert not is_looped_holtzman(["a", "b"] * 50)
    assert is_looped_holtzman(["a", "b"] * 51)


def test_one_token_repeated():
    assert loop_repeats(["ha"] * 60) == (1, 60)
    assert is_looped_holtzman(["ha"] * 60)
    assert not is_looped_holtzman(["ha"] * 50)  # 50 is not > 50
    assert is_looped_holtzman(["ha"] * 51)


def test_ties_go_to_the_smallest_n():
    # a b b a b b: n = 1 -> "b b" = 2 copies; n = 3 -> "abb abb" = 2 copies; the tie goes to n = 1,
    # which is not a loop (n < 3, 2 <= 50), though n = 3 would have been one.
    assert loop_repeats(list("abbabb")) == (1, 2)
    assert not is_looped_holtzman(list("abbabb"))
    # no repetition at all: every n gives 1 -> n = 1
    assert loop_repeats(list("abcd")) == (1, 1)
    assert loop_repeats([]) == (1, 1)


def test_only_repeats_at_the_end_count():
    assert not is_looped_holtzman(["a", "b", "c"] * 5 + ["end"])


def test_loop_rate_holtzman():
    texts = ["one two three one two three ", "one two three four", "", "b b b"]
    assert loop_rate_holtzman(texts) == pytest.approx(0.25)
    assert math.isnan(loop_rate_holtzman([]))


def test_loop_rate_sees_loops_cut_inside_a_word():
    # 20-character unit cut at 290 = 14 units + "[Enter a S": the partial "S" is dropped, leaving
    # 14 copies of "[ Enter a Servant . ] \n \n" ending "... \n [ Enter a": the 8-token phrase repeats 14 times
    servant = ("[Enter a Servant.]\n\n" * 16)[:290]
    assert servant.endswith("[Enter a S")
    assert not is_looped_holtzman(word_tokens(servant))  # the cut word breaks the match on all tokens
    assert loop_repeats(loop_tokens(servant, 290)) == (8, 14)
    # 13-character unit cut at 300 = 23 units + "t": "t" is dropped, 23 whole copies remain
    state = ("the state of " * 30)[:300]
    assert state.endswith("of t")
    assert not is_looped_holtzman(word_tokens(state))
    assert loop_repeats(loop_tokens(state, 300)) == (3, 23)
    assert loop_rate_holtzman([servant], 290) == loop_rate_holtzman([state], 300) == 1.0
    assert loop_rate_holtzman([servant, state]) == 0.0  # whole texts: the last words break the match
    # at the limit, "three" of "one two three one two three" may be cut: dropped, no loop is left
    whole = "one two three one two three"
    assert loop_rate_holtzman([whole], len(whole)) == 0.0
    assert loop_rate_holtzman([whole], len(whole) + 1) == loop_rate_holtzman([whole]) == 1.0


def test_newlines_are_tokens_as_in_welleck_et_al():
    # \w+|[^\w\s]|\n: "a\nb\na\nb" is a b a b with newlines between: 7 tokens, 1-grams a, b, \n
    assert seq_rep_n(["a\nb\na\nb"], 1) == pytest.approx(1 - 3 / 7)
    # [ Exit . ] \n \n twice: 12 tokens, 9 4-grams, the last 3 repeat the first 3 -> 1 - 6/9
    assert seq_rep_n(["[Exit.]\n\n[Exit.]\n\n"], 4) == pytest.approx(1 - 6 / 9)


def test_seq_rep_sees_repetition_in_chinese():
    # one ideograph per token: 我 爱 你 × 3 -> 9 tokens, 3 distinct 1-grams; 2-grams 8, distinct 3
    assert seq_rep_n(["我爱你我爱你我爱你"], 1) == pytest.approx(1 - 3 / 9)
    assert seq_rep_n(["我爱你我爱你我爱你"], 2) == pytest.approx(1 - 3 / 8)
    assert loop_repeats(loop_tokens("我爱你我爱你我爱你")) == (3, 3)
    assert is_looped_holtzman(loop_tokens("我爱你我爱你我爱你"))
