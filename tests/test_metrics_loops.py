"""The headline loop rule: a periodic tail of three repetitions, or of two covering a fifth of the text."""

from __future__ import annotations

import math

import pytest

from benchmarks.metrics import (
    find_loop,
    is_looped,
    is_looped_holtzman,
    loop_onset_period,
    loop_rate,
    loop_tokens,
)
from generators.testing import KIT_CORPUS

PROSE = " ".join(KIT_CORPUS.train.split())  # about 3,000 characters of text that never loops
UNITS = {  # phrase length in tokens -> one repetition
    1: "ha ",
    2: "the come ",
    3: "to be free ",
    40: "".join(f"{letter}, " for letter in "abcdefghijklmnopqrst"),  # 20 letters and 20 commas
}


def looping_text(unit: str, length: int) -> tuple[str, int]:
    """A third of prose ending in ". ", then ``unit`` repeated, cut to ``length``; and the loop's onset."""
    lead = PROSE[: length // 3].rstrip(" ,.") + ". "
    return (lead + unit * length)[:length], len(lead)


@pytest.mark.parametrize("length", [100, 300, 1000])
@pytest.mark.parametrize("tokens", sorted(UNITS))
def test_loops_of_any_phrase_length_count_at_any_text_length(tokens, length):
    unit = UNITS[tokens]
    text, onset = looping_text(unit, length)
    loop = find_loop(text, length)
    if len(text) - onset < 2 * len(unit):  # 40 tokens (60 characters) do not repeat twice in 100 characters
        assert (tokens, length) == (40, 100)
        assert loop is None
        return
    assert loop is not None, text
    assert (loop.onset, loop.period, loop.phrase_tokens) == (onset, len(unit), tokens)
    assert loop.repeats >= 2


@pytest.mark.parametrize("length", [100, 300, 1000])
@pytest.mark.parametrize("start", [0, 700, 1500])
def test_human_like_text_does_not_loop(start, length):
    assert find_loop(PROSE[start : start + length], length) is None


def test_two_word_loop_in_300_characters_counts_where_holtzman_cannot():
    text, _ = looping_text("the come ", 300)
    assert is_looped(text, 300)
    assert not is_looped_holtzman(loop_tokens(text, 300))  # 2 tokens need more than 50 copies there


def test_the_whole_cycle_not_a_run_of_dots():
    assert loop_onset_period(("the end... " * 10)[:-1]) == (0, 11)  # 5 tokens, 11 characters, from 0
    assert find_loop("Wait... no. Wait...") is None
    assert find_loop("He left.\n\n[Exeunt.]\n\n\n") is None  # newlines and dots alone are no loop


def test_a_scene_cycle_ending_in_newlines():
    scene = "[Exeunt.]\n\nSCENE II. A room in the castle.\n\n[Enter a Messenger.]\n\nMESSENGER. My lord!\n\n"
    text = ("KING. What news?\n\n" + scene * 4)[:300]
    loop = find_loop(text)
    assert loop is not None
    # the lead's own two newlines match the end of the cycle, so the tail begins at them
    assert (loop.onset, loop.period) == (len("KING. What news?"), len(scene))


def test_two_repetitions_are_a_loop_with_a_span():
    text = "So: the king is dead, long live the king! the king is dead, long live the king! "
    loop = find_loop(text)
    assert loop is not None and loop.repeats == 2.0
    assert (loop.onset, loop.period) == (4, len("the king is dead, long live the king! "))


def test_a_short_tail_is_not_a_loop():
    # "ha ha" repeats twice but covers 5 of 305 characters, under a fifth
    assert find_loop(PROSE[:300] + " ha ha") is None


def test_chinese_loops_in_characters():
    loop = find_loop("他说：我爱你我爱你我爱你")
    assert loop is not None and (loop.onset, loop.period, loop.phrase_tokens) == (3, 3, 3)


def test_loop_rate():
    assert loop_rate([UNITS[2] * 20, PROSE[:300], "", "ha ha ha ha"]) == 0.5
    assert math.isnan(loop_rate([]))


def test_three_repetitions_are_a_loop_however_short():
    text = PROSE[:250] + ". The son of the King of the King of the King "  # 3 × 3 tokens, under a fifth
    loop = find_loop(text)
    assert loop is not None and (loop.phrase_tokens, loop.repeats) == (3, 3.0)
    assert loop.onset == len(PROSE[:250] + ". The son ")
    assert find_loop(text.replace("of the King ", "", 1)) is None  # two copies in 24 of 284 characters


def test_a_whole_last_word_that_breaks_the_phrase_is_no_loop():
    # the case: "cousin" ends the text; only a character limit could have cut it
    assert find_loop("Go, after, after, cousin") is None
    assert find_loop("Go, after, after, cousin.") is None
    assert find_loop("Go, after, after, cousin", max_chars=300) is None  # the model ended it early


def test_a_cut_last_word_counts_only_when_the_phrase_agrees_with_it():
    broken = "the King's the King's the King's famb"  # cut, but "famb" is not the "the" the loop predicts
    assert find_loop(broken, max_chars=len(broken)) is None
    cut = "the King's the King's the Ki"  # "Ki" may be "King's": the loop goes on
    loop = find_loop(cut, max_chars=len(cut))
    assert loop is not None and (loop.onset, loop.period, loop.phrase_tokens) == (0, 11, 4)
    assert find_loop(cut) is None  # whole, "Ki" breaks it
    state = ("the state of " * 30)[:300]  # ends "of t": "t" may be "the"
    assert find_loop(state, 300) is not None and find_loop(state) is None
