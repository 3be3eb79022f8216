"""GPT-2 generation speed: 512 new tokens with the KV cache against re-feeding the whole sequence.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_gpt2_speed.py --benchmark-enable``).
The cached path is the generator's own decoding loop (:class:`CachedDecoding`: one forward of one
token per step); the baseline calls the model on the whole sequence at every step
(``use_cache=False``). Both pick greedily with <|endoftext|> forbidden, so both make exactly
``NEW_TOKENS`` tokens from the same start. The model is untrained: speed does not depend on the
weights. ``extra_info`` records tokens/s of both (the cached path's median of three rounds) and
their ratio.
"""

from __future__ import annotations

import time

import pytest
import torch

from generators.base import Budget, Corpus, Sampling
from generators.gpt2.decoding import CachedDecoding
from generators.gpt2.generator import GPT2Generator
from generators.sampling import choose_tokens

NEW_TOKENS = 512
MODEL = {"tokenizer": "byte", "n_layer": 4, "n_head": 4, "n_embd": 128, "context": 1024}
GREEDY = Sampling(temperature=0.0)
AGREE_AT_LEAST = 16  # leading tokens both paths must pick alike (later ones may split on float rounding)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread: on a shared CPU, thread hand-offs of a small model make timings erratic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def generator() -> GPT2Generator:
    """A 4 × 128 GPT-2 over bytes with 1024 positions, built by fit with a zero-step budget."""
    text = "The keeper climbed the steps and lit the lamp.\n" * 4
    model = GPT2Generator.from_options(MODEL)
    model.fit(Corpus("speed", text, text, text, "0" * 64), seed=0, budget=Budget(steps=0))
    return model


def greedy_pick(logits: torch.Tensor, end_of_text: int) -> torch.Tensor:
    logits = logits.clone()
    logits[:, end_of_text] = float("-inf")
    return choose_tokens(logits, GREEDY, torch.zeros(len(logits)))


@torch.inference_mode()
def with_cache(generator: GPT2Generator) -> list[int]:
    tokens = generator.tokens
    decoding = CachedDecoding(generator.model, tokens, [[tokens.end_of_text]], 10**9, generator.torch_device)
    for _ in range(NEW_TOKENS):
        decoding.advance(greedy_pick(decoding.logits(), tokens.end_of_text).tolist())
    return decoding.contexts[0][1:]


@torch.inference_mode()
def without_cache(generator: GPT2Generator) -> list[int]:
    end_of_text = generator.tokens.end_of_text
    ids = torch.tensor([[end_of_text]], device=generator.torch_device)  # (1, t)
    for _ in range(NEW_TOKENS):
        logits = generator.model(input_ids=ids, use_cache=False).logits[:, -1, : generator.tokens.vocab_size]
        ids = torch.cat([ids, greedy_pick(logits.float(), end_of_text)[:, None]], dim=1)
    return ids[0, 1:].tolist()


def test_kv_cache_speedup(benchmark, generator):
    started = time.perf_counter()
    baseline = without_cache(generator)
    baseline_seconds = time.perf_counter() - started
    cached = benchmark.pedantic(with_cache, args=(generator,), rounds=3, iterations=1)
    assert len(cached) == len(baseline) == NEW_TOKENS  # the cached context was never cut
    agree = next((i for i, (a, b) in enumerate(zip(cached, baseline, strict=True)) if a != b), NEW_TOKENS)
    assert agree >= AGREE_AT_LEAST, f"the cached and re-fed paths differ at token {agree}"
    benchmark.extra_info.update(
        {
            "new_tokens": NEW_TOKENS,
            "model": MODEL,
            "threads": torch.get_num_threads(),
            "device": str(generator.torch_device),
            "leading_tokens_agreeing": agree,
            "uncached_tokens_per_s": NEW_TOKENS / baseline_seconds,
        }
    )
    if benchmark.stats is not None:  # benchmarking enabled (make perf)
        cached_seconds = benchmark.stats.stats.median
        benchmark.extra_info["cached_tokens_per_s"] = NEW_TOKENS / cached_seconds
        benchmark.extra_info["speedup"] = baseline_seconds / cached_seconds
