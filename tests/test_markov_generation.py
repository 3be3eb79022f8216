"""The markov generator's text: greedy and seeded sampling, batches, max_chars, temperature."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from markov_support import char_model, fitted, word_model

from generators.base import Sampling
from generators.markov.walk import choose
from generators.sampling import next_token_probs


def test_greedy_follows_the_argmax_loop():
    g = fitted("a b c a b c a b d", state_size=1)  # after b: c twice, d once
    assert g.generate(["a"], max_chars=20, sampling=Sampling(0.0)) == [(" b c a" * 4)[:20]]
    # "\n" is unseen: back off to all transition counts, where a and b tie (3 each) and a came first
    assert g.generate(["a\n"], max_chars=7, sampling=Sampling(0.0)) == ["a b c a"]


def test_greedy_breaks_ties_by_first_follower():
    g = fitted("x z q x y q x", state_size=1)  # after x: z once, y once; z came first
    assert g.generate(["x"], max_chars=4, sampling=Sampling(0.0)) == [" z q"]


def test_unseen_state_backs_off_to_a_shorter_suffix():
    g = fitted("a b c a b c", state_size=2)
    assert g.generate(["zz a"], max_chars=8, sampling=Sampling(0.0)) == [" b c a b"]
    (text,) = g.generate(["zz qq"], max_chars=8, sampling=Sampling(1.0))  # nothing matches: unigrams
    assert len(text) == 8


def test_empty_prompt_does_not_replay_the_corpus_opening():
    g = fitted("b x " + "a b c a b d " * 20, state_size=2)  # only the opening has "b" followed by "x"
    openings = [g.generate([""], max_chars=6, seed=seed)[0] for seed in range(40)]
    assert len({text.split()[0] for text in openings}) >= 3  # drawn from the unigrams
    assert sum(text.startswith("b x") for text in openings) <= 4
    # greedy: the most frequent word, then its most frequent follower over every state ending in it
    assert g.generate([""], max_chars=6, sampling=Sampling(0.0)) == ["b c a "]
    assert g.generate(["b"], max_chars=6, sampling=Sampling(0.0)) == [" c a b"]  # not (BEGIN, b) -> x


def test_seeds_reproduce_and_differ():
    g = word_model()
    first = g.generate(["The king"] * 3, max_chars=200, seed=7)
    assert first == g.generate(["The king"] * 3, max_chars=200, seed=7)
    assert len(set(first)) == 3
    assert first[0] != g.generate(["The king"], max_chars=200, seed=8)[0]


@pytest.mark.parametrize("model", [word_model, char_model])
def test_batch_equals_one_at_a_time(model):
    g = model()
    prompts = ["The king", "", "zzz ", "the sea\n"]
    sampling = Sampling(temperature=0.8, top_k=5, top_p=0.9)
    batched = g.generate(prompts, max_chars=80, sampling=sampling, seed=11)
    single = [g.generate([p], max_chars=80, sampling=sampling, seed=11 + i)[0] for i, p in enumerate(prompts)]
    assert batched == single


@pytest.mark.parametrize("model", [word_model, char_model])
@pytest.mark.parametrize("max_chars", [0, 1, 17, 300])
def test_exactly_max_chars(model, max_chars):
    prompts = ["", "The", "The ", "😀 unseen", "x\n\n"]
    for temperature in (0.0, 1.0):
        texts = model().generate(prompts, max_chars=max_chars, sampling=Sampling(temperature), seed=3)
        assert [len(t) for t in texts] == [max_chars] * len(prompts)


def test_word_continuation_spacing():
    g = fitted("a b c a b c", state_size=1)
    assert g.generate(["a"], max_chars=4, sampling=Sampling(0.0)) == [" b c"]
    assert g.generate(["a "], max_chars=4, sampling=Sampling(0.0)) == ["b c "]


def test_numpy_sampling_matches_torch():
    rng = np.random.default_rng(0)
    logits = np.log(rng.integers(1, 50, size=(6, 30)).astype(np.float64))
    for sampling in [Sampling(1.0), Sampling(0.5), Sampling(2.0, top_k=4), Sampling(0.9, top_p=0.7),
                     Sampling(1.3, top_k=10, top_p=0.5), Sampling(0.0)]:  # fmt: skip
        expected = next_token_probs(torch.from_numpy(logits), sampling).numpy()
        got = np.stack([next_token_probs(row, sampling) for row in logits])
        assert np.allclose(got, expected, rtol=0, atol=1e-12), sampling
        assert np.array_equal(next_token_probs(logits, sampling), got), sampling  # rows at once: same bits


def test_temperature_powers_the_counts():
    counts = np.array([1.0, 3.0, 6.0])
    for t in (0.5, 1.0, 2.0):
        expected = counts ** (1 / t) / (counts ** (1 / t)).sum()
        assert np.allclose(next_token_probs(np.log(counts), Sampling(t)), expected, rtol=0, atol=1e-12)
    cumulative = [1, 4]  # counts 1 and 3
    rng = np.random.default_rng(0)
    for t, expected in ((1.0, 0.25), (0.5, 0.1)):  # p(first) = 1 / (1 + 3^(1/T))
        draws = np.array([choose(cumulative, Sampling(t), u) for u in rng.random(5000)])
        assert np.mean(draws == 0) == pytest.approx(expected, abs=0.02)


def test_small_temperature_is_greedy():
    g = fitted("a b c a b c a b d a b e", state_size=1)
    greedy = g.generate(["a"], max_chars=60, sampling=Sampling(0.0))
    assert g.generate(["a"], max_chars=60, sampling=Sampling(0.01), seed=5) == greedy


def test_generate_rejects_a_non_sampling():
    with pytest.raises(TypeError, match="sampling"):
        word_model().generate(["a"], max_chars=3, sampling={"temperature": 1.0})  # type: ignore[arg-type]
