"""Cells in parallel: a grid of four small cells run with ``--jobs 2`` against ``--jobs 1``.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_executor_speed.py --benchmark-enable``).
Each round runs the same four cells (a tiny char-lstm, two seeds, two corpora; trained afresh
into an empty model cache) once with one worker at a time and once with two at once, back to
back, in alternating order; the ratio of the round's two wall times is recorded and the median
over the rounds reported. On a machine with at least two cores the target is ≥ 1.5×.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from benchmarks.corpora import load_corpus
from benchmarks.run.executors import LocalExecutor, available_cores
from benchmarks.run.harness import run_benchmark
from benchmarks.run.plan import build_plan
from benchmarks.run.settings import parse_config
from generators.testing.texts import make_text

ROUNDS = 3
GRID = {
    "run": {"name": "jobs", "generators": ["char-lstm"], "seeds": [0, 1], "device": "cpu"},
    "likelihood": {"ci_chunk_chars": 1000, "bootstrap_resamples": 20},
    "sweep": {"temperatures": [0.0, 1.0], "test_prompts": 4, "prompt_chars": 40, "max_chars": 60},
    "throughput": {"repeats": 1, "generate_chars": 16, "batch": 4, "score_chars": 2000},
    "generators": {
        "char-lstm": {
            "budget_steps": 80,
            "options": {
                "layers": 1,
                "hidden_size": 64,
                "embedding_dim": 16,
                "batch_size": 16,
                "bptt": 32,
                "optim": {"warmup_steps": 10, "eval_every": 1000, "eval_chars": 2000},
            },
        }
    },
}


def write_text(path: Path, seed: int, chars: int = 60_000) -> Path:
    path.write_text(make_text(chars, seed), encoding="utf-8")
    return path


def timed_run(folder: Path, corpora_paths: list[Path], jobs: int) -> float:
    """Seconds for the whole grid, trained from scratch, with ``jobs`` workers at once."""
    os.environ["TEXTGEN_BENCH_CACHE"] = str(folder / "cache")
    data = {**GRID, "run": {**GRID["run"], "corpora": [f"file:{p}" for p in corpora_paths]}}
    config = parse_config(data)
    corpora = {name: load_corpus(name) for name in config.run.corpus_names}
    plan = build_plan(config, corpora, device="cpu")
    started = time.perf_counter()
    run_benchmark(
        plan,
        corpora,
        run_dir=folder / "run",
        executor=LocalExecutor(jobs, log=lambda m: None),
        log=lambda m: None,
    )
    return time.perf_counter() - started


@pytest.mark.skipif(available_cores() < 2, reason="two jobs need two cores")
def test_two_jobs_run_a_grid_faster_than_one(benchmark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpora = [write_text(tmp_path / f"corpus-{seed}.txt", seed) for seed in (1, 2)]
    one, two, count = [], [], iter(range(2 * ROUNDS + 1))

    def one_round() -> None:
        order = (1, 2) if len(one) % 2 == 0 else (2, 1)
        for jobs in order:
            seconds = timed_run(tmp_path / f"r{next(count)}", corpora, jobs)
            (one if jobs == 1 else two).append(seconds)

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    ratios = [a / b for a, b in zip(one, two, strict=True)]
    ratio = statistics.median(ratios)
    benchmark.extra_info.update(
        {
            "cells": 4,
            "cores": available_cores(),
            "jobs_1_seconds": [round(s, 2) for s in one],
            "jobs_2_seconds": [round(s, 2) for s in two],
            "ratios": [round(r, 3) for r in ratios],
            "median_ratio": round(ratio, 3),
            "load_average": os.getloadavg()[0],
        }
    )
    print(
        f"\n--jobs 2 against --jobs 1 on 4 cells: {ratio:.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    assert ratio >= 1.5, f"--jobs 2 ran {ratio:.2f}x as fast as --jobs 1 (target 1.5x)"
