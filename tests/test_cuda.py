"""The CUDA paths, run only where torch sees a GPU (skipped everywhere else).

Every neural generator passes the conformance kit on ``cuda``; training there uses fused AdamW
and bf16 autocast; a model trained on the GPU, saved and loaded on the CPU gives the same scores;
a benchmark run with ``--device cuda`` records the GPU by name and measures throughput on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from support import TINY_NEURAL_OPTIONS

from benchmarks.cli import main
from generators import training
from generators.base import Budget, Corpus, Sampling
from generators.recurrent.model import RecurrentLM, exact_float32_rnns
from generators.registry import create_generator, get_generator_class
from generators.testing import Factory, parametrize_with_checks
from generators.testing.texts import make_text
from generators.training import OptimConfig, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def full_float32() -> Iterator[None]:
    """Scores already run cuDNN's RNNs in full float32; generation and training may use TF32 on
    Ampere and newer, and these tests compare them against float32 on the CPU."""
    with exact_float32_rnns(CUDA):
        yield


def cuda_factory(name: str) -> Factory:
    return lambda: create_generator(name, TINY_NEURAL_OPTIONS[name], device="cuda")


# The kit builds each generator while collecting, so the factories exist only where CUDA does.
CUDA_FACTORIES = (
    {f"{name}-cuda": cuda_factory(name) for name in TINY_NEURAL_OPTIONS} if torch.cuda.is_available() else {}
)


@parametrize_with_checks(CUDA_FACTORIES)
def test_neural_generators_conform_on_cuda(factory, check):
    check(factory)


def test_cuda_training_uses_fused_adamw_and_bf16_autocast(monkeypatch):
    model = torch.nn.Linear(8, 1).to(CUDA)
    original, optimizers = training.make_optimizer, []

    def recorded_optimizer(*args, **kwargs) -> torch.optim.Optimizer:
        optimizers.append(original(*args, **kwargs))
        return optimizers[-1]

    monkeypatch.setattr(training, "make_optimizer", recorded_optimizer)
    seen: list[tuple[bool, torch.dtype]] = []

    def step_loss(step: int) -> tuple[torch.Tensor, int]:
        seen.append((torch.is_autocast_enabled("cuda"), torch.get_autocast_dtype("cuda")))
        x = torch.randn(16, 8, device=CUDA)
        return model(x).float().pow(2).mean(), 16

    optim = OptimConfig(max_steps=3, eval_every=10, eval_chars=0, warmup_steps=1)
    train(model, step_loss, lambda: 1.0, optim, Budget(steps=3), device=CUDA)
    assert seen == [(True, torch.bfloat16)] * 3
    assert [optimizer.defaults["fused"] for optimizer in optimizers] == [True]


def test_cudnn_lstm_trains_in_float32_under_bf16_autocast():
    """Autocast alone would run cuDNN's LSTM in float16 (it ignores the bf16 it was given)."""
    model = RecurrentLM(n_outputs=7, embedding_dim=4, hidden_size=8).to(CUDA)
    dtypes: list[torch.dtype] = []
    model.rnn.register_forward_hook(lambda module, inputs, output: dtypes.append(output[0].dtype))
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits, (h, c) = model(torch.randint(0, 7, (3, 5), device=CUDA))
    logits.float().sum().backward()
    assert dtypes == [torch.float32] and h.dtype == c.dtype == torch.float32
    assert logits.dtype == torch.bfloat16
    assert model.rnn.weight_hh_l0.grad.dtype == torch.float32


@pytest.mark.parametrize("name", sorted(TINY_NEURAL_OPTIONS))
def test_a_model_trained_on_the_gpu_scores_the_same_on_the_cpu(tmp_path, name):
    generator = create_generator(name, TINY_NEURAL_OPTIONS[name], device="cuda")
    corpus = Corpus("words", make_text(20_000), make_text(2_000, seed=1), "", "0" * 64)
    generator.fit(corpus, seed=0, budget=Budget(steps=20))
    assert generator.describe()["device"].startswith("cuda:")
    text = make_text(2_000, seed=3)
    on_gpu = generator.score(text)
    generator.save(tmp_path / name)
    on_cpu = get_generator_class(name).load(tmp_path / name, device="cpu").score(text)
    assert np.isfinite(on_gpu).all()
    np.testing.assert_allclose(on_cpu, on_gpu, atol=1e-3)  # cuDNN and CPU kernels sum in other orders


def test_the_cuda_graph_path_gives_the_eager_paths_greedy_text():
    """cuda_graphs = true replays one recorded decoding step; greedy text must not change (its
    products are cuBLAS's, not cuDNN's: sampled text may differ where a CDF bound ties the uniform)."""
    generator = create_generator("char-lstm", TINY_NEURAL_OPTIONS["char-lstm"], device="cuda")
    generator.fit(
        Corpus("words", make_text(20_000), make_text(2_000, seed=1), "", "0" * 64), budget=Budget(steps=20)
    )
    texts = []
    for graphs in (False, True):
        generator.config.cuda_graphs = graphs
        texts.append(generator.generate(["The ", "a"], max_chars=200, sampling=Sampling(0.0), seed=0))
    assert texts[0] == texts[1]
    assert all(len(text) == 200 for text in texts[1])


def test_a_cuda_run_records_the_gpu_and_its_throughput(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(make_text(30_000), encoding="utf-8")
    args = ["run", "--corpus", f"file:{corpus}", "--generators", "char-lstm", "--device", "cuda"]
    settings = {
        "generators.char-lstm.budget_seconds": "10",
        "sweep.test_prompts": "2",
        "sweep.max_chars": "40",
        "sweep.temperatures": "[0.0, 1.0]",
    }
    overrides = [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]
    code = main([*args, "--out", str(tmp_path / "run"), *overrides])
    assert code == 0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["device"] == "cuda"
    device = results["environment"]["device"]
    assert device["type"] == "cuda" and device["name"] == torch.cuda.get_device_name(0)
    (char_lstm,) = results["cells"]
    assert char_lstm["status"] == "ok", char_lstm["error"]
    assert char_lstm["describe"]["device"].startswith("cuda:")
    throughput = char_lstm["throughput"]
    assert throughput["peak_memory_kind"] == (
        "peak RSS and torch.cuda.max_memory_allocated of the whole worker process, which ran: "
        "fit (training), likelihood, sweep, throughput"
    )
    assert throughput["peak_gpu_memory_bytes"] > 0
    assert throughput[f"generate_chars_per_s_batch{throughput['batch']}"] > 0
