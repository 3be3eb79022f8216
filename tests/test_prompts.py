"""Prompts for the sweep: the default 64 from a real test split, and a clear error when a split is too small."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from benchmarks.run.prompts import choose_test_prompts, disjoint_starts
from benchmarks.run.settings import SweepSection
from generators.errors import CorpusError
from generators.testing.texts import make_text

TINYSHAKESPEARE = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt"


def default_prompts_hold(test: str) -> None:
    sweep = SweepSection()
    prompts = choose_test_prompts(test, sweep.test_prompts, sweep.prompt_chars, sweep.max_chars, seed=0)
    assert len(prompts) == 64 == len({p.offset for p in prompts})
    assert all(len(p.human) == sweep.max_chars for p in prompts)
    assert all(test[p.offset : p.offset + len(p.text) + len(p.human)] == p.text + p.human for p in prompts)


def test_the_default_sweep_draws_64_distinct_prompts_from_a_test_split():
    default_prompts_hold(make_text(60_000))


@pytest.mark.skipif(not TINYSHAKESPEARE.exists(), reason="../shared/data/tinyshakespeare.txt is absent")
def test_the_default_sweep_draws_its_prompts_from_a_real_test_split():
    text = TINYSHAKESPEARE.read_text(encoding="utf-8")
    default_prompts_hold(text[len(text) * 9 // 10 :])  # nanoGPT's split: the last 10%


def test_a_test_split_with_too_few_line_starts_is_a_one_line_error():
    test = "".join(f"line {i} of a short test split\n" for i in range(40))
    # lines 0-9 take 29 characters, 10-39 take 30: 1,190 in all. A prompt start needs 100 + 300
    # characters after it (offset <= 790), and spans may not overlap: offsets 0 and 410 fit, the
    # next line start at or after 810 is too late -> room for 2
    with pytest.raises(CorpusError) as error:
        choose_test_prompts(test, 64, 100, 300, seed=0)
    assert str(error.value) == (
        "the test split has room for 2 prompts at line starts with 400 characters after them that do "
        "not overlap; the sweep needs 64: lower sweep.test_prompts or sweep.max_chars"
    )


def test_prompt_spans_never_overlap():
    test = make_text(20_000, seed=3)
    prompts = choose_test_prompts(test, 40, 100, 300, seed=5)
    offsets = [p.offset for p in prompts]
    assert offsets == sorted(offsets) and len(prompts) == 40
    assert all(b - a >= 400 for a, b in itertools.pairwise(offsets))
    assert prompts == choose_test_prompts(test, 40, 100, 300, seed=5)  # seeded
    assert disjoint_starts(np.array([0, 100, 399, 400, 790, 800]), 400).tolist() == [0, 400, 800]
