"""typical, min-p, repetition penalty and n-gram blocking, against transformers' own processors.

transformers' processors take (B, L) ``input_ids`` and (B, V) float32 scores; ours take the same
logits and a TokenHistory of the same rows. Each test compares the distributions the two give (a
warper's kept set exactly, the probabilities to float rounding), for torch and numpy inputs alike.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import (
    LogitsProcessorList,
    MinPLogitsWarper,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)

from generators.base import Sampling
from generators.errors import SamplingError
from generators.sampling import TokenHistory, choose_tokens, history_rules, next_token_probs

VOCAB, BATCH, LENGTH = 50, 6, 30


def random_case(seed: int, vocab: int = VOCAB, scale: float = 3.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, V) float32 logits of both signs and (B, L) input ids over a small vocabulary (repeats)."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(BATCH, vocab, generator=gen) * scale
    ids = torch.randint(0, 8, (BATCH, LENGTH), generator=gen)  # ids 0..7: many repeated n-grams
    return logits, ids


def transformers_probs(processors: list, ids: torch.Tensor, logits: torch.Tensor) -> np.ndarray:
    scores = LogitsProcessorList(processors)(ids, logits.clone())
    return torch.softmax(scores.double(), dim=-1).numpy()


def ours(logits: torch.Tensor, sampling: Sampling, ids: torch.Tensor, kind: str) -> np.ndarray:
    history = TokenHistory(ids.tolist(), sampling.no_repeat_ngram)
    given = logits.clone() if kind == "torch" else logits.numpy().copy()
    probs = next_token_probs(given, sampling, history)
    return probs.numpy() if kind == "torch" else np.asarray(probs)


def assert_same_distribution(mine: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_array_equal(mine > 0, theirs > 0)  # the same tokens kept
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-12)


KINDS = ["torch", "numpy"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("mass", [0.2, 0.5, 0.9, 0.95])
def test_typical_p_equals_transformers(kind, seed, mass):
    logits, ids = random_case(seed)
    theirs = transformers_probs([TypicalLogitsWarper(mass)], ids, logits)
    assert_same_distribution(ours(logits, Sampling(typical_p=mass), ids, kind), theirs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("min_p", [0.01, 0.1, 0.3, 1.0])
def test_min_p_equals_transformers(kind, seed, min_p):
    logits, ids = random_case(seed)
    theirs = transformers_probs([MinPLogitsWarper(min_p)], ids, logits)
    assert_same_distribution(ours(logits, Sampling(min_p=min_p), ids, kind), theirs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("penalty", [0.8, 1.3, 2.0])
def test_repetition_penalty_equals_transformers(kind, seed, penalty):
    logits, ids = random_case(seed)
    theirs = transformers_probs([RepetitionPenaltyLogitsProcessor(penalty)], ids, logits)
    assert_same_distribution(ours(logits, Sampling(repetition_penalty=penalty), ids, kind), theirs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_no_repeat_ngram_equals_transformers(kind, seed, n):
    logits, ids = random_case(seed)
    theirs = transformers_probs([NoRepeatNGramLogitsProcessor(n)], ids, logits)
    assert_same_distribution(ours(logits, Sampling(no_repeat_ngram=n), ids, kind), theirs)


def generate_order(sampling: Sampling) -> list:
    """transformers' ``_get_logits_processor`` order, each only when on (as there): processors, then
    temperature, top-k, top-p, min-p, typical."""
    s = sampling
    steps = [
        (s.repetition_penalty != 1, lambda: RepetitionPenaltyLogitsProcessor(s.repetition_penalty)),
        (s.no_repeat_ngram > 0, lambda: NoRepeatNGramLogitsProcessor(s.no_repeat_ngram)),
        (s.temperature != 1, lambda: TemperatureLogitsWarper(s.temperature)),
        (s.top_k > 0, lambda: TopKLogitsWarper(s.top_k)),
        (s.top_p < 1, lambda: TopPLogitsWarper(s.top_p)),
        (s.min_p > 0, lambda: MinPLogitsWarper(s.min_p)),
        (s.typical_p < 1, lambda: TypicalLogitsWarper(s.typical_p)),
    ]
    return [make() for on, make in steps if on]


COMBINED = [
    Sampling(0.7, top_k=30, top_p=0.9, typical_p=0.9, min_p=0.05, repetition_penalty=1.3, no_repeat_ngram=2),
    Sampling(1.5, top_k=40, top_p=0.95, typical_p=0.5, min_p=0.2, repetition_penalty=1.2, no_repeat_ngram=3),
    Sampling(0.5, top_k=45, top_p=0.8, typical_p=0.95, min_p=0.02, repetition_penalty=2.0, no_repeat_ngram=1),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("sampling", COMBINED, ids=lambda s: s.describe())
def test_every_rule_together_in_transformers_order(kind, seed, sampling):
    logits, ids = random_case(seed, scale=2.0)
    theirs = transformers_probs(generate_order(sampling), ids, logits)
    assert_same_distribution(ours(logits, sampling, ids, kind), theirs)


NO_IDS = torch.zeros(1, 1, dtype=torch.long)


def test_the_order_matters_and_is_transformers():
    """min-p after temperature, typical after min-p (as transformers): another order keeps others."""
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    hot = Sampling(temperature=3.0, min_p=0.5)
    after = transformers_probs(generate_order(hot), NO_IDS, logits)
    before = transformers_probs([MinPLogitsWarper(0.5), TemperatureLogitsWarper(3.0)], NO_IDS, logits)
    assert (after[0] > 0).sum() == 3 and (before[0] > 0).sum() == 2  # T = 3 flattens: min-p keeps more
    np.testing.assert_allclose(next_token_probs(logits, hot)[0].numpy(), after[0], rtol=1e-6)
    logits = torch.log(torch.tensor([[0.4, 0.3, 0.2, 0.1]]))
    both = Sampling(1.0, min_p=0.3, typical_p=0.5)  # min-p drops 0.1 first: typical sees 4/9, 3/9, 2/9
    theirs = transformers_probs(generate_order(both), NO_IDS, logits)
    swapped = transformers_probs([TypicalLogitsWarper(0.5), MinPLogitsWarper(0.3)], NO_IDS, logits)
    np.testing.assert_allclose(next_token_probs(logits, both)[0].numpy(), [4 / 7, 3 / 7, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(theirs[0], [4 / 7, 3 / 7, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(swapped[0], [0, 0.6, 0.4, 0], rtol=1e-6)  # typical first drops 0.4


# ---------------------------------------------------------------- hand-computed cases


def test_repetition_penalty_by_hand():
    """Logits [2, -1, 0.5, 3] with tokens 0 and 1 seen, θ = 2: [1, -2, 0.5, 3]."""
    logits = np.array([[2.0, -1.0, 0.5, 3.0]])
    out = history_rules(logits, Sampling(repetition_penalty=2.0), TokenHistory([[1, 0, 1]]))
    np.testing.assert_array_equal(out, [[1.0, -2.0, 0.5, 3.0]])


def test_no_repeat_ngram_by_hand():
    """Row 5 7 5 with n = 2: after 5, token 7 would repeat the bigram (5, 7); with n = 3, after
    7 5 nothing has followed (7, 5) yet."""
    logits = np.zeros((1, 9))
    two = history_rules(logits, Sampling(no_repeat_ngram=2), TokenHistory([[5, 7, 5]], 2))
    assert np.flatnonzero(np.isinf(two[0])).tolist() == [7]
    three = history_rules(logits, Sampling(no_repeat_ngram=3), TokenHistory([[5, 7, 5]], 3))
    assert not np.isinf(three).any()
    history = TokenHistory([[5, 7, 5]], 3)
    history.append([7])  # 5 7 5 7: (5, 7) was followed by 5
    assert np.flatnonzero(history.banned(None, 9)[0]).tolist() == [5]


def test_a_row_with_every_token_banned_is_not_blocked():
    """Two tokens, both completing a seen bigram: the step samples as if nothing were banned."""
    history = TokenHistory([[0, 0, 1, 0, 1, 1, 0]], 2)  # after 0: 0 and 1 both followed 0 before
    logits = np.log(np.array([[0.25, 0.75]]))
    probs = next_token_probs(logits, Sampling(no_repeat_ngram=2), history)
    np.testing.assert_allclose(probs, [[0.25, 0.75]])


def test_candidates_name_the_columns():
    """markov's logits are over a state's followers: the rules read the followers' token ids."""
    history = TokenHistory([[40, 41, 40]], 2)
    followers = np.array([[7, 41, 40]])  # columns are tokens 7, 41, 40
    logits = np.log(np.array([[0.2, 0.5, 0.3]]))
    out = history_rules(logits, Sampling(repetition_penalty=2.0, no_repeat_ngram=2), history, followers)
    expected = [math.log(0.2), -math.inf, math.log(0.3) * 2]  # 41 banned after 40; 40 penalised
    np.testing.assert_allclose(out[0], expected)


