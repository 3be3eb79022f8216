"""Ray's overhead: the grid of test_executor_speed.py with ``--engine ray`` against ``--jobs 2``.

Run with ``make perf`` (or ``pytest benchmarks/perf/test_ray_speed.py --benchmark-enable``). A
local Ray instance of two CPUs is started once (its start-up, ``ray.init`` to the first task's
answer, is recorded). Each round then runs the same four cells (a tiny char-lstm, two seeds, two
corpora; trained afresh into empty model caches) three ways, back to back, in rotating order:
``--jobs 1``, ``--jobs 2``, and Ray with one CPU per cell (two cells at once). The ratios of each
round's wall times are recorded and their medians reported, with the machine's load; on this
shared machine single timings mean little. Target: Ray at ≥ 0.9× the speed of ``--jobs 2``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from test_executor_speed import GRID, write_text

from benchmarks.corpora import load_corpus
from benchmarks.run.executors import Executor, LocalExecutor, available_cores
from benchmarks.run.harness import run_benchmark
from benchmarks.run.plan import build_plan
from benchmarks.run.settings import parse_config

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'textgen-bench[ray]'")

ROUNDS = 3
MODES = ("jobs 1", "jobs 2", "ray")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def start_ray(node_cache: Path) -> dict[str, float]:
    """A local instance of two CPUs whose workers cache models in ``node_cache``; its start-up seconds."""
    os.environ["TEXTGEN_BENCH_CACHE"] = str(node_cache)  # the instance's workers inherit it
    started = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    initialised = time.perf_counter()
    ray.get(ray.remote(lambda: None).remote())
    return {"init_s": initialised - started, "ready_s": time.perf_counter() - started}


def executor_for(mode: str) -> Executor:
    from benchmarks.run.ray_executor import RayExecutor

    quiet = lambda message: None  # noqa: E731
    return (
        RayExecutor(cpus_per_cell=1, log=quiet) if mode == "ray" else LocalExecutor(int(mode[-1]), log=quiet)
    )


def timed_run(folder: Path, corpora_paths: list[Path], mode: str, node_cache: Path) -> float:
    """Seconds for the whole grid, trained from scratch (the driver's and the node's caches emptied)."""
    os.environ["TEXTGEN_BENCH_CACHE"] = str(folder / "cache")
    shutil.rmtree(node_cache, ignore_errors=True)
    config = parse_config({**GRID, "run": {**GRID["run"], "corpora": [f"file:{p}" for p in corpora_paths]}})
    corpora = {name: load_corpus(name) for name in config.run.corpus_names}
    plan = build_plan(config, corpora, device="cpu")
    started = time.perf_counter()
    run_benchmark(plan, corpora, run_dir=folder / "run", executor=executor_for(mode), log=lambda m: None)
    return time.perf_counter() - started


@pytest.mark.skipif(available_cores() < 2, reason="two cells at once need two cores")
def test_ray_runs_cells_about_as_fast_as_two_local_jobs(benchmark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", "")  # restored after the test
    corpora = [write_text(tmp_path / f"corpus-{seed}.txt", seed) for seed in (1, 2)]
    node_cache = tmp_path / "node-cache"
    load_before, startup = uptime(), start_ray(node_cache)
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    count = iter(range(len(MODES) * ROUNDS + 1))

    def one_round() -> None:
        shift = len(seconds["ray"]) % len(MODES)
        for mode in MODES[shift:] + MODES[:shift]:
            seconds[mode].append(timed_run(tmp_path / f"r{next(count)}", corpora, mode, node_cache))

    try:
        benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    finally:
        ray.shutdown()
    ratios = {
        "ray vs jobs 2": [b / r for b, r in zip(seconds["jobs 2"], seconds["ray"], strict=True)],
        "ray vs jobs 1": [b / r for b, r in zip(seconds["jobs 1"], seconds["ray"], strict=True)],
        "jobs 2 vs jobs 1": [b / r for b, r in zip(seconds["jobs 1"], seconds["jobs 2"], strict=True)],
    }
    medians = {name: statistics.median(values) for name, values in ratios.items()}
    benchmark.extra_info.update(
        {
            "cells": 4,
            "cores": available_cores(),
            "seconds": {mode: [round(s, 2) for s in values] for mode, values in seconds.items()},
            "ratios": {name: [round(r, 3) for r in values] for name, values in ratios.items()},
            "median_ratios": {name: round(m, 3) for name, m in medians.items()},
            "ray_startup_s": {key: round(value, 2) for key, value in startup.items()},
            "uptime_before": load_before,
            "uptime_after": uptime(),
        }
    )
    print(f"\nbefore: {load_before}\nafter:  {uptime()}")
    print(
        f"Ray start-up: ray.init {startup['init_s']:.1f} s, first task answered at {startup['ready_s']:.1f} s"
    )
    for name, values in ratios.items():
        print(f"{name}: {medians[name]:.2f}x (rounds: {', '.join(f'{r:.2f}' for r in values)})")
    assert medians["ray vs jobs 2"] >= 0.9, (
        f"Ray ran {medians['ray vs jobs 2']:.2f}x as fast as --jobs 2 (target 0.9x)"
    )
