"""The cycling probe's metrics: long-horizon cycles, attractors up to rotation, drifting loops."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from benchmarks.metrics import DEGENERATE_TAIL_REP, cycle_key, cycle_statistics, find_loop, tail_rep
from benchmarks.metrics.cycles import (
    agrees_with_exact,
    attractors,
    cycling_curve,
    least_rotation,
    primitive_root,
)
from generators.base import Generator, Sampling
from generators.testing import KIT_CORPUS

PROSE = " ".join(KIT_CORPUS.train.split())  # about 3,000 characters of text that never loops


def cycle_of(period: int, seed: int = 0) -> str:
    """``period`` characters of random words ending in a space: one repetition of a cycle."""
    rng = np.random.default_rng(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < period:
        words.append("".join(rng.choice(list("abcdefghij"), size=int(rng.integers(3, 8)))))
    return " ".join(words)[: period - 1] + " "


class CycleGenerator(Generator):
    """Every continuation: a lead of ``lead`` characters of prose, then one cycle repeated forever."""

    config_class = dict

    def __init__(self, cycle: str, lead: int) -> None:
        super().__init__({})
        self.cycle, self.lead = cycle, lead

    def fit(self, corpus, *, seed=0, budget=None):  # pragma: no cover - never trained
        raise NotImplementedError

    def _score(self, text, context):  # pragma: no cover - never scored
        raise NotImplementedError

    def _generate(self, prompts, *, max_chars, sampling, seed):
        text = PROSE[: self.lead - 2] + ". " + self.cycle * (max_chars // len(self.cycle) + 1)
        return [text[:max_chars]] * len(prompts)

    def save(self, directory):  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def load(cls, directory, *, device="cpu"):  # pragma: no cover
        raise NotImplementedError

    def describe(self):  # pragma: no cover
        return {}


def test_a_500_character_cycle_is_found_at_2000_characters_and_not_at_300():
    cycle = cycle_of(500)
    assert len(cycle) == 500 and cycle_key(cycle * 3, find_loop(cycle * 3)) == least_rotation(cycle)
    generator = CycleGenerator(cycle, lead=120)
    prompts = ["First prompt. ", "Second prompt. "]
    greedy = Sampling(temperature=0.0)
    long = generator.generate(prompts, max_chars=2000, sampling=greedy)
    stats = cycle_statistics(long, 2000)
    assert stats["looped_share"] == 1.0 and stats["degenerate_share"] == 1.0
    assert stats["per_prompt"]["onset"] == [120, 120] and stats["per_prompt"]["period"] == [500, 500]
    assert (stats["attractors"], stats["attractor_sizes"], stats["largest_attractor_share"]) == (1, [2], 1.0)
    short = generator.generate(prompts, max_chars=300, sampling=greedy)
    stats = cycle_statistics(short, 300)
    assert stats["looped_share"] == 0.0 and stats["attractors"] == 0 and stats["onset_median"] is None
    assert all(find_loop(text, 300) is None for text in short)  # the sweep's rule cannot see it either


def test_attractors_are_cycles_up_to_rotation():
    cycle = "the king is dead, long live the king! "
    texts = [
        PROSE[:100] + ". " + (cycle * 6),  # entered at its start
        PROSE[200:260] + ". " + (cycle[9:] + cycle[:9]) * 6,  # the same cycle, entered mid-way
        "Lo: " + (cycle[18:] + cycle[:18]) * 5,  # again, another rotation
        "so on and " * 30,  # another cycle
        PROSE[:400],  # none
    ]
    stats = cycle_statistics(texts, None)
    assert stats["per_prompt"]["looped"] == [1.0, 1.0, 1.0, 1.0, 0.0]
    assert stats["per_prompt"]["attractor"] == [1, 1, 1, 2, None]
    assert (stats["attractors"], stats["attractor_sizes"]) == (2, [3, 1])
    assert stats["largest_attractor_share"] == pytest.approx(3 / 5)
    assert len({cycle_key(t, find_loop(t)) for t in texts[:3]}) == 1


def test_attractor_numbers_rank_by_size_then_prompt_order():
    assert attractors(["b", None, "a", "a", "c", "b", "a"]) == ([2, None, 1, 1, 3, 2, 1], [3, 2, 1])
    assert attractors([None, None]) == ([None, None], [])


def test_a_cycle_read_as_two_copies_is_the_same_attractor():
    assert primitive_root("ab ab ") == "ab "
    assert primitive_root("ab a") == "ab a"
    assert least_rotation("cab") == "abc" and least_rotation("") == ""


def test_tail_repetition_holds_the_tail_against_the_whole_text():
    # the second half re-walks the first: every tail 4-gram occurred before, though the tail alone
    # holds each only once (its own seq-rep-4 is 0)
    walk = " ".join(f"w{i}" for i in range(40)) + " "
    assert tail_rep(walk * 2) == 1.0
    assert tail_rep(walk) == 0.0
    assert tail_rep("a b c") is None  # no 4-gram
    drifting = "And, and the baste, " * 5 + "And, and the bat of the bat of the bat, " * 3
    assert tail_rep(drifting) >= DEGENERATE_TAIL_REP and find_loop(drifting) is not None
    baste, bat = "And, and the baste, ", "And, and the bat of the bat of the bat, "
    drift = baste * 6 + bat + baste * 2 + bat + baste + "And, and the bat of the"
    assert find_loop(drift) is None  # never exactly periodic to the end
    assert tail_rep(drift) >= DEGENERATE_TAIL_REP  # yet degenerate


def test_the_cycling_curve_rises_to_the_looped_share():
    curve = cycling_curve([10, None, 500, 1500], 2000)
    assert len(curve["chars"]) == len(curve["share"]) == 40 and curve["chars"][-1] == 2000
    assert curve["share"][0] == 0.25 and curve["share"][-1] == 0.75
    assert curve["share"] == sorted(curve["share"])


def test_exact_cycles_agree_from_the_first_word_after_the_exact_onset():
    cycle = " that I have a great deal"
    text = "so he said" + cycle * 10  # periodic in characters from the space at 10
    loop = find_loop(text)
    assert loop is not None and (loop.onset, loop.period) == (len("so he said "), len(cycle))
    assert agrees_with_exact(text, loop, (len("so he said"), len(cycle)))  # the space is no token
    assert not agrees_with_exact(text, loop, (len("so he said"), 2 * len(cycle)))
    assert not agrees_with_exact(text, loop, (0, len(cycle)))
    assert not agrees_with_exact(text, loop, None)
    assert agrees_with_exact(text[:50], None, (10, len(cycle)))  # two repetitions do not fit
    stats = cycle_statistics([text, PROSE[:300]], None, [(10, len(cycle)), None])
    assert (stats["exact_cycles"], stats["exact_agree"]) == (1, 2)


@functools.cache
def shakespeare_test_split() -> str | None:
    """The shakespeare corpus's test split when the data directory already holds it (no fetch)."""
    from benchmarks.corpora import load_corpus
    from benchmarks.corpora.registry import data_directory

    if not (data_directory() / "shakespeare").is_dir():
        return None
    return load_corpus("shakespeare", progress=False).test


@pytest.mark.parametrize("length", [300, 1000, 2000])
def test_no_human_passage_is_degenerate_or_cycling(length):
    test = shakespeare_test_split()
    if test is None:
        pytest.skip("the shakespeare corpus is not in the data directory")
    from benchmarks.calibrate import human_passages

    passages = human_passages(test, length, 300, seed=11)
    stats = cycle_statistics(passages, length)
    assert stats["degenerate_share"] == 0.0
    assert stats["looped_share"] == 0.0
    assert max(v for v in stats["per_prompt"]["tail_rep_4"] if v is not None) < DEGENERATE_TAIL_REP
