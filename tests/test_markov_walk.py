"""markov's sampling tables (generators.markov.walk): the same text as sampling each step on its own."""

from __future__ import annotations

import functools

import markovify
import numpy as np
import pytest
from support import make_text

from benchmarks.metrics import agrees_with_exact, find_loop
from generators.base import Corpus, Sampling
from generators.markov.generator import MarkovGenerator
from generators.sampling import next_token_probs

SAMPLINGS = {
    "greedy": Sampling(0.0),
    "t1": Sampling(1.0),
    "t07": Sampling(0.7),
    "k3": Sampling(1.0, top_k=3),
    "p08": Sampling(1.0, top_p=0.8),
    "t13p05": Sampling(1.3, top_p=0.5),
    "mix": Sampling(0.8, top_k=5, top_p=0.9),
}


def fitted(train: str, **options) -> MarkovGenerator:
    generator = MarkovGenerator.from_options(options)
    generator.fit(Corpus("test", train, "", "", "0" * 64))
    return generator


@functools.cache
def model(name: str) -> MarkovGenerator:
    if name == "word":
        return fitted(make_text(6000, seed=1), state_size=2)
    if name == "char":
        return fitted(make_text(6000, seed=1), state_size=3, level="char")
    return fitted("a b c a b d", state_size=1)  # "end": d is followed by END only


# Computed with the per-step sampling these tables replaced (commit 4a48a63), seed 11, 60 characters:
# prompt 0 "The king", prompt 2 "zzz " (unknown: backs off to the unigrams).
BEFORE_THE_TABLES = {
    ("word", "greedy"): (
        " and and gone the;\nThe the sang went and old the sang went a",
        "\nThe the sang went and old the sang went and old the sang we",
    ),
    ("word", "t1"): (
        " and and the had mother the children moon of the.\nNight cold",
        "children!\nQueen to spoke king king they but back to.\nAnd spo",
    ),
    ("word", "t07"): (
        " and and the had mother the children moon of the.\nNight cold",
        "came night!\nGone fire by and song back mother moon.\nBy the c",
    ),
    ("word", "k3"): (  # since top-k keeps exactly k tokens (ties broken as greedy breaks them); the
        # per-step code of 4a48a63 kept every follower tied with the third: "...Night cold", "and of night was"
        " and and the had mother the children moon of the.\nNight fire",
        "and of and was.\nOf by small was where country the mother pla",
    ),
    ("word", "p08"): (
        " and and the had mother the children moon of the.\nNight abou",
        "came war,\nHad war small king war the the war;\nTo who who col",
    ),
    ("word", "t13p05"): (
        " and and gone the;\nKing children queen was old old.\nChildren",
        "of a cold was children and king back children.\nLong song whe",
    ),
    ("char", "t1"): (
        " was was!\nThe chile of sang about the long wind to of had fi",
        "sang mothe mothe chile the to.\nWher came sea a cold the!\nWar",
    ),
    ("char", "mix"): (  # since top-k keeps exactly k tokens (4a48a63: "...the who moon wher the")
        " was was the was ther the children and the who and wind the ",
        "sang a war they back to the about the small cold wher the wa",
    ),
    ("end", "t1"): (
        " a b d a b c a b d b d a b d c a b c a b c a b d a b c a b c",
        "d c a b d a b d c a b d b c a b c a b d d b d a b d b c a b ",
    ),
}


@pytest.mark.parametrize(("name", "setting"), list(BEFORE_THE_TABLES))
def test_text_is_the_one_per_step_sampling_gave(name, setting):
    prompts = ["The king", "", "zzz ", "the sea\n", "a "]
    texts = model(name).generate(prompts, max_chars=60, sampling=SAMPLINGS[setting], seed=11)
    assert (texts[0], texts[2]) == BEFORE_THE_TABLES[name, setting]


