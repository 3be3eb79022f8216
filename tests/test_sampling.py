"""Sampling settings and the shared batched next-token choice, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from generators.base import Sampling
from generators.errors import ConfigError, SamplingError
from generators.sampling import choose_tokens, next_token_probs, seeded_uniforms

# log([1, 2, 3, 4]): at temperature 1 the probabilities are exactly [0.1, 0.2, 0.3, 0.4].
LOGITS = torch.log(torch.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=torch.float64))  # (1, 4)


def probs(sampling: Sampling, logits: torch.Tensor = LOGITS) -> list[float]:
    return next_token_probs(logits, sampling)[0].tolist()


# ---------------------------------------------------------------- Sampling validation


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("temperature", -0.5),
        ("temperature", math.nan),
        ("temperature", math.inf),
        ("temperature", "1"),
        ("temperature", True),
        ("top_k", -1),
        ("top_k", 1.5),
        ("top_k", True),
        ("top_p", 0.0),
        ("top_p", -0.1),
        ("top_p", 1.5),
        ("top_p", math.nan),
        ("top_p", True),
    ],
)
def test_invalid_sampling_parameters_are_named(parameter, value):
    with pytest.raises(SamplingError, match=rf"^{parameter} must be") as raised:
        Sampling(**{parameter: value})
    assert isinstance(raised.value, ConfigError) and isinstance(raised.value, ValueError)
    assert repr(value) in str(raised.value)


def test_valid_sampling_parameters():
    assert Sampling(0).greedy and not Sampling(1e-3).greedy
    assert Sampling(temperature=2, top_k=0, top_p=1).top_p == 1
    assert Sampling(top_k=1, top_p=1e-9).top_k == 1


# ---------------------------------------------------------------- next_token_probs


def test_temperature_one_is_the_softmax():
    assert probs(Sampling(1.0)) == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-12)


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        (0.5, [1 / 30, 4 / 30, 9 / 30, 16 / 30]),  # p ** 2, renormalised
        (2.0, [1 / (3 + math.sqrt(2) + math.sqrt(3)) * x for x in (1, math.sqrt(2), math.sqrt(3), 2)]),
    ],
)
def test_temperature_divides_the_logits(temperature, expected):
    assert probs(Sampling(temperature)) == pytest.approx(expected, abs=1e-12)


def test_greedy_probabilities_are_one_hot_at_the_first_argmax():
    assert probs(Sampling(0.0)) == [0.0, 0.0, 0.0, 1.0]
    ties = torch.tensor([[0.0, 2.0, 2.0, 1.0]])
    assert probs(Sampling(0.0), ties) == [0.0, 1.0, 0.0, 0.0]


def test_top_k_keeps_the_k_most_likely():
    assert probs(Sampling(1.0, top_k=2)) == pytest.approx([0, 0, 3 / 7, 4 / 7], abs=1e-12)
    assert probs(Sampling(1.0, top_k=1)) == pytest.approx([0, 0, 0, 1], abs=1e-12)
    assert probs(Sampling(1.0, top_k=4)) == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-12)
    assert probs(Sampling(1.0, top_k=9)) == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-12)


def test_top_k_keeps_exactly_k_breaking_ties_as_greedy_does():
    ties = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    assert probs(Sampling(1.0, top_k=2), ties) == pytest.approx([1 / 2, 1 / 2, 0, 0], abs=1e-12)
    late_ties = torch.tensor([[0.0, 2.0, 1.0, 2.0]])
    for temperature in (0.3, 1.0, 5.0):  # top_k = 1 is the greedy pick at every temperature
        assert probs(Sampling(temperature, top_k=1), late_ties) == probs(Sampling(0.0), late_ties)


@pytest.mark.parametrize(
    ("top_p", "expected"),
    [
        (1e-9, [0, 0, 0, 1]),  # the argmax is always kept
        (0.35, [0, 0, 0, 1]),  # 0.4 already reaches 0.35
        (0.65, [0, 0, 3 / 7, 4 / 7]),  # 0.4 + 0.3 = 0.7 is the smallest set reaching 0.65
        (0.75, [0, 2 / 9, 3 / 9, 4 / 9]),  # 0.4 + 0.3 + 0.2 = 0.9
        (0.95, [0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_top_p_keeps_the_smallest_set_reaching_p(top_p, expected):
    assert probs(Sampling(1.0, top_p=top_p)) == pytest.approx(expected, abs=1e-12)


def test_temperature_then_top_k_then_top_p():
    # top-k 3 leaves [2, 3, 4] / 9; top-p 0.5 then needs 4/9 + 3/9
    assert probs(Sampling(1.0, top_k=3, top_p=0.5)) == pytest.approx([0, 0, 3 / 7, 4 / 7], abs=1e-12)
    # temperature first: p ** 2 = [1, 4, 9, 16] / 30; top-p 0.6 keeps 16/30 + 9/30
    assert probs(Sampling(0.5, top_p=0.6)) == pytest.approx([0, 0, 9 / 25, 16 / 25], abs=1e-12)


def test_rows_are_independent():
    logits = torch.cat([LOGITS, LOGITS.flip(-1)])  # (2, 4)
    both = next_token_probs(logits, Sampling(1.0, top_k=2))
    assert both[1].tolist() == pytest.approx([4 / 7, 3 / 7, 0, 0], abs=1e-12)
    assert both[0].tolist() == probs(Sampling(1.0, top_k=2))


# ---------------------------------------------------------------- choose_tokens


def test_greedy_is_the_argmax_whatever_the_uniforms():
    logits = torch.randn(8, 50, generator=torch.Generator().manual_seed(0))  # (8, 50)
    picked = choose_tokens(logits, Sampling(0.0), torch.rand(8, dtype=torch.float64))
    assert torch.equal(picked, torch.argmax(logits, dim=-1))


@pytest.mark.parametrize(
    ("uniform", "token"),
    [(0.0, 0), (0.05, 0), (0.11, 1), (0.29, 1), (0.31, 2), (0.59, 2), (0.61, 3), (0.999999, 3)],
)
def test_inverse_cdf_picks(uniform, token):
    # cdf of [0.1, 0.2, 0.3, 0.4] is [0.1, 0.3, 0.6, 1.0]
    picked = choose_tokens(LOGITS, Sampling(1.0), torch.tensor([uniform], dtype=torch.float64))
    assert picked.tolist() == [token]


@pytest.mark.parametrize("uniform", [0.0, 0.2, 0.42, 0.43, 0.9999])
def test_dropped_tokens_are_never_picked(uniform):
    # top-k 2 leaves [0, 0, 3/7, 4/7]: cdf [0, 0, 0.43, 1]
    picked = choose_tokens(LOGITS, Sampling(1.0, top_k=2), torch.tensor([uniform], dtype=torch.float64))
    assert picked.tolist() == [2 if uniform < 3 / 7 else 3]


def test_sampled_frequencies_follow_the_probabilities():
    uniforms = seeded_uniforms(0, 1, 20_000)[0]  # (20000,)
    logits = LOGITS.expand(20_000, 4)  # (20000, 4)
    counts = torch.bincount(choose_tokens(logits, Sampling(0.5), uniforms), minlength=4).double()
    assert (counts / 20_000).tolist() == pytest.approx([1 / 30, 4 / 30, 9 / 30, 16 / 30], abs=0.01)


def test_a_batch_picks_what_each_row_picks_alone():
    logits = torch.randn(6, 30, generator=torch.Generator().manual_seed(1))  # (6, 30)
    uniforms = seeded_uniforms(9, 6, 1)[:, 0]  # (6,)
    for sampling in (Sampling(1.0), Sampling(0.7, top_k=5), Sampling(1.2, top_p=0.8)):
        batch = choose_tokens(logits, sampling, uniforms).tolist()
        alone = [choose_tokens(logits[i : i + 1], sampling, uniforms[i : i + 1]).item() for i in range(6)]
        assert batch == alone


# ---------------------------------------------------------------- seeded_uniforms


def test_seeded_uniforms_rows_are_numpy_streams():
    u = seeded_uniforms(5, 3, 7)
    assert u.shape == (3, 7) and u.dtype == np.float64
    for i in range(3):
        assert u[i].tolist() == np.random.default_rng(5 + i).random(7).tolist()


def test_row_i_of_a_batch_is_row_0_of_a_batch_seeded_s_plus_i():
    batch = seeded_uniforms(100, 4, 16)
    for i in range(4):
        assert np.array_equal(batch[i], seeded_uniforms(100 + i, 1, 16)[0])
    assert np.array_equal(seeded_uniforms(100, 2, 16), batch[:2])  # a smaller batch changes no row


def test_seeded_uniforms_empty_shapes():
    assert seeded_uniforms(0, 0, 5).shape == (0, 5)
    assert seeded_uniforms(0, 3, 0).shape == (3, 0)


# ---------------------------------------------------------------- one rule for numpy and torch

SETTINGS = [Sampling(0), Sampling(1), Sampling(0.7, top_k=3), Sampling(1.3, top_p=0.6), Sampling(0.5, 5, 0.9)]


@pytest.mark.parametrize("sampling", SETTINGS, ids=str)
def test_numpy_and_torch_give_the_same_distribution_and_tokens(sampling):
    rng = np.random.default_rng(4)
    for logits in (rng.normal(size=(6, 50)) * 3, np.log(rng.integers(1, 4, size=(6, 50)).astype(float))):
        on_numpy = next_token_probs(logits, sampling)
        on_torch = next_token_probs(torch.from_numpy(logits), sampling)
        assert isinstance(on_numpy, np.ndarray) and isinstance(on_torch, torch.Tensor)
        assert np.allclose(on_numpy, on_torch.numpy(), rtol=0, atol=1e-15)
        uniforms = rng.random(6)
        picked = choose_tokens(logits, sampling, uniforms)
        assert picked.tolist() == choose_tokens(torch.from_numpy(logits), sampling, uniforms).tolist()


@pytest.mark.parametrize("sampling", SETTINGS, ids=str)
def test_rows_sampled_together_give_what_each_gives_alone(sampling):
    logits = np.log(np.random.default_rng(5).integers(1, 6, size=(8, 30)).astype(float))
    together = next_token_probs(logits, sampling)
    for row in range(len(logits)):
        assert np.array_equal(together[row], next_token_probs(logits[row : row + 1], sampling)[0])
