"""GPT-2 batch-1 decoding: a static KV cache with a torch.compile'd step against the dynamic cache.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_gpt2_decoding_speed.py --benchmark-enable``).
The quick profile's gpt2 (4 × 128, 128 positions, a BPE of 2,048 tokens trained on pseudo-text),
untrained: speed does not depend on the weights. Both sides decode ``NEW_TOKENS`` greedy tokens
(<|endoftext|> forbidden) from <|endoftext|> under the window rule of
:mod:`generators.gpt2.decoding` (every 32 steps a context longer than 96 tokens is cut to 64 and
read again):

* dynamic: the generator's own :class:`CachedDecoding` (its cache grows into reserved room, eager);
* static: transformers' ``StaticCache`` of 128 positions and the one-token step compiled once
  with ``torch.compile`` (``fullgraph``; on CUDA ``mode="reduce-overhead"``, CUDA graphs); a cut
  resets the cache and reads the kept tokens again, eagerly.

Paired rounds on one thread (as the generator decodes one row); the ratio is the median of the
per-round ratios; the compile time (the first call) is recorded, not in the rounds. The generator
keeps whichever is faster on the CPU: see the README's speed table. Also recorded: batch-1
``generate`` with its one-thread rule against torch's default threads.
"""

from __future__ import annotations

import contextlib
import statistics
import time

import pytest
import torch
from transformers import StaticCache

from benchmarks.perf.paired import PairedRounds
from generators.base import Budget, Corpus, Sampling
from generators.gpt2 import generator as gpt2
from generators.gpt2.decoding import CachedDecoding
from generators.gpt2.generator import GPT2Generator
from generators.sampling import choose_tokens
from generators.testing.texts import make_text

NEW_TOKENS = 512
ROUNDS = 5
QUICK = {"n_layer": 4, "n_head": 4, "n_embd": 128, "context": 128, "tokenizer": "bpe", "vocab_size": 2048}
AGREE_AT_LEAST = 16  # leading tokens both must pick alike (later ones may split on float rounding)
@pytest.fixture(scope="module")
def generator() -> GPT2Generator:
    text = make_text(300_000)
    model = GPT2Generator.from_options(QUICK)
    model.fit(Corpus("speed", text, text[:5000], text[:5000], "0" * 64), seed=0, budget=Budget(steps=0))
    return model


def greedy_pick(logits: torch.Tensor, end_of_text: int) -> int:
    logits = logits.clone()
    logits[:, end_of_text] = float("-inf")
    return int(choose_tokens(logits, Sampling(temperature=0.0), torch.zeros(len(logits))))


@torch.inference_mode()
def dynamic_cache(generator: GPT2Generator) -> list[int]:
    tokens = generator.tokens
    decoding = CachedDecoding(generator.model, tokens, [[tokens.end_of_text]], 10**9, generator.torch_device)
    picked = []
    for _ in range(NEW_TOKENS):
        picked.append(greedy_pick(decoding.logits(), tokens.end_of_text))
        decoding.advance(picked[-1:])
    return picked