@pytest.mark.parametrize("name", ["word", "char"])
@pytest.mark.parametrize("setting", list(SAMPLINGS))
def test_each_state_table_is_its_own_distribution_bit_for_bit(name, setting):
    generator = model(name)
    walk, sampling = generator.walk, SAMPLINGS[setting]
    cdf = np.asarray(walk.cdf(sampling))
    for s, (_, cumulative) in enumerate(generator.chain.model.values()):
        counts = np.diff(np.asarray(cumulative, dtype=np.float64), prepend=0.0)
        expected = np.cumsum(next_token_probs(np.log(counts), sampling)) if len(counts) > 1 else [1.0]
        if setting == "t1":
            expected = np.asarray(cumulative, dtype=np.float64)  # plain: the counts themselves
        assert np.array_equal(cdf[walk.starts[s] : walk.starts[s + 1]], expected), s


@pytest.mark.parametrize("name", ["word", "char", "end"])
def test_successors_and_tokens_follow_the_chain(name):
    generator = model(name)
    walk, states = generator.walk, list(generator.chain.model)
    for s, (state, (followers, _)) in enumerate(generator.chain.model.items()):
        for slot, token in zip(range(walk.starts[s], walk.starts[s + 1]), followers, strict=True):
            if token == markovify.chain.END:
                assert walk.tokens[slot] < 0 and walk.successors[slot] < 0
            else:
                assert walk.tokens[slot] == token and states[walk.successors[slot]] == (*state[1:], token)


def summed_followers(chain: markovify.Chain) -> list[dict]:
    """The back-off tables as the per-step code built them: state by state, in the chain's order."""
    k = chain.state_size
    sums: list[dict] = [{} for _ in range(k)]
    for state, (followers, cumulative) in chain.model.items():
        counts = np.diff(cumulative, prepend=0).tolist()
        for j in range(k):
            suffix = state[k - j :]
            if markovify.chain.BEGIN in suffix:
                continue  # never looked up: a generation state holds no BEGIN
            target = sums[j].setdefault(suffix, {})
            for token, count in zip(followers, counts, strict=True):
                if token != markovify.chain.END:
                    target[token] = target.get(token, 0) + count
    return [{s: (list(f), np.cumsum(list(f.values())).tolist()) for s, f in d.items() if f} for d in sums]


@pytest.mark.parametrize("name", ["word", "char", "end"])
def test_back_off_tables_sum_the_states_ending_in_each_suffix(name):
    generator = model(name)
    assert generator.walk.backoff == summed_followers(generator.chain)


@pytest.mark.parametrize("name", ["word", "char", "end"])
def test_the_exact_greedy_cycle_is_the_one_the_loop_rule_finds(name):
    generator = model(name)
    prompts = ["The king", "", "zzz ", "the sea\n", "a ", "went to the ", "Night cold"]
    texts = generator.generate(prompts, max_chars=2000, sampling=SAMPLINGS["greedy"], seed=3)
    exact = generator.greedy_cycles(prompts, max_chars=2000)
    assert all(cycle is not None for cycle in exact)  # a greedy chain ends in a cycle
    for text, (onset, period) in zip(texts, exact, strict=True):
        assert text[onset:-period] == text[onset + period :]  # it repeats from the onset on
        assert onset == 0 or text[onset - 1] != text[onset - 1 + period]  # and not from before
        assert agrees_with_exact(text, find_loop(text, 2000), (onset, period)), (text[:80], onset, period)
    tokens, word_before = generator._prompt_tokens(prompts[0])
    walked, _, _ = generator.walk.greedy_cycle(generator._state_of(tokens), word_before, 2000)
    assert texts[0].startswith(walked)  # the steps are generate's


def test_a_greedy_cycle_longer_than_the_search_is_not_reported():
    generator = model("word")
    cycles = generator.greedy_cycles(["The king"], max_chars=2000)
    assert cycles[0] is not None
    onset, period = cycles[0]
    assert generator.greedy_cycles(["The king"], max_chars=period - 1) == [None]  # a repeat takes a period
    assert generator.greedy_cycles(["The king"], max_chars=onset + 2 * period) == cycles