def test_greedy_follows_the_history_rules():
    logits = torch.tensor([[3.0, 2.9, 0.0]])
    history = TokenHistory([[0]])
    assert choose_tokens(logits, Sampling(0.0), torch.zeros(1)).tolist() == [0]
    picked = choose_tokens(logits, Sampling(0.0, repetition_penalty=1.3), torch.zeros(1), history)
    assert picked.tolist() == [1]  # 3 / 1.3 < 2.9


def test_a_rule_that_reads_the_history_refuses_to_run_without_it():
    with pytest.raises(SamplingError, match="reads each row's earlier tokens"):
        choose_tokens(np.zeros((1, 3)), Sampling(repetition_penalty=1.2), np.zeros(1))
    with pytest.raises(SamplingError, match="reads each row's earlier tokens"):
        choose_tokens(np.zeros((2, 3)), Sampling(no_repeat_ngram=2), np.zeros(2), TokenHistory([[1]], 2))


def test_subset_views_append_to_the_rows():
    history = TokenHistory([[1], [2], [3]], 2)
    view = history.subset([2, 0])
    view.append([9, 8])
    assert [history.tokens(i) for i in range(3)] == [[1, 8], [2], [3, 9]]
    assert TokenHistory.for_sampling([[1]], Sampling()) is None


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("typical_p", 0.0),
        ("typical_p", 1.5),
        ("typical_p", math.nan),
        ("min_p", -0.1),
        ("min_p", 1.1),
        ("min_p", True),
        ("repetition_penalty", 0.0),
        ("repetition_penalty", math.inf),
        ("repetition_penalty", "2"),
        ("no_repeat_ngram", -1),
        ("no_repeat_ngram", 2.0),
    ],
)
def test_invalid_new_settings_are_named(parameter, value):
    with pytest.raises(SamplingError, match=rf"^{parameter} must be") as raised:
        Sampling(**{parameter: value})
    assert repr(value) in str(raised.value)


def test_changed_fields_and_history_free():
    sampling = Sampling(0.7, min_p=0.1, no_repeat_ngram=3)
    assert sampling.changed_fields() == ("min_p", "no_repeat_ngram")
    assert sampling.uses_history and not sampling.history_free().uses_history
    assert sampling.history_free() == Sampling(0.7, min_p=0.1)
    assert sampling.describe() == "T=0.7, min_p=0.1, no_repeat_ngram=3"
