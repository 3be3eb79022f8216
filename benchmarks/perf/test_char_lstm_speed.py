"""char-lstm speed: training throughput against a bare PyTorch loop, and batched generation.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_char_lstm_speed.py --benchmark-enable``).

* Training: char-lstm's ``fit`` (the shared loop: schedule, clipping, NaN checks, TBPTT batching,
  carried state) against a bare loop with the same ``nn.LSTM``, shapes and optimiser and nothing
  else, measured side by side in alternating rounds; best round of each. Target: ratio ≥ 0.9.
* Generation: 64 prompts in one batched call against one prompt at a time, in alternating rounds
  (each round's benchmark time covers both; the speeds are in ``extra_info``). Target: ≥ 20× the
  characters per second. On a CPU the default model (2×192) is compute-bound at batch 64 (one
  step of 64 rows costs several times one row), so the ≥ 20× target is asserted for the small
  tutorial-size model everywhere and for the default model on CUDA; on CPU the default model's
  ratio is recorded and must reach 5×.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from generators.base import Budget, Corpus, Sampling
from generators.char_lstm import CharLSTMConfig, CharLSTMGenerator
from generators.devices import resolve_device

STEPS = 24  # training steps per measured round (long enough that first-step costs are small)
ROUNDS = 5  # alternating bare / char-lstm rounds; the best of each is kept (a shared CPU is noisy)
PROMPTS = 64
GEN_CHARS = 200
SINGLE_PROMPTS = 8  # one-at-a-time generation is timed on this many prompts
GENERATION_ROUNDS = 3  # alternating one-at-a-time / batched rounds; the best of each is kept
DEVICE = "auto"


def synthetic_corpus(n_chars: int = 400_000, seed: int = 0) -> Corpus:
    """Zipf-weighted characters: speed does not depend on the text, only on its alphabet size."""
    rng = np.random.default_rng(seed)
    alphabet = np.array(list("etaoinshrdlcumwfgypbvkjxqz ETAOINSHRDLCUMWFGYPBVKJXQZ\n.,;:!?'-&$3"))
    weights = 1.0 / np.arange(1, len(alphabet) + 1)
    text = "".join(rng.choice(alphabet, size=n_chars, p=weights / weights.sum()))
    return Corpus("synthetic", text, text[:2000], text[:2000], "")


def product_chars_per_s(config: CharLSTMConfig, corpus: Corpus, steps: int) -> float:
    generator = CharLSTMGenerator(config, device=DEVICE)
    report = generator.fit(corpus, budget=Budget(steps=steps))
    return report.train_chars / report.curve[-1]["seconds"]  # training seconds, validation excluded


def bare_chars_per_s(config: CharLSTMConfig, corpus: Corpus, steps: int) -> float:
    """The same embedding + nn.LSTM + linear, AdamW and clipping; nothing else."""
    device = resolve_device(DEVICE)
    chars = sorted(set(corpus.train))
    ids = torch.tensor(
        [chars.index(c) for c in corpus.train[: config.batch_size * config.bptt * (steps + 1) + 1]]
    )
    vocab = len(chars) + 2  # the product's unknown and start symbols
    emb = nn.Embedding(vocab, config.embedding_dim).to(device)
    rnn = nn.LSTM(config.embedding_dim, config.hidden_size, config.layers, batch_first=True).to(device)
    head = nn.Linear(config.hidden_size, vocab - 1).to(device)
    params = [*emb.parameters(), *rnn.parameters(), *head.parameters()]
    o = config.optim
    optimizer = torch.optim.AdamW(params, lr=o.lr, betas=o.betas, weight_decay=o.weight_decay)
    length = (len(ids) - 1) // config.batch_size
    xs = ids[: config.batch_size * length].view(config.batch_size, length).to(device)  # (B, L)
    ys = ids[1 : config.batch_size * length + 1].view(config.batch_size, length).to(device)  # (B, L)
    state, t = None, config.bptt
    autocast = torch.autocast("cuda", torch.bfloat16, enabled=device.type == "cuda")
    float32_core = (
        torch.autocast("cuda", enabled=False) if device.type == "cuda" else contextlib.nullcontext()
    )
    _sync(device)
    started = time.perf_counter()
    for step in range(steps):
        x, y = xs[:, step * t : (step + 1) * t], ys[:, step * t : (step + 1) * t]  # (B, T)
        with autocast:
            with float32_core:  # as the product runs it
                out, state = rnn(emb(x), state)
            loss = F.cross_entropy(head(out).reshape(-1, vocab - 1).float(), y.reshape(-1))
        state = tuple(s.detach() for s in state)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, o.grad_clip)
        optimizer.step()
        loss.item()
    _sync(device)
    return steps * config.batch_size * t / (time.perf_counter() - started)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def test_training_throughput_matches_a_bare_loop(benchmark):
    config = CharLSTMConfig()
    config.optim.eval_every, config.optim.eval_chars = 10_000, 2000  # only the final validation
    corpus = synthetic_corpus()
    product_chars_per_s(config, corpus, 2)  # warm-up: imports, allocator, kernels
    bare_chars_per_s(config, corpus, 2)
    bare, product = [], []

    def one_round() -> None:
        bare.append(bare_chars_per_s(config, corpus, STEPS))
        product.append(product_chars_per_s(config, corpus, STEPS))

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    ratio = max(product) / max(bare)
    benchmark.extra_info.update(
        {
            "device": str(resolve_device(DEVICE)),
            "torch_threads": torch.get_num_threads(),
            "model": f"{config.layers}x{config.hidden_size} LSTM, emb {config.embedding_dim}",
            "batch": f"B={config.batch_size} T={config.bptt}",
            "bare_chars_per_s": [round(v) for v in bare],
            "char_lstm_chars_per_s": [round(v) for v in product],
            "ratio_best_of_rounds": round(ratio, 3),
        }
    )
    assert ratio >= 0.9, f"char-lstm trains at {ratio:.2f}× the bare loop's speed (target ≥ 0.9)"


SIZES = {
    "tutorial-1x64": {"layers": 1, "hidden_size": 64},
    "default": {},
}


@pytest.mark.parametrize("size", list(SIZES))
def test_batched_generation_beats_one_at_a_time(benchmark, size):
    generator = CharLSTMGenerator.from_options({**SIZES[size], "optim": {"eval_chars": 2000}}, device=DEVICE)
    generator.fit(synthetic_corpus(50_000), budget=Budget(steps=1))  # weights do not matter for speed
    rng = np.random.default_rng(0)
    prompts = ["".join(rng.choice(list("the cat sat "), size=int(n))) for n in rng.integers(1, 60, PROMPTS)]
    sampling = Sampling(temperature=1.0)
    generator.generate(prompts[:2], max_chars=10, sampling=sampling)  # warm-up

    def batched() -> float:
        started = time.perf_counter()
        out = generator.generate(prompts, max_chars=GEN_CHARS, sampling=sampling, seed=0)
        assert [len(t) for t in out] == [GEN_CHARS] * PROMPTS
        return PROMPTS * GEN_CHARS / (time.perf_counter() - started)

    def one_at_a_time() -> float:
        started = time.perf_counter()
        for i, prompt in enumerate(prompts[:SINGLE_PROMPTS]):
            generator.generate([prompt], max_chars=GEN_CHARS, sampling=sampling, seed=i)
        return SINGLE_PROMPTS * GEN_CHARS / (time.perf_counter() - started)

    singles, speeds = [], []

    def one_round() -> None:  # side by side, in turn first, so a slow spell of a shared CPU hits both
        if len(singles) % 2:
            speeds.append(batched())
            singles.append(one_at_a_time())
        else:
            singles.append(one_at_a_time())
            speeds.append(batched())

    benchmark.pedantic(one_round, rounds=GENERATION_ROUNDS, iterations=1)
    single = max(singles)
    ratio = max(speeds) / single
    device = resolve_device(DEVICE)
    benchmark.extra_info.update(
        {
            "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "batched_chars_per_s": [round(v) for v in speeds],
            "one_at_a_time_chars_per_s": [round(v) for v in singles],
            "ratio_best_of_rounds": round(ratio, 2),
        }
    )
    target = 20.0 if device.type == "cuda" or size.startswith("tutorial") else 5.0
    assert ratio >= target, f"batched generation is {ratio:.1f}× one-at-a-time (target ≥ {target:g}×)"