class StaticCacheDecoding:
    """One row: StaticCache, a compiled one-token step, CachedDecoding's window rule."""

    def __init__(self, generator: GPT2Generator) -> None:
        self.model, self.tokens, self.device = generator.model, generator.tokens, generator.torch_device
        self.window = generator.window  # W
        self.check_every = max(1, self.window // 4)  # K
        self.cache = StaticCache(config=self.model.config, max_cache_len=self.window)
        self.mask = torch.zeros(1, self.window, dtype=torch.long, device=self.device)  # (1, W) 1 = filled
        mode = "reduce-overhead" if self.device.type == "cuda" else None
        self.step = torch.compile(self._forward, fullgraph=True, dynamic=False, mode=mode)

    def _forward(self, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(1, n) ids at (1, n) positions -> (1, V) logits after the last; the cache holds them."""
        out = self.model(
            input_ids=ids, position_ids=positions, attention_mask=mask, cache=self.cache, use_cache=True
        )
        return out.logits[:, -1, : self.tokens.vocab_size].float()

    def _read(self, context: list[int]) -> torch.Tensor:
        """Reset the cache and read ``context`` into it (eagerly: its length varies)."""
        self.cache.reset()
        self.mask.zero_()
        self.mask[0, : len(context)] = 1
        ids = torch.tensor([context], device=self.device)
        positions = torch.arange(len(context), device=self.device)[None]
        return self._forward(ids, positions, self.mask)

    @torch.inference_mode()
    def greedy(self) -> list[int]:
        context = [self.tokens.end_of_text]
        logits, picked = self._read(context), []
        for step in range(1, NEW_TOKENS + 1):
            picked.append(greedy_pick(logits, self.tokens.end_of_text))
            context.append(picked[-1])
            if step % self.check_every == 0 and len(context) > self.window - self.check_every:
                context = context[-(self.window // 2) :]
                logits = self._read(context)
                continue
            position = len(context) - 1
            self.mask[0, position] = 1
            ids = torch.tensor([[picked[-1]]], device=self.device)
            logits = self.step(ids, torch.tensor([[position]], device=self.device), self.mask).clone()
        return picked


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_static_cache_compiled_against_dynamic_cache(benchmark, print_ratio, generator, one_thread):
    static = StaticCacheDecoding(generator)
    started = time.perf_counter()
    first = static.greedy()  # compiles
    compile_seconds = time.perf_counter() - started
    dynamic = dynamic_cache(generator)
    agree = next((i for i, (a, b) in enumerate(zip(first, dynamic, strict=True)) if a != b), NEW_TOKENS)
    assert agree >= AGREE_AT_LEAST, f"the static and dynamic caches differ at token {agree}"
    rounds = PairedRounds(static.greedy, lambda: dynamic_cache(generator))
    benchmark.pedantic(rounds, rounds=ROUNDS, iterations=1)
    static_speed = statistics.median(NEW_TOKENS / s for s in rounds.our_seconds)
    dynamic_speed = statistics.median(NEW_TOKENS / s for s in rounds.their_seconds)
    benchmark.extra_info.update(
        {
            "model": QUICK,
            "device": str(generator.torch_device),
            "new_tokens": NEW_TOKENS,
            "static_compiled_tokens_per_s": round(static_speed),
            "dynamic_tokens_per_s": round(dynamic_speed),
            "static_over_dynamic_median_of_rounds": round(rounds.ratio, 3),
            "compile_and_first_call_seconds": round(compile_seconds, 1),
            "leading_tokens_agreeing": agree,
        }
    )
    print_ratio(
        f"static cache + torch.compile {static_speed:.0f} vs dynamic cache {dynamic_speed:.0f} tokens/s: "
        f"{rounds.ratio:.2f}× (compile and first call {compile_seconds:.0f} s)"
    )


def test_batch1_generate_one_thread_against_default_threads(benchmark, print_ratio, generator, monkeypatch):
    prompt, chars, sampling = make_text(150, seed=1), 500, Sampling(temperature=1.0)
    # the untrained model may draw <|endoftext|> early: take the first seed whose text runs to the end
    seed = next(
        s for s in range(50) if len(generator.generate([prompt], max_chars=chars, seed=s)[0]) == chars
    )

    def generate() -> list[str]:
        return generator.generate([prompt], max_chars=chars, sampling=sampling, seed=seed)

    def default_threads() -> list[str]:
        with monkeypatch.context() as patched:
            patched.setattr(gpt2, "decoding_threads", lambda batch, device: contextlib.nullcontext())
            return generate()

    assert generate() == default_threads()
    rounds = PairedRounds(generate, default_threads)
    benchmark.pedantic(rounds, rounds=ROUNDS, iterations=1)
    one, default = (
        statistics.median(chars / s for s in side) for side in (rounds.our_seconds, rounds.their_seconds)
    )
    benchmark.extra_info.update(
        {
            "torch_threads": torch.get_num_threads(),
            "one_thread_chars_per_s": round(one),
            "default_threads_chars_per_s": round(default),
            "ratio_median_of_rounds": round(rounds.ratio, 2),
        }
    )
    threads = torch.get_num_threads()
    print_ratio(f"one thread {one:.0f} vs {threads} threads {default:.0f} chars/s: {rounds.ratio:.2f}×")
