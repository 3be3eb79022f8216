"""markov generation against markovify's own compiled walk, on the same chain.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_markov_speed.py --benchmark-enable``).
The chain is markov's (word level, state 2) fitted on shakespeare's train split; skipped when
shakespeare is not on disk (``make bench`` fetches it; nothing is downloaded here). 64 prompts
(whole train lines and the whitespace after them, so every start state is in the chain) × 2,000 characters. Each round times
markov's ``generate`` and markovify's ``Chain.gen`` (the generator behind ``Chain.walk``, which
runs to END: stopped here at 2,000 characters, the tokens joined by spaces) from the same 64
states, back to back; the ratio is the median of the per-round ratios of characters per second.

Targets: ≥ 1.0 with temperature, with top-k and with top-p (the settings a sweep uses); plain
T = 1 is recorded. The first call of a freshly loaded model against its later calls is recorded
too: at T = 1 it must not be far behind (the tables are built in ``load``; when the back-off
tables were built while generating, the first call ran at 26 k against 1.37 M characters/s).
A setting's first call also computes that setting's table, which the later calls reuse.
"""

from __future__ import annotations

import random
import re
import statistics
from pathlib import Path

import markovify
import numpy as np
import pytest

from benchmarks.corpora import data_directory, load_corpus
from benchmarks.perf.paired import PairedRounds, seconds
from generators.base import Corpus, Sampling
from generators.markov.generator import MarkovGenerator, split_stream

PROMPTS = 64
CHARS = 2000
ROUNDS = 9  # paired rounds per setting
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # beside the checkout, if any
SETTINGS = {
    "temperature-0.8": Sampling(temperature=0.8),
    "top-k-40": Sampling(temperature=1.0, top_k=40),
    "top-p-0.9": Sampling(temperature=1.0, top_p=0.9),
    "all-three": Sampling(temperature=0.8, top_k=40, top_p=0.95),
    "plain-T1": Sampling(temperature=1.0),
}
TARGET = 1.0  # markov / markovify, for every setting but plain T = 1 (recorded)
FIRST_CALL_AT_LEAST = 0.5  # plain T = 1: the first call's speed against the later calls'


def shakespeare() -> Corpus:
    for directory in (data_directory(), SHARED_DATA):
        if (directory / "shakespeare").is_dir():
            return load_corpus("shakespeare", data_dir=directory, progress=False)
    pytest.skip(f"the shakespeare corpus is in neither {data_directory()} nor {SHARED_DATA}")


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    generator = MarkovGenerator.from_options({"state_size": 2})
    generator.fit(shakespeare().for_training())
    folder = tmp_path_factory.mktemp("markov")
    generator.save(folder)
    return folder


@pytest.fixture(scope="module")
def generator(saved) -> MarkovGenerator:
    return MarkovGenerator.load(saved)


@pytest.fixture(scope="module")
def prompts(generator) -> list[str]:
    """Whole train lines of at least 40 characters with the whitespace after them, at seeded places."""
    lines = [m.group() for m in re.finditer(r"(?<=\n)[^\n]{40,}\n\s*", shakespeare().train)]
    picked = np.random.default_rng(0).choice(len(lines), PROMPTS, replace=False)
    return [lines[i] for i in picked]


def chain_states(generator: MarkovGenerator, prompts: list[str]) -> list[tuple]:
    """Each prompt's last two stream tokens as a chain state."""
    states = [tuple(generator.index[t] for t in split_stream(p, "word")[0][-2:]) for p in prompts]
    assert all(s in generator.chain.model for s in states)
    return states


def markovify_walks(chain: markovify.Chain, vocab: list[str], states: list[tuple]) -> int:
    """markovify's compiled walk from each state, to CHARS characters; the characters made."""
    made = 0
    for state in states:
        pieces, length = [], 0
        for token in chain.gen(state):
            piece = vocab[token]
            pieces.append(piece)
            length += len(piece) + 1  # with the space after it
            if length > CHARS:
                break
        made += len(" ".join(pieces)[:CHARS])
    return made


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_generation_against_markovify_walk(benchmark, print_ratio, generator, prompts, setting):
    sampling = SETTINGS[setting]
    states = chain_states(generator, prompts)
    random.seed(0)
    generator.generate(prompts[:2], max_chars=CHARS, sampling=sampling)  # this setting's table, once

    def ours() -> None:
        assert [len(t) for t in generator.generate(prompts, max_chars=CHARS, sampling=sampling)] == [
            CHARS
        ] * PROMPTS

    def theirs() -> None:
        assert markovify_walks(generator.chain, generator.vocab, states) == CHARS * PROMPTS

    rounds = PairedRounds(ours, theirs)
    benchmark.pedantic(rounds, rounds=ROUNDS, iterations=1)
    chars = CHARS * PROMPTS
    markov_speed = [chars / s for s in rounds.our_seconds]
    markovify_speed = [chars / s for s in rounds.their_seconds]
    benchmark.extra_info.update(
        {
            "sampling": str(sampling),
            "markov_chars_per_s": [round(v) for v in markov_speed],
            "markovify_walk_chars_per_s": [round(v) for v in markovify_speed],
            "ratio_median_of_rounds": round(rounds.ratio, 3),
        }
    )
    print_ratio(
        f"markov {statistics.median(markov_speed) / 1e6:.2f} M vs markovify walk "
        f"{statistics.median(markovify_speed) / 1e6:.2f} M chars/s: {rounds.ratio:.2f}× (median of {ROUNDS} rounds)"
    )
    if setting != "plain-T1":
        assert rounds.ratio >= TARGET, f"markov at {rounds.ratio:.2f}× markovify's walk (target ≥ {TARGET})"


@pytest.mark.parametrize("setting", ["plain-T1", "temperature-0.8"])
def test_first_call_after_load(benchmark, print_ratio, saved, prompts, setting):
    sampling = SETTINGS[setting]
    fresh = MarkovGenerator.load(saved)

    def call() -> None:
        fresh.generate(prompts, max_chars=CHARS, sampling=sampling, seed=1)

    first = seconds(call)
    later_calls: list[float] = []
    benchmark.pedantic(lambda: later_calls.append(seconds(call)), rounds=3, iterations=1)
    later = statistics.median(later_calls)
    ratio = later / first  # the first call's speed / the later calls'
    benchmark.extra_info.update(
        {
            "sampling": str(sampling),
            "first_call_chars_per_s": round(CHARS * PROMPTS / first),
            "later_calls_chars_per_s": round(CHARS * PROMPTS / later),
            "first_over_later": round(ratio, 3),
        }
    )
    print_ratio(f"first call after load at {ratio:.2f}× the later calls' speed ({first * 1000:.0f} ms)")
    if setting == "plain-T1":
        assert ratio >= FIRST_CALL_AT_LEAST, f"the first call runs at {ratio:.2f}× the later ones"
