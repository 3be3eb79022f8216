"""char-lstm against the tutorial char-RNN recipe: same corpus, wall-clock budget and model.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_tutorial_baseline.py --benchmark-enable``).
Both train an ``LSTM(64)`` on one-hot characters for ``TEXTGEN_BENCH_BASELINE_SECONDS`` (default
60) seconds on tinyshakespeare (nanoGPT's split); both report validation bits per character with
the same open vocabulary. Only the training recipe differs: the tutorial's one minibatch of all
overlapping 100-character windows per article (:mod:`benchmarks.baselines.tutorial_char_rnn`)
against char-lstm's truncated BPTT over parallel streams with a schedule. Target: char-lstm
reaches the lower bpc. Skipped when tinyshakespeare is not on disk (nothing is downloaded).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.baselines.tutorial_char_rnn import TutorialBaseline
from benchmarks.corpora import data_directory, load_corpus
from generators.base import Budget, Corpus
from generators.recurrent.char_lstm import CharLSTMGenerator

BUDGET_SECONDS = float(os.environ.get("TEXTGEN_BENCH_BASELINE_SECONDS", "60"))
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # beside the checkout, if any


def tinyshakespeare() -> Corpus:
    for directory in (data_directory(), SHARED_DATA):
        if (directory / "tinyshakespeare.txt").is_file():
            return load_corpus("tinyshakespeare", data_dir=directory, progress=False)
    pytest.skip(f"tinyshakespeare.txt is in neither {data_directory()} nor {SHARED_DATA}")


def test_char_lstm_beats_the_tutorial_recipe(benchmark):
    corpus = tinyshakespeare()
    baseline = TutorialBaseline(corpus.train, hidden=64, lr=0.01, seed=0).fit(BUDGET_SECONDS, corpus.valid)
    options = {"layers": 1, "hidden_size": 64, "embedding_dim": 0, "optim": {"max_steps": 1_000_000}}
    generator = CharLSTMGenerator.from_options(options)  # the budget, not max_steps, ends the run
    report = benchmark.pedantic(
        lambda: generator.fit(corpus, seed=0, budget=Budget(seconds=BUDGET_SECONDS)), rounds=1, iterations=1
    )
    char_lstm_bpc = generator.bits_per_char(corpus.valid)
    benchmark.extra_info.update(
        {
            "budget_seconds": BUDGET_SECONDS,
            "model": "one-hot → LSTM(64) → linear, both",
            "tutorial_valid_bpc": round(baseline.valid_bpc, 4),
            "tutorial_steps": baseline.steps,
            "tutorial_epochs": round(baseline.epochs, 3),
            "tutorial_seconds": round(baseline.seconds, 1),
            "char_lstm_valid_bpc": round(char_lstm_bpc, 4),
            "char_lstm_steps": report.steps,
            "char_lstm_seconds": round(report.seconds, 1),
            "char_lstm_train_chars": report.train_chars,
        }
    )
    assert char_lstm_bpc < baseline.valid_bpc, (
        f"char-lstm {char_lstm_bpc:.3f} bpc vs tutorial {baseline.valid_bpc:.3f} bpc after {BUDGET_SECONDS:g} s"
    )
