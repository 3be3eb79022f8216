"""Shared by the gpt2 test files: a tiny model config, its corpus, prompts, and helpers."""

from __future__ import annotations

import numpy as np
import torch
from support import TINY_NEURAL_OPTIONS

from generators.base import Budget, Corpus, Sampling
from generators.gpt2.decoding import CachedDecoding
from generators.gpt2.generator import GPT2Generator
from generators.testing.texts import make_text

TINY = {  # the kit's tiny gpt2, with a schedule of its own
    **TINY_NEURAL_OPTIONS["gpt2"],
    "optim": {"lr": 3e-3, "warmup_steps": 2, "eval_every": 10, "eval_chars": 400, "patience": 0},
}
UNICODE_LINE = "Hello 😀 世界, e\u0301 naïve café!\n"
GREEDY, RANDOM = Sampling(temperature=0.0), Sampling(temperature=1.0)
PROMPTS = ["The ", "", "It was a long night and the", "x" * 200]


def corpus() -> Corpus:
    train = make_text(3000, seed=0) + UNICODE_LINE * 5
    return Corpus("tiny", train, make_text(500, seed=1), make_text(300, seed=2), "0" * 64)


def fitted(options: dict | None = None, steps: int = 30, seed: int = 0) -> GPT2Generator:
    generator = GPT2Generator.from_options({**TINY, **(options or {})})
    generator.fit(corpus(), seed=seed, budget=Budget(steps=steps))
    return generator


def no_end_of_text(monkeypatch) -> None:
    """Make <|endoftext|> impossible, so every continuation must reach max_chars."""
    original = CachedDecoding.logits

    def logits(self):
        values = original(self)
        values[:, self.tokens.end_of_text] = float("-inf")
        return values

    monkeypatch.setattr(CachedDecoding, "logits", logits)


def direct_logprobs(generator: GPT2Generator, ids: list[int]) -> np.ndarray:
    """log P(ids[j] | ids[:j]) for j >= 1 from one plain forward pass of the whole sequence."""
    with torch.no_grad():
        logits = generator.model(input_ids=torch.tensor([ids])).logits[0]  # (n, V)
    logprobs = torch.log_softmax(logits.float(), dim=-1)[:-1]  # (n - 1, V)
    return logprobs.gather(1, torch.tensor(ids[1:])[:, None]).squeeze(1).double().numpy()


def direct_distributions(generator: GPT2Generator, ids: list[int]) -> torch.Tensor:
    """(n - 1, V) log P(next token | ids[:j + 1]) from one plain forward pass."""
    with torch.no_grad():
        logits = generator.model(input_ids=torch.tensor([ids])).logits[0, :-1]  # (n - 1, V)
    return torch.log_softmax(logits.float(), dim=-1).double()


def prefix_mass(generator: GPT2Generator, distribution: torch.Tensor, token: int) -> float:
    """log P(a token whose bytes start with ``token``'s), by brute force over the vocabulary."""
    data = generator.tokens.token_bytes(token)
    allowed = [i for i, b in enumerate(generator.tokens.table) if b.startswith(data)]
    return float(torch.logsumexp(distribution[allowed], 0))
